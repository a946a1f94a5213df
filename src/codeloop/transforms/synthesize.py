"""Synthesize a transform from examples: "Don't Transform the Code, Code the Transforms"
(Cummins et al., arXiv 2410.08806, section 3).

Stages: (1) the model studies the training pairs and describes the transformation in natural
language, then refines its description against the examples; (2) it writes the transform as a
Python module exposing ``transform(source: str) -> str``, matching with ``ast`` and splicing
edits into the original text (``splice.HELPER``, which codeloop puts in the module; the prompt
shows one worked example, for a transformation outside the bundled specs) so untouched code keeps
its formatting and comments; (3) the module runs in the sandbox on every training pair; (4) on a
mismatch the model gets a unified diff of expected vs got (or the traceback) and tries again,
within the budgets; (5) the result is a standalone module with the description as its docstring,
and every attempt is logged.
"""

from __future__ import annotations

import difflib
import json
import time
from dataclasses import asdict, dataclass, field

from codeloop.judge.feedback import normalize_traceback
from codeloop.llm import ChatModel, Message, SamplingParams
from codeloop.loop import extract_code
from codeloop.sandbox import Harness, Limits, Run, Sandbox, Verdict
from codeloop.transforms.spec import Pair, TransformSpec
from codeloop.transforms.splice import HELPER

# The trusted side of a transform's validation, a paired sandbox run like the judge's: it calls the
# module's transform() on each pair and compares here, so the module's output and exit status
# decide nothing (before, a module could print a forged result).
VALIDATOR = '''import json, os
remote = rpc.Remote(REPLIES_FD, CALLS_FD)
try:
    transform = remote.bind(["transform"]).get("transform")
    if transform is None:
        raise NameError("the module defines no transform(source)")
    results = []
    for name, before, after in DATA:
        try:
            got = transform(before)
        except Exception as error:
            results.append({"name": name, "error": getattr(error, "program_traceback", "") or repr(error)})
            continue
        if type(got) is not str:
            results.append({"name": name, "error": f"transform returned {type(got).__name__}, not str"})
        else:
            results.append({"name": name, "got": got, "ok": got == after})
    report = {"results": results}
except BaseException as error:
    report = {"load_error": getattr(error, "program_traceback", "") or f"{type(error).__name__}: {error}"}
if remote.failure is not None:
    report = {"load_error": remote.failure[1]}
os.write(REPORT_FD, json.dumps(report).encode())
'''

# A worked example for a transformation that is not in the bundled specs.
EXAMPLE_TRANSFORM = '''import ast


def transform(source: str) -> str:
    """Replace d.has_key(k) with k in d."""
    tree = ast.parse(source)
    edits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "has_key"
                and len(node.args) == 1):
            mapping = ast.get_source_segment(source, node.func.value)
            key = ast.get_source_segment(source, node.args[0])
            edits.append((node, f"{key} in {mapping}"))
    return apply_edits(source, edits)
'''


@dataclass(frozen=True)
class Budgets:
    describe_rounds: int = 2     # a description, then refinements
    attempts: int = 4            # transform modules written (first try + retries)
    max_tokens: int = 1024
    temperature: float = 0.0
    limits: Limits = field(default_factory=lambda: Limits(cpu_s=10, memory_mb=512))


@dataclass
class Attempt:
    stage: str            # "describe", "refine" or "transform"
    prompt: str
    reply: str
    code: str | None = None
    passed: int = 0
    total: int = 0
    feedback: str = ""
    seconds: float = 0.0


@dataclass
class Synthesis:
    spec: str
    description: str
    module: str | None            # the final standalone module, or None when no attempt compiled
    solved: bool                  # the module reproduces every training pair
    attempts: list[Attempt]

    def log_lines(self) -> list[str]:
        return [json.dumps({"spec": self.spec, **asdict(a)}) for a in self.attempts]


def show_pair(pair: Pair) -> str:
    return f"Before:\n```python\n{pair.before}```\nAfter:\n```python\n{pair.after}```"


def _examples(spec: TransformSpec) -> str:
    return "\n\n".join(f"Example {i}.\n{show_pair(p)}" for i, p in enumerate(spec.train, 1))


def describe_prompt(spec: TransformSpec) -> str:
    hint = f"Hint: {spec.hint}\n\n" if spec.hint else ""
    return (f"Here are examples of a code transformation, each a Python file before and after it.\n\n{hint}"
            f"{_examples(spec)}\n\nDescribe precisely, in a few sentences of plain English, what the transformation "
            "changes and what it leaves alone. Do not write code.")


def refine_prompt(description: str) -> str:
    return (f"Here is your description:\n{description}\n\nCheck it against every example: does it explain each "
            "change, and would it leave unchanged everything the examples leave unchanged? Reply with the corrected "
            "description only.")


