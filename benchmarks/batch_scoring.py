"""Scoring a step's completions: one program at a time against all at once (``Judge.judge_many``),
and the async path verl's reward loop takes (``Judge.ajudge``), in one run.

The completions are what an RL step scores: 1,024 stdin/stdout programs (a quarter right, a
quarter wrong, a quarter raising, a quarter right on half the tests; each text distinct, so the
judge's cache never answers), 10 tests each. Every way must give the same verdicts.

    python benchmarks/batch_scoring.py [--completions 1024] [--tests 10] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from codeloop.judge import Judge, JudgeRequest, stdio_test
from codeloop.sandbox import Limits, Sandbox

BODIES = ("print(a + b)", "print(a - b)", "print(a + b // 0)", "print(a + b if a % 2 else 0)")


def requests(count: int, tests: int) -> list[JudgeRequest]:
    cases = [stdio_test(f"{i} {i * 7}\n", f"{i * 8}\n") for i in range(1, tests + 1)]
    return [JudgeRequest(f"# completion {n}\na, b = map(int, input().split())\n{BODIES[n % 4]}\n", cases,
                         Limits(cpu_s=2)) for n in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--completions", type=int, default=1024, help="programs to score (default: 1024)")
    parser.add_argument("--tests", type=int, default=10, help="tests per program (default: 10)")
    parser.add_argument("--quick", action="store_true", help="64 programs: a check that it runs")
    args = parser.parse_args()
    batch = requests(64 if args.quick else args.completions, args.tests)
    with Sandbox() as box:
        Judge(box).judge("print(1)", [stdio_test("", "1\n")])  # the fork server warmed up
        timings, verdicts = {}, {}
        started = time.perf_counter()
        judge = Judge(box)
        verdicts["one at a time"] = [judge.judge(r.program, r.tests, r.limits).verdict for r in batch]
        timings["one at a time"] = time.perf_counter() - started
        started = time.perf_counter()
        verdicts["judge_many"] = [j.verdict for j in Judge(box).judge_many(batch)]
        timings["judge_many"] = time.perf_counter() - started

        async def awaited() -> list:
            judge = Judge(box)
            return await asyncio.gather(*(judge.ajudge(r.program, r.tests, r.limits) for r in batch))

        started = time.perf_counter()
        verdicts["ajudge (verl's async path)"] = [j.verdict for j in asyncio.run(awaited())]
        timings["ajudge (verl's async path)"] = time.perf_counter() - started
    base = timings["one at a time"]
    print(f"{len(batch)} completions x {args.tests} tests, {box.workers} sandbox slots")
    for name, seconds in timings.items():
        print(f"{name:30s} {seconds:7.2f} s  {len(batch) / seconds:7.1f} programs/s  {base / seconds:5.2f}x")
    agree = all(v == verdicts["one at a time"] for v in verdicts.values())
    print(f"same verdicts: {agree}")
    print(json.dumps({"completions": len(batch), "tests": args.tests, "seconds": timings, "same_verdicts": agree}))


if __name__ == "__main__":
    main()
