"""Third-party packages in the sandbox: the per-run cost of a program that imports numpy, with
numpy preloaded in the fork server (``--preload numpy``) against importing it in every run, and
against a bare run that imports nothing, in one run: one sandbox each, their runs interleaved.
Target: preloaded <= 2x a bare run.

    python benchmarks/packages.py [--runs 200] [--module numpy]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from codeloop.sandbox import Sandbox

PROGRAMS = {"numpy": "import numpy\nprint(numpy.arange(3).sum())\n", "sympy": "import sympy\nprint(sympy.Integer(3))\n"}


def run_ms(box: Sandbox, source: str) -> float:
    started = time.perf_counter()
    execution = box.run(source)
    assert execution.stdout == "3\n", execution
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per variant, one at a time (default: 200)")
    parser.add_argument("--module", choices=list(PROGRAMS), default="numpy", help="the package (default: numpy)")
    args = parser.parse_args()
    program = PROGRAMS[args.module]
    variants = {"bare run (print(3))": ({}, "print(3)\n"),
                f"import {args.module} in every run": ({"python_env": sys.prefix}, program),
                f"{args.module} preloaded": ({"python_env": sys.prefix, "preload": [args.module]}, program)}
    boxes = {name: Sandbox(workers=1, **options) for name, (options, _) in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for name, (_, source) in variants.items():
            run_ms(boxes[name], source)  # the first run pays for the fork server's start
        for _ in range(args.runs):  # interleaved, so the machine's drift reaches every variant alike
            for name, (_, source) in variants.items():
                times[name].append(run_ms(boxes[name], source))
    finally:
        for box in boxes.values():
            box.close()
    timings = {name: statistics.median(values) for name, values in times.items()}
    bare = timings["bare run (print(3))"]
    for name, ms in timings.items():
        print(f"{name:28s} {ms:8.2f} ms a run (median of {args.runs})  {ms / bare:6.2f}x bare")
    ratio = timings[f"{args.module} preloaded"] / bare
    print(f"preloaded / bare: {ratio:.2f}x (target <= 2x)")
    print(json.dumps({"module": args.module, "runs": args.runs, "ms": timings, "preloaded_over_bare": ratio}))


if __name__ == "__main__":
    main()
