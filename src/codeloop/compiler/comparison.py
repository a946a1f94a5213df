"""``codeloop compiler compare``: every method on the test programs, one row per method.

Columns, per method over the test programs: the mean size reduction over ``-Oz`` (%, of the
object file's ``.text``), the share of programs made smaller than ``-Oz``, the evaluations
(pass lists compiled and measured) per program, the wall time per program, the share validated,
and the fraction of autotuning potential, ``(method - Oz) / (autotuner - Oz)`` on the mean
reductions (LLM Compiler, arXiv 2407.02524, sec. 5.1). The model's row adds its calls, its answers
without a valid pass list, and the mean absolute error of its size predictions (% of the size
measured for the same list).
"""

from __future__ import annotations

import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from codeloop.compiler import search
from codeloop.compiler.corpus import Program
from codeloop.compiler.environment import Environment
from codeloop.compiler.llm_tuning import condensed_ir, llm_tune
from codeloop.compiler.search import Tuned
from codeloop.llm.base import ChatModel


@dataclass(frozen=True)
class CompareConfig:
    methods: tuple[str, ...] = search.METHODS
    budget_s: float = 10.0                  # random and greedy, per program
    autotune_budget_s: float = 30.0         # the autotuner, per program (it sets the potential)
    samples: int = 4                        # model answers per program
    shots: int = 1                          # few-shot training programs (answered by the autotuner)
    seed: int = 0
    jobs: int = 2


def tune(env: Environment, program: Program, method: str, config: CompareConfig, model: ChatModel | None = None,
         shots: list[tuple[Program, Tuned]] | None = None) -> Tuned:
    """One method on one program."""
    if method == "oz":
        return search.fixed(env, program, search.OZ, "oz")
    if method == "o3":
        return search.fixed(env, program, search.O3, "o3")
    if method == "random":
        return search.random_search(env, program, config.budget_s, config.seed)
    if method == "greedy":
        return search.greedy_search(env, program, config.budget_s)
    if method == "autotune":
        return search.autotune(env, program, config.autotune_budget_s, config.seed)
    if method == "llm":
        if model is None:
            raise ValueError("method llm needs a model")
        return llm_tune(env, program, model, config.samples, shots, config.seed)
    raise ValueError(f"unknown method {method!r}: expected one of {', '.join(search.METHODS)}")


def few_shots(env: Environment, train: list[Program], config: CompareConfig) -> list[tuple[Program, Tuned]]:
    """The autotuner's answers on the ``config.shots`` training programs of shortest IR."""
    chosen = sorted(train, key=lambda p: len(condensed_ir(p.ir)))[:config.shots]
    return [(program, search.autotune(env, program, config.autotune_budget_s, config.seed)) for program in chosen]


def run_compare(env: Environment, test: list[Program], train: list[Program], config: CompareConfig,
              model: ChatModel | None = None, progress: bool = True) -> list[Tuned]:
    from tqdm import tqdm
    results: list[Tuned] = []
    with tqdm(total=len(test) * len(config.methods), desc="compiler compare", disable=not progress) as bar:
        for method in config.methods:
            if method == "llm":  # one model: its calls run one at a time
                shots = few_shots(env, train, config) if config.shots else []
                for program in test:
                    results.append(tune(env, program, method, config, model, shots))
                    bar.update()
                continue
            with ThreadPoolExecutor(config.jobs) as pool:
                for tuned in pool.map(lambda program, method=method: tune(env, program, method, config), test):
                    results.append(tuned)
                    bar.update()
    return results


def summarise(results: list[Tuned]) -> dict[str, dict]:
    """Per method: the table's columns (and the model's extra ones)."""
    by_method: dict[str, list[Tuned]] = {}
    for tuned in results:
        by_method.setdefault(tuned.method, []).append(tuned)
    rows = {}
    for method, rows_of in by_method.items():
        row = {"programs": len(rows_of), "mean_reduction_pct": statistics.fmean(t.reduction for t in rows_of),
               "improved": sum(t.size < t.oz_size for t in rows_of) / len(rows_of),
               "evaluations": statistics.fmean(t.evaluations for t in rows_of),
               "seconds": statistics.fmean(t.seconds for t in rows_of),
               "validated": sum(t.validated for t in rows_of) / len(rows_of)}
        if method == "llm":
            pairs = [pair for t in rows_of for pair in t.predicted_sizes]
            calls = sum(t.model_calls for t in rows_of)
            row.update(model_calls=calls, invalid_answers=sum(t.invalid_candidates for t in rows_of) / (calls or 1),
                       size_prediction_error_pct=statistics.fmean(100 * abs(p - m) / m for p, m in pairs)
                       if pairs else None)
        rows[method] = row
    potential = rows.get("autotune", {}).get("mean_reduction_pct")
    for row in rows.values():
        row["autotune_fraction"] = row["mean_reduction_pct"] / potential if potential else None
    return rows


def format_table(rows: dict[str, dict]) -> str:
    lines = ["| method | mean reduction vs -Oz | improved | evaluations / program | s / program | validated "
             "| fraction of autotuning potential |", "|---|---:|---:|---:|---:|---:|---:|"]
    for method, row in rows.items():
        fraction = "-" if row["autotune_fraction"] is None else f"{row['autotune_fraction']:.2f}"
        lines.append(f"| {method} | {row['mean_reduction_pct']:+.2f}% | {row['improved']:.0%} | "
                     f"{row['evaluations']:.1f} | {row['seconds']:.1f} | {row['validated']:.0%} | {fraction} |")
    llm = rows.get("llm")
    if llm:
        error = llm["size_prediction_error_pct"]
        lines.append(f"\nmodel: {llm['model_calls']} calls, {llm['invalid_answers']:.0%} without a valid pass list, "
                     f"size prediction error {'-' if error is None else f'{error:.1f}%'} (mean absolute, of the "
                     "measured size)")
    return "\n".join(lines)
