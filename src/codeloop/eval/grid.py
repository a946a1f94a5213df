"""Strategies x feedback granularities: one run directory per cell, one table."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from codeloop.eval.run import run_eval
from codeloop.eval.run_spec import RunSpec
from codeloop.judge import Granularity
from codeloop.llm import ChatModel, load_model
from codeloop.loop import parse_strategy


def run_grid(base: RunSpec, strategies: list[str], feedbacks: list[str], out: str | Path,
             model: ChatModel | None = None, jobs: int | None = None, progress: bool = True) -> list[dict]:
    """Run every (strategy, feedback) cell into ``out/<strategy>__<feedback>``; the model loads once."""
    for strategy in strategies:
        parse_strategy(strategy)
    cells = [(s, Granularity(f).value) for s in strategies for f in feedbacks]
    model = model or load_model(base.model)
    rows = []
    for strategy, feedback in cells:
        spec = replace(base, strategy=strategy, feedback=feedback)
        folder = Path(out) / f"{strategy.replace(':', '_').replace('+', '-')}__{feedback}"
        summary = run_eval(spec, folder, model=model, jobs=jobs, progress=progress)
        rows.append({"strategy": strategy, "feedback": feedback, **summary})
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [f"{'strategy':34} {'feedback':8} {'1-turn pass@1':>13} {'final pass@1':>12} {'tokens':>8}"]
    for row in rows:
        lines.append(f"{row['strategy']:34} {row['feedback']:8} {row.get('single_turn_pass@1', 0):13.3f} "
                     f"{row.get('final_pass@1', 0):12.3f} {row.get('completion_tokens', 0):8d}")
    return "\n".join(lines)
