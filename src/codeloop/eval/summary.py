"""Every aggregate codeloop reports, from ``codeloop.metrics``' per-task estimators: pass@k of a
samples file (``codeloop evaluate``); single-turn and final pass@k, solve rate per turn and n@k
over turn samples of a run (``codeloop eval``, its report)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from codeloop.metrics import bootstrap_ci, mean_pass_at_k, n_at_k, pass_at_k

if TYPE_CHECKING:  # only annotations here: ``codeloop evaluate`` loads no loop and no model code
    from codeloop.loop import Episode

# (n, k) budgets of arXiv 2410.08105 (section 3), plus 1@1
N_AT_K_BUDGETS = [(1, 1), (1, 3), (10, 30), (33, 100), (100, 300)]
PASS_AT_K = [1, 10, 100]


def solved_by_turn(episode: Episode, turn: int) -> bool:
    """Would the episode be solved had it stopped after ``turn``? (its last valid program so far)"""
    valid = [t for t in episode.turns[:turn] if t.valid]
    return bool(valid) and valid[-1].hidden_passed


def summarize_samples(results: Iterable[dict], ks: Iterable[int]) -> dict[str, float]:
    """pass@k over tasks of per-sample results, and a 95% bootstrap interval of pass@1 over tasks."""
    per_task: dict[str, list[bool]] = defaultdict(list)
    for record in results:
        per_task[record["task_id"]].append(bool(record["passed"]))
    counts = [(len(v), sum(v)) for v in per_task.values()]
    summary = mean_pass_at_k(counts, sorted(set(ks)))
    if counts:
        low, high = bootstrap_ci([pass_at_k(n, c, 1) for n, c in counts])
        summary.update({"pass@1_ci95_low": round(low, 4), "pass@1_ci95_high": round(high, 4)})
    summary["tasks"] = len(counts)
    summary["samples"] = sum(n for n, _ in counts)
    return {key: round(value, 4) if isinstance(value, float) else value for key, value in summary.items()}


def summarize_references(results: Iterable[dict]) -> dict[str, dict[str, int]]:
    """Per language, how a dataset's own solutions fare: correct ones that pass, incorrect ones
    that fail (the sanity check of a dataset and of a judge)."""
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(
        ("correct", "correct_passed", "incorrect", "incorrect_failed"), 0))
    for record in results:
        row = table[record.get("language", "python")]
        if record.get("correct", True):
            row["correct"] += 1
            row["correct_passed"] += bool(record["passed"])
        else:
            row["incorrect"] += 1
            row["incorrect_failed"] += not record["passed"]
    return dict(sorted(table.items()))


def episodes_by_task(episodes: list[Episode]) -> dict[str, list[Episode]]:
    groups: dict[str, list[Episode]] = defaultdict(list)
    for episode in episodes:
        groups[episode.task_id].append(episode)
    return groups


def pass_at_k_over_tasks(groups: list[list[Episode]], k: int, single_turn: bool = False) -> float:
    """Mean pass@k over tasks, an episode's first turn or its final program counting as its sample."""
    counts = [(len(group), sum(e.first_turn_passed if single_turn else e.passed for e in group)) for group in groups]
    return mean_pass_at_k(counts, [k])[f"pass@{k}"]


def n_at_k_over_tasks(groups: list[list[Episode]], n: int, k: int) -> float:
    """Mean n@k over tasks, every turn a sample; a task with fewer than k turn-samples (its
    episodes stopped early, public tests passing) is scored with all it has."""
    values = []
    for group in groups:
        points = [(t.public_passed, t.hidden_passed) for e in group for t in e.turns]
        kk = min(k, len(points))
        values.append(n_at_k(points, min(n, kk), kk))
    return _mean(values)


def summarize_run(episodes: list[Episode], turns: int) -> dict[str, float]:
    """The numbers ``codeloop eval`` prints; n@k counts every turn as a sample."""
    groups = list(episodes_by_task(episodes).values())
    if not groups:
        return {"tasks": 0}
    summary: dict[str, float] = {"tasks": len(groups), "episodes": len(episodes)}
    samples = min(len(v) for v in groups)
    for k in (k for k in PASS_AT_K if k <= samples):
        summary[f"single_turn_pass@{k}"] = pass_at_k_over_tasks(groups, k, single_turn=True)
        summary[f"final_pass@{k}"] = pass_at_k_over_tasks(groups, k)
    final = [pass_at_k(len(v), sum(e.passed for e in v), 1) for v in groups]
    summary["final_pass@1_ci95"] = [round(x, 4) for x in bootstrap_ci(final)]
    for turn in range(1, turns + 1):
        summary[f"solved_by_turn_{turn}"] = _mean(_mean(solved_by_turn(e, turn) for e in v) for v in groups)
    for n, k in N_AT_K_BUDGETS:
        if k <= samples * turns:
            summary[f"{n}@{k}"] = n_at_k_over_tasks(groups, n, k)
    summary["invalid_turns"] = sum(not t.valid for e in episodes for t in e.turns)
    summary["completion_tokens"] = sum(t.completion_tokens for e in episodes for t in e.turns)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()}


def budget_curves(episodes: list[Episode], turns: int) -> dict[str, list[tuple[float, float]]]:
    """The report's curves: pass@k (single-turn and final) for k = 1..samples, n@k over turn samples."""
    groups = list(episodes_by_task(episodes).values())
    if not groups:
        return {}
    samples = min(len(v) for v in groups)
    ks = sorted({k for k in (1, 2, 5, 10, 20, 50, 100, 200) if k <= samples} | {samples})
    curves = {
        "single-turn pass@k": [(k, pass_at_k_over_tasks(groups, k, single_turn=True)) for k in ks],
        f"{turns}-turn pass@k (k episodes)": [(k, pass_at_k_over_tasks(groups, k)) for k in ks],
    }
    budgets = [(1, 1), (1, 3), (1, 10), *N_AT_K_BUDGETS[2:]]
    curves["n@k, turns as samples (k turns)"] = sorted({(k, n_at_k_over_tasks(groups, n, k))
                                                        for n, k in budgets if k <= samples * turns})
    return curves


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
