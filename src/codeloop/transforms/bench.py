"""``codeloop transform bench``: synthesized transforms vs direct rewriting on held-out pairs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from codeloop.llm import ChatModel
from codeloop.sandbox import Sandbox
from codeloop.transforms.direct import rewrite
from codeloop.transforms.evaluate import Scores, score
from codeloop.transforms.spec import TransformSpec
from codeloop.transforms.synthesize import Budgets, synthesize, validate


@dataclass
class BenchRow:
    name: str
    kind: str
    solved_train: bool
    synthesized: dict[str, Scores]
    direct: dict[str, Scores]


def bench_spec(spec: TransformSpec, model: ChatModel, sandbox: Sandbox, budgets: Budgets,
               out: Path | None = None) -> BenchRow:
    synthesis = synthesize(spec, model, sandbox, budgets)
    outputs: list[str | None] = [None] * len(spec.test)
    if synthesis.module is not None:
        results, _ = validate(sandbox, synthesis.module, spec.test, budgets.limits)
        by_name = {r["name"]: r.get("got") for r in results}
        outputs = [by_name.get(p.name) for p in spec.test]
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        if synthesis.module:
            (out / f"{spec.name}.py").write_text(synthesis.module)
        (out / f"{spec.name}.log.jsonl").write_text("\n".join(synthesis.log_lines()) + "\n")
    direct = [rewrite(spec, model, p.before, budgets.max_tokens) for p in spec.test]
    return BenchRow(spec.name, spec.kind, synthesis.solved, score(spec.test, outputs), score(spec.test, direct))


def total(rows: list[BenchRow], method: str, mode: str) -> Scores:
    sums = Scores()
    for row in rows:
        part = getattr(row, method)[mode]
        sums.tp, sums.fp, sums.fn = sums.tp + part.tp, sums.fp + part.fp, sums.fn + part.fn
    return sums


def run_bench(specs: list[TransformSpec], model: ChatModel, budgets: Budgets = Budgets(),
              out: Path | None = None, progress: bool = True) -> list[BenchRow]:
    with Sandbox() as sandbox:
        return [bench_spec(spec, model, sandbox, budgets, out)
                for spec in tqdm(specs, desc="transform bench", unit="spec", disable=not progress)]


def format_table(rows: list[BenchRow]) -> str:
    lines = ["| transform | kind | train solved | synthesized P / R / F1 (exact) | F1 (AST) "
             "| direct P / R / F1 (exact) | F1 (AST) |", "|---|---|---|---|---|---|---|"]

    def cell(scores: Scores) -> str:
        return f"{scores.precision:.2f} / {scores.recall:.2f} / {scores.f1:.2f}"

    for row in rows:
        lines.append(f"| {row.name} | {row.kind} | {'yes' if row.solved_train else 'no'} | "
                     f"{cell(row.synthesized['exact'])} | {row.synthesized['ast'].f1:.2f} | "
                     f"{cell(row.direct['exact'])} | {row.direct['ast'].f1:.2f} |")
    solved = sum(r.solved_train for r in rows)
    lines.append(f"| **all ({len(rows)})** | | {solved}/{len(rows)} | {cell(total(rows, 'synthesized', 'exact'))} | "
                 f"{total(rows, 'synthesized', 'ast').f1:.2f} | {cell(total(rows, 'direct', 'exact'))} | "
                 f"{total(rows, 'direct', 'ast').f1:.2f} |")
    return "\n".join(lines)