def transform_prompt(spec: TransformSpec, description: str) -> str:
    return (f"Write a Python module that performs this code transformation:\n{description}\n\n{_examples(spec)}\n\n"
            "Use only the standard library. Define `transform(source: str) -> str`: parse with `ast`, find the nodes "
            "to change, and collect `(node, new_text)` edits; `apply_edits(source, edits)` is already defined for you "
            "and replaces only those nodes' text, so the rest of the file stays byte-for-byte identical. Here is such "
            f"a module for a different transformation:\n```python\n{EXAMPLE_TRANSFORM}```\n"
            "Reply with your module in one ```python block.")


def with_helper(code: str) -> str:
    """The module as run: ``apply_edits`` first, unless the code defines its own."""
    if "def apply_edits(" in code:
        return code
    return HELPER.strip() + "\n\n\n" + code


def validate(sandbox: Sandbox, module: str, pairs: list[Pair], limits: Limits) -> tuple[list[dict], str]:
    """Run ``module``'s transform on each pair in the sandbox, compared on the trusted side:
    per-pair results, or a load/run error text."""
    harness = Harness(VALIDATOR, [(p.name, p.before, p.after) for p in pairs], ("transform",))
    run = sandbox.execute(Run(module, limits=limits, harness=harness))
    try:
        report = json.loads(run.report or "")
    except ValueError:
        report = None
    if run.verdict != Verdict.OK or not isinstance(report, dict):
        return [], f"The module could not run ({run.verdict}):\n{normalize_traceback(run.stderr)[-2000:]}"
    if "load_error" in report:  # the program's own traceback, if it died loading, is on its stderr
        text = "\n".join(part for part in (str(report["load_error"]), run.stderr.strip()) if part)
        return [], "The module failed to load:\n" + normalize_traceback(text)[-2000:]
    return list(report.get("results", [])), ""


def mismatch_feedback(pairs: list[Pair], results: list[dict], limit: int = 3000) -> str:
    """Unified diffs (expected vs got) or tracebacks for each failed training pair."""
    by_name = {p.name: p for p in pairs}
    parts = []
    for result in results:
        if result.get("ok"):
            continue
        pair = by_name[result["name"]]
        if "error" in result:
            trace = normalize_traceback(result["error"])[-1200:]
            parts.append(f"On example {pair.name} the transform raised:\n{trace}")
        else:
            diff = "".join(difflib.unified_diff(pair.after.splitlines(keepends=True),
                                                result["got"].splitlines(keepends=True), "expected", "got"))
            parts.append(f"On example {pair.name} the output differs from the expected file:\n```diff\n{diff}```")
    text = "\n\n".join(parts)
    return text if len(text) <= limit else text[:limit] + "\n...(truncated)"


def standalone_module(description: str, code: str, spec_name: str) -> str:
    docstring = description.strip().replace('"""', "'''")
    body = code.lstrip()
    if body.startswith(('"""', "'''")):  # drop the model's own module docstring
        quote = body[:3]
        end = body.find(quote, 3)
        body = body[end + 3:].lstrip() if end != -1 else body
    note = "Synthesized by codeloop from examples; validated on its training pairs."
    return f'"""{spec_name}: {docstring}\n\n{note}\n"""\n\n{body}'


def synthesize(spec: TransformSpec, model: ChatModel, sandbox: Sandbox, budgets: Budgets = Budgets()) -> Synthesis:
    params = SamplingParams(temperature=budgets.temperature, max_tokens=budgets.max_tokens)
    attempts: list[Attempt] = []

    def ask(messages: list[Message], stage: str) -> Attempt:
        start = time.perf_counter()
        reply = model.chat(messages, params)[0].text
        attempt = Attempt(stage, messages[-1]["content"], reply, seconds=time.perf_counter() - start)
        attempts.append(attempt)
        return attempt

    dialogue: list[Message] = [{"role": "user", "content": describe_prompt(spec)}]
    description = ask(dialogue, "describe").reply.strip()
    for _ in range(budgets.describe_rounds - 1):
        dialogue += [{"role": "assistant", "content": description},
                     {"role": "user", "content": refine_prompt(description)}]
        description = ask(dialogue, "refine").reply.strip() or description

    messages: list[Message] = [{"role": "user", "content": transform_prompt(spec, description)}]
    best: tuple[int, str | None] = (-1, None)
    for _ in range(budgets.attempts):
        attempt = ask(messages, "transform")
        attempt.code = extract_code(attempt.reply, "transform")
        attempt.total = len(spec.train)
        if attempt.code is None:
            attempt.feedback = "Your answer had no ```python block. Reply with the whole module in one python block."
        else:
            results, error = validate(sandbox, with_helper(attempt.code), spec.train, budgets.limits)
            attempt.passed = sum(1 for r in results if r.get("ok"))
            attempt.feedback = error or mismatch_feedback(spec.train, results)
            if attempt.passed > best[0]:
                best = (attempt.passed, attempt.code)
            if attempt.passed == attempt.total:
                break
        retry = f"{attempt.feedback}\n\nFix the module and reply with all of it in one ```python block."
        messages += [{"role": "assistant", "content": attempt.reply}, {"role": "user", "content": retry}]
    solved = best[0] == len(spec.train)
    module = standalone_module(description, with_helper(best[1]), spec.name) if best[1] is not None else None
    return Synthesis(spec.name, description, module, solved, attempts)
