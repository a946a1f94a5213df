"""One entry point for every way to synthesize a transform from a spec:

- ``rules``: anti-unification, no model (``antiunify``);
- ``model``: the model writes or repairs rules (``model_rules``), seeded with anti-unification's closest;
- ``module``: the model writes a Python ``ast`` module (``synthesize``, arXiv 2410.08806);
- ``auto``: rules, then the model's rules, then a module; the first that reproduces every training pair.

Each gives a standalone transform module (rules as data with their ast-grep engine, or the Python
module) that ``codeloop transform apply`` runs, and a way to run it on held-out files here.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from codeloop.llm import ChatModel
from codeloop.sandbox import Sandbox
from codeloop.transforms.antiunify import synthesize_rules
from codeloop.transforms.model_rules import propose_rules
from codeloop.transforms.rules import Rule, apply_rules, rule_module
from codeloop.transforms.spec import TransformSpec
from codeloop.transforms.synthesize import Budgets, synthesize, validate

METHODS = ("rules", "model", "module", "auto")
RULE_NOTE = "Synthesized by codeloop from examples ({how}); {verdict} on its training pairs."


@dataclass
class Outcome:
    method: str                    # what was asked for
    stage: str                     # what produced the result (for auto: rules, model or module)
    module: str | None             # the standalone transform module
    solved: bool                   # it reproduces every training pair
    rules: list[Rule] | None = None
    model_calls: int = 0
    seconds: float = 0.0
    log: list[str] = field(default_factory=list)  # JSON lines: every attempt, every problem

    def outputs(self, sources: list[str], sandbox: Sandbox, budgets: Budgets) -> list[str | None]:
        """The transform's output on each source (None: it failed there)."""
        if self.rules is not None:
            results = []
            for source in sources:
                try:
                    results.append(apply_rules(self.rules, source))
                except Exception:
                    results.append(None)
            return results
        if self.module is None:
            return [None] * len(sources)
        from codeloop.transforms.spec import Pair
        pairs = [Pair(str(i), source, source) for i, source in enumerate(sources)]
        results, _ = validate(sandbox, self.module, pairs, budgets.limits)
        by_name = {r["name"]: r.get("got") for r in results}
        return [by_name.get(str(i)) for i in range(len(sources))]


def _rules_outcome(spec: TransformSpec, method: str, stage: str, rules: list[Rule], solved: bool, how: str,
                   calls: int, started: float, log: list[str]) -> Outcome:
    note = RULE_NOTE.format(how=how, verdict="validated" if solved else "NOT all reproduced")
    return Outcome(method, stage, rule_module(spec.name, rules, note) if rules else None, solved, rules, calls,
                   time.perf_counter() - started, log)


def synthesize_with(spec: TransformSpec, method: str, model: ChatModel | None, sandbox: Sandbox,
                    budgets: Budgets = Budgets()) -> Outcome:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
    started = time.perf_counter()
    log: list[str] = []
    found = None
    if method != "module":
        found = synthesize_rules(spec.train)
        log.append(json.dumps({"spec": spec.name, "stage": "rules", "rules": [r.as_dict() for r in found.rules],
                               "solved": found.solved, "problems": found.problems}))
    if found is not None and (method == "rules" or (method == "auto" and found.solved)):
        return _rules_outcome(spec, method, "rules", found.rules, found.solved, "anti-unification", 0, started, log)
    if model is None:
        raise ValueError(f"method {method} needs a model")
    calls = 0
    if found is not None:  # model or auto
        proposed = propose_rules(spec, model, budgets.attempts, None if found.solved else found, budgets.max_tokens)
        log += [json.dumps({"spec": spec.name, "stage": "model", "prompt": a.prompt, "reply": a.reply,
                            "rules": a.rules, "passed": a.passed, "feedback": a.feedback, "seconds": a.seconds})
                for a in proposed.attempts]
        calls = len(proposed.attempts)
        if method == "model" or proposed.solved:
            return _rules_outcome(spec, method, "model", proposed.rules, proposed.solved, "rules by the model",
                                  calls, started, log)
    synthesis = synthesize(spec, model, sandbox, budgets)
    log += synthesis.log_lines()
    return Outcome(method, "module", synthesis.module, synthesis.solved, None, calls + len(synthesis.attempts),
                   time.perf_counter() - started, log)
