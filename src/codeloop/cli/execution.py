"""``codeloop run``, ``codeloop judge`` and ``codeloop doctor``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from codeloop.cli.common import command, positive_float, positive_int, read_jsonl, read_text

if TYPE_CHECKING:
    from codeloop.judge import Test
    from codeloop.sandbox import Limits


def _limits(args: argparse.Namespace) -> Limits:
    from codeloop.sandbox import Limits
    return Limits(cpu_s=args.time_limit, memory_mb=args.memory_mb)


def _add_limit_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--time-limit", type=positive_float, default=10.0, metavar="SEC",
                        help="CPU seconds per run (wall limit: 2x + 1 s; default: 10)")
    parser.add_argument("--memory-mb", type=positive_int, default=1024, metavar="MB",
                        help="memory limit in MB (default: 1024)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def register(commands: argparse._SubParsersAction) -> None:
    run = command(commands, "run", "run a Python program in the sandbox")
    run.add_argument("program", metavar="PROGRAM.py", help="the program")
    run.add_argument("--stdin", metavar="FILE", help="file to feed on standard input")
    _add_limit_flags(run)
    run.set_defaults(handler=run_command)

    judge = command(commands, "judge", "judge a program against stdin/stdout tests")
    judge.add_argument("program", metavar="PROGRAM.py", help="the program")
    judge.add_argument("tests", metavar="TESTS.jsonl", help='lines of {"input": ..., "output": ...}')
    _add_limit_flags(judge)
    judge.set_defaults(handler=judge_command)

    doctor = command(commands, "doctor", "show which isolation layers are active")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    doctor.set_defaults(handler=doctor_command)


def run_command(args: argparse.Namespace) -> int:
    from codeloop.sandbox import Sandbox
    source = read_text(args.program)
    stdin = read_text(args.stdin) if args.stdin else ""
    limits = _limits(args)
    with Sandbox(workers=1) as sandbox:
        execution = sandbox.run(source, stdin=stdin, limits=limits)
    if args.json:
        print(json.dumps(execution.to_dict()))
    else:
        print(execution.stdout, end="")
        print(execution.stderr, end="", file=sys.stderr)
        print(f"[{execution.verdict}] exit={execution.exit_code} signal={execution.signal} "
              f"cpu={execution.cpu_s:.3f}s wall={execution.wall_s:.3f}s rss={execution.max_rss_mb:.1f}MB",
              file=sys.stderr)
    return 0 if execution.ok else 1


def load_stdio_tests(path: str) -> list[Test]:
    from codeloop.judge import Test, stdio_test
    tests = []
    for where, record in read_jsonl(path):
        if "kind" in record:
            tests.append(Test.from_dict(record))
            continue
        for field in ("input", "output"):
            if not isinstance(record.get(field), str):
                raise ValueError(f"{where}: field {field!r} must be a string")
        tests.append(stdio_test(record["input"], record["output"]))
    if not tests:
        raise ValueError(f"{path}: no tests found")
    return tests


def judge_command(args: argparse.Namespace) -> int:
    from codeloop.judge import Judge
    from codeloop.sandbox import Sandbox
    source = read_text(args.program)
    tests = load_stdio_tests(args.tests)
    with Sandbox() as sandbox:
        judgement = Judge(sandbox).judge(source, tests, _limits(args))
    if args.json:
        print(json.dumps(judgement.to_dict()))
    else:
        if judgement.compile_error:
            print(f"compile error: {judgement.compile_error}")
        for index, result in enumerate(judgement.results, start=1):
            timing = f" ({result.execution.cpu_s:.3f}s)" if result.execution else ""
            print(f"test {index}: {result.verdict}{timing}")
        print(f"verdict: {judgement.verdict}")
    return 0 if judgement.passed else 1


def doctor_command(args: argparse.Namespace) -> int:
    from codeloop.sandbox import Sandbox
    with Sandbox(workers=1) as sandbox:
        layers = sandbox.layers
        probe = sandbox.run("print('ok')")
    if args.json:
        print(json.dumps({"layers": layers, "probe": probe.verdict}))
        return 0 if probe.ok else 1
    width = max(map(len, layers))
    for name, state in layers.items():
        print(f"{name:<{width}}  {state}")
    print(f"{'probe run':<{width}}  {probe.verdict} in {probe.wall_s * 1000:.1f} ms")
    return 0 if probe.ok else 1
