"""Run metrics: single-turn and final pass@k, solve rate per turn, n@k over turn samples."""

from __future__ import annotations

from collections import defaultdict

from codeloop.loop import Episode
from codeloop.metrics import bootstrap_ci, n_at_k, pass_at_k

# (n, k) budgets of arXiv 2410.08105 (section 3), plus 1@1
N_AT_K_BUDGETS = [(1, 1), (1, 3), (10, 30), (33, 100), (100, 300)]
PASS_AT_K = [1, 10, 100]


def solved_by_turn(episode: Episode, turn: int) -> bool:
    """Would the episode be solved had it stopped after ``turn``? (its last valid program so far)"""
    valid = [t for t in episode.turns[:turn] if t.valid]
    return bool(valid) and valid[-1].hidden_passed


def summarize_run(episodes: list[Episode], turns: int) -> dict[str, float]:
    """The numbers ``codeloop eval`` prints; n@k counts every turn as a sample.

    A task whose episodes used fewer turn-samples than k (they stopped early, their public
    tests passing) is scored with all the samples it has.
    """
    by_task: dict[str, list[Episode]] = defaultdict(list)
    for episode in episodes:
        by_task[episode.task_id].append(episode)
    if not by_task:
        return {"tasks": 0}
    summary: dict[str, float] = {"tasks": len(by_task), "episodes": len(episodes)}
    samples = min(len(v) for v in by_task.values())
    for k in (k for k in PASS_AT_K if k <= samples):
        summary[f"single_turn_pass@{k}"] = _mean(pass_at_k(len(v), sum(e.first_turn_passed for e in v), k)
                                                 for v in by_task.values())
        summary[f"final_pass@{k}"] = _mean(pass_at_k(len(v), sum(e.passed for e in v), k)
                                           for v in by_task.values())
    final = [pass_at_k(len(v), sum(e.passed for e in v), 1) for v in by_task.values()]
    summary["final_pass@1_ci95"] = [round(x, 4) for x in bootstrap_ci(final)]
    for turn in range(1, turns + 1):
        summary[f"solved_by_turn_{turn}"] = _mean(_mean(solved_by_turn(e, turn) for e in v) for v in by_task.values())
    budget = samples * turns
    for n, k in N_AT_K_BUDGETS:
        if k > budget:
            continue
        values = []
        for group in by_task.values():
            points = [(t.public_passed, t.hidden_passed) for e in group for t in e.turns]
            kk = min(k, len(points))
            values.append(n_at_k(points, min(n, kk), kk))
        summary[f"{n}@{k}"] = _mean(values)
    summary["invalid_turns"] = sum(not t.valid for e in episodes for t in e.turns)
    summary["completion_tokens"] = sum(t.completion_tokens for e in episodes for t in e.turns)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()}


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
