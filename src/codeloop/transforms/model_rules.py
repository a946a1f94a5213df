"""Rules from the model, where enumeration stops: it proposes (or repairs) a few lines of rule, not a
module, and gets the same validation and diff feedback as module synthesis.

A rule is data (an ast-grep pattern and a fix template, ``rules.Rule``), so checking it on the
training pairs runs no model-written code: it is applied here, by ast-grep. The first prompt shows
the training pairs, the rule format with a worked example for another transformation, and, when
anti-unification came close, its rules and where they fall short, to repair.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from dataclasses import dataclass, field

from codeloop.llm import ChatModel, Message, SamplingParams
from codeloop.transforms.antiunify import RuleSynthesis
from codeloop.transforms.rules import Rule, apply_rules, engine_error
from codeloop.transforms.spec import Pair, TransformSpec
from codeloop.transforms.synthesize import show_pair

FORMAT = """Answer with a JSON list of rules in one ```json block. A rule is {"pattern": ..., "fix": ...}: \
the pattern is Python code where $A, $B, ... stand for any one expression (the same name twice means the same \
code) and $$$A for any number of arguments; the fix is the code that replaces each match, using the same names. \
For example, to turn d.has_key(k) into k in d:
```json
[{"pattern": "$D.has_key($K)", "fix": "$K in $D"}]
```"""


@dataclass
class RuleAttempt:
    prompt: str
    reply: str
    rules: list[dict] | None = None
    passed: int = 0
    feedback: str = ""
    seconds: float = 0.0


@dataclass
class ModelRules:
    rules: list[Rule]
    solved: bool
    attempts: list[RuleAttempt] = field(default_factory=list)


def rules_prompt(spec: TransformSpec, closest: RuleSynthesis | None) -> str:
    hint = f"Hint: {spec.hint}\n\n" if spec.hint else ""
    examples = "\n\n".join(f"Example {i}.\n{show_pair(p)}" for i, p in enumerate(spec.train, 1))
    repair = ""
    if closest is not None and closest.rules:
        shown = json.dumps([{"pattern": r.pattern, "fix": r.fix} for r in closest.rules], indent=1)
        repair = (f"\n\nThese rules come close but fail:\n```json\n{shown}\n```\n" +
                  "\n".join(closest.problems[:4]) + "\nFix them.")
    return (f"Here are examples of a code transformation, each a Python file before and after it.\n\n{hint}{examples}"
            f"\n\nWrite rewrite rules that perform this transformation and change nothing else.{repair}\n\n{FORMAT}")


def parse_rules(text: str) -> list[Rule]:
    """The rules of a reply; ValueError naming what is wrong."""
    found = re.search(r"```(?:json)?\s*\n(.*?)```", text, re.S)
    body = found.group(1) if found else text[text.find("["):text.rfind("]") + 1]
    try:
        data = json.loads(body)
    except ValueError:
        raise ValueError("the answer holds no JSON list of rules") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data or not all(isinstance(item, dict) for item in data):
        raise ValueError("expected a JSON list of {\"pattern\": ..., \"fix\": ...} objects")
    return [Rule.from_dict({"pattern": item.get("pattern"), "fix": item.get("fix")}) for item in data]


def check(rules: list[Rule], pairs: list[Pair]) -> tuple[int, str]:
    """How many pairs the rules reproduce, and diffs (expected vs got) for the others."""
    passed, parts = 0, []
    for pair in pairs:
        try:
            got = apply_rules(rules, pair.before)
        except Exception as error:  # ast-grep rejects the pattern
            return 0, f"The rules cannot be used: {engine_error(error)}"
        if got == pair.after:
            passed += 1
            continue
        diff = "".join(difflib.unified_diff(pair.after.splitlines(keepends=True), got.splitlines(keepends=True),
                                            "expected", "got"))
        parts.append(f"On example {pair.name} the output differs from the expected file:\n```diff\n{diff}```")
    return passed, "\n\n".join(parts)[:3000]


def propose_rules(spec: TransformSpec, model: ChatModel, attempts: int = 3, closest: RuleSynthesis | None = None,
                  max_tokens: int = 512) -> ModelRules:
    """Up to ``attempts`` rounds: the model's rules, checked on the training pairs, diffs fed back."""
    messages: list[Message] = [{"role": "user", "content": rules_prompt(spec, closest)}]
    result = ModelRules([], False)
    best = -1
    for _ in range(attempts):
        start = time.perf_counter()
        reply = model.chat(messages, SamplingParams(max_tokens=max_tokens))[0].text
        attempt = RuleAttempt(messages[-1]["content"], reply, seconds=time.perf_counter() - start)
        result.attempts.append(attempt)
        try:
            rules = parse_rules(reply)
            attempt.rules = [rule.as_dict() for rule in rules]
            attempt.passed, attempt.feedback = check(rules, spec.train)
            if attempt.passed > best:
                best, result.rules = attempt.passed, rules
        except ValueError as error:
            attempt.feedback = f"{error}. {FORMAT}"
        if attempt.passed == len(spec.train):
            result.solved = True
            break
        messages += [{"role": "assistant", "content": reply},
                     {"role": "user", "content": f"{attempt.feedback}\n\nFix the rules; answer with all of them "
                                                 "in one ```json block."}]
    return result
