"""``codeloop transform compare``: every synthesis method, and direct rewriting, on held-out pairs.

Per transform and method: whether the synthesized transform reproduces every training pair, and
precision, recall and F1 on the held-out pairs (``heldout.score``, exact text), the model calls
made and the wall time. A transform counts as *synthesized with held-out precision 1.0* when it
reproduces its training pairs and changes no held-out file wrongly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from codeloop.llm import ChatModel
from codeloop.sandbox import Sandbox
from codeloop.transforms.direct import rewrite
from codeloop.transforms.heldout import Scores, score
from codeloop.transforms.methods import synthesize_with
from codeloop.transforms.spec import TransformSpec
from codeloop.transforms.synthesize import Budgets

COMPARE_METHODS = ("rules", "model", "module", "auto", "direct")


@dataclass
class MethodResult:
    solved: bool | None            # training pairs all reproduced (None: direct rewriting has no transform)
    scores: dict[str, Scores]      # "exact" and "ast"
    model_calls: int = 0
    seconds: float = 0.0
    stage: str = ""                # for auto: the stage that produced the transform

    @property
    def precise(self) -> bool:
        """Synthesized, and held-out precision 1.0."""
        return bool(self.solved) and self.scores["exact"].fp == 0

    def as_dict(self) -> dict:
        exact = self.scores["exact"]
        return {"precision": round(exact.precision, 3), "recall": round(exact.recall, 3), "f1": round(exact.f1, 3),
                "train_reproduced": self.solved, "model_calls": self.model_calls, "seconds": round(self.seconds, 2),
                **({"stage": self.stage} if self.stage else {})}


@dataclass
class CompareRow:
    name: str
    kind: str
    results: dict[str, MethodResult] = field(default_factory=dict)


def compare_spec(spec: TransformSpec, methods: tuple[str, ...], model: ChatModel | None, sandbox: Sandbox,
               budgets: Budgets, out: Path | None = None) -> CompareRow:
    row = CompareRow(spec.name, spec.kind)
    sources = [pair.before for pair in spec.test]
    for method in methods:
        started = time.perf_counter()
        if method == "direct":
            outputs = [rewrite(spec, model, source, budgets.max_tokens) for source in sources]
            row.results[method] = MethodResult(None, score(spec.test, outputs), len(sources),
                                               time.perf_counter() - started)
            continue
        outcome = synthesize_with(spec, method, model, sandbox, budgets)
        outputs = outcome.outputs(sources, sandbox, budgets)
        row.results[method] = MethodResult(outcome.solved, score(spec.test, outputs), outcome.model_calls,
                                           time.perf_counter() - started, outcome.stage if method == "auto" else "")
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            if outcome.module:
                (out / f"{spec.name}.{method}.py").write_text(outcome.module)
            (out / f"{spec.name}.{method}.log.jsonl").write_text("\n".join(outcome.log) + "\n")
    return row


def total(rows: list[CompareRow], method: str, mode: str = "exact") -> Scores:
    sums = Scores()
    for row in rows:
        part = row.results[method].scores[mode]
        sums.tp, sums.fp, sums.fn = sums.tp + part.tp, sums.fp + part.fp, sums.fn + part.fn
    return sums


def run_compare(specs: list[TransformSpec], methods: tuple[str, ...], model: ChatModel | None,
              budgets: Budgets = Budgets(), out: Path | None = None, progress: bool = True) -> list[CompareRow]:
    with Sandbox() as sandbox:
        return [compare_spec(spec, methods, model, sandbox, budgets, out)
                for spec in tqdm(specs, desc="transform compare", unit="spec", disable=not progress)]


def _cell(result: MethodResult) -> str:
    exact = result.scores["exact"]
    mark = "" if result.solved is None else ("✓ " if result.solved else "✗ ")
    stage = f" ({result.stage})" if result.stage else ""
    return f"{mark}{exact.precision:.2f} / {exact.recall:.2f} / {exact.f1:.2f}{stage}"


def format_table(rows: list[CompareRow], methods: tuple[str, ...]) -> str:
    lines = ["| transform | kind | " + " | ".join(f"{m} P / R / F1" for m in methods) + " |",
             "|---|---|" + "---|" * len(methods)]
    for row in rows:
        lines.append(f"| {row.name} | {row.kind} | " + " | ".join(_cell(row.results[m]) for m in methods) + " |")
    lines.append(f"| **all ({len(rows)})** | | " + " | ".join(
        f"{total(rows, m).precision:.2f} / {total(rows, m).recall:.2f} / {total(rows, m).f1:.2f}" for m in methods)
        + " |")
    lines.append("")
    lines.append("| method | synthesized with held-out precision 1.0 | training pairs reproduced | model calls "
                 "| wall time |")
    lines.append("|---|---:|---:|---:|---:|")
    for m in methods:
        results = [row.results[m] for row in rows]
        synthesized = "-" if m == "direct" else f"{sum(r.precise for r in results)}/{len(rows)}"
        reproduced = "-" if m == "direct" else f"{sum(bool(r.solved) for r in results)}/{len(rows)}"
        lines.append(f"| {m} | {synthesized} | {reproduced} | {sum(r.model_calls for r in results)} | "
                     f"{sum(r.seconds for r in results):.0f} s |")
    return "\n".join(lines)
