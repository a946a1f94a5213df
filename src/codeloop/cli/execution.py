"""``codeloop run``, ``codeloop judge`` and ``codeloop doctor``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from codeloop.cli.common import add_packages, command, packages, read_jsonl, read_text
from codeloop.settings import positive_float, positive_int

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


EXTENSIONS = {".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".java": "java", ".js": "nodejs", ".mjs": "nodejs",
              ".rs": "rust", ".go": "go"}


def language_name(text: str) -> str:
    """An argparse type: a language of the sandbox's table, by name or alias."""
    from codeloop.sandbox.languages import language
    try:
        return language(text).name
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_language_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--language", type=language_name, metavar="NAME",
                        help="python, cpp, java, nodejs, rust or go (aliases: python3, c++, cpp17, javascript, js, "
                             "...); default: from the file's extension, else python")


def _language(args: argparse.Namespace) -> str:
    import os
    return args.language or EXTENSIONS.get(os.path.splitext(args.program)[1].lower(), "python")


def register(commands: argparse._SubParsersAction) -> None:
    run = command(commands, "run", "run a program in the sandbox (compiled first in a compiled language)")
    run.add_argument("program", metavar="PROGRAM", help="the program's source file")
    run.add_argument("--stdin", metavar="FILE", help="file to feed on standard input")
    _add_language_flag(run)
    _add_limit_flags(run)
    add_packages(run)
    run.set_defaults(handler=run_command)

    judge = command(commands, "judge", "judge a program against stdin/stdout tests")
    judge.add_argument("program", metavar="PROGRAM", help="the program's source file")
    judge.add_argument("tests", metavar="TESTS.jsonl", help='lines of {"input": ..., "output": ...}')
    _add_language_flag(judge)
    _add_limit_flags(judge)
    add_packages(judge)
    judge.set_defaults(handler=judge_command)

    doctor = command(commands, "doctor", "show which isolation layers are active")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    doctor.set_defaults(handler=doctor_command)


def run_command(args: argparse.Namespace) -> int:
    from codeloop.sandbox import Run, Sandbox
    source = read_text(args.program)
    stdin = read_text(args.stdin) if args.stdin else ""
    limits = _limits(args)
    with Sandbox(workers=1, **packages(args)) as sandbox:
        execution = sandbox.execute(Run(source, stdin=stdin, limits=limits, language=_language(args)))
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
    with Sandbox(**packages(args)) as sandbox:
        judgement = Judge(sandbox).judge(source, tests, _limits(args), language=_language(args))
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
    from codeloop.sandbox import LANGUAGES, Sandbox
    from codeloop.sandbox.languages import missing_tools
    with Sandbox(workers=1) as sandbox:
        layers = sandbox.layers
        probe = sandbox.run("print('ok')")
    languages = {name: ("missing " + ", ".join(missing) if (missing := missing_tools(row)) else "ready")
                 for name, row in LANGUAGES.items()}
    llvm, swe = _llvm(), _swe_tools()
    if args.json:
        print(json.dumps({"layers": layers, "languages": languages, "llvm": llvm, "swe": swe,
                          "probe": probe.verdict}))
        return 0 if probe.ok else 1
    width = max(map(len, [*layers, "languages"]))
    for name, state in layers.items():
        print(f"{name:<{width}}  {state}")
    print(f"{'languages':<{width}}  " + ", ".join(f"{name} {state}" for name, state in languages.items()))
    print(f"{'llvm':<{width}}  {llvm}")
    print(f"{'swe':<{width}}  {swe}")
    print(f"{'probe run':<{width}}  {probe.verdict} in {probe.wall_s * 1000:.1f} ms")
    return 0 if probe.ok else 1


def _swe_tools() -> str:
    """What ``codeloop swe`` finds: its isolation, image tools and grader."""
    import importlib.util
    import shutil
    tools = {"bwrap": "isolation", "skopeo": "images", "umoci": "images", "mmdebstrap": "fixture image"}
    missing = [f"{tool} ({use})" for tool, use in tools.items() if shutil.which(tool) is None]
    grader = "swebench" if importlib.util.find_spec("swebench") else "codeloop (swebench not installed)"
    return (f"missing {', '.join(missing)}; " if missing else "bwrap, skopeo, umoci, mmdebstrap; ") + f"grader {grader}"


def _llvm() -> str:
    """The LLVM toolchain ``codeloop compiler`` uses: its version and folder, or what is missing."""
    from codeloop.compiler.llvm import find_toolchain
    try:
        toolchain = find_toolchain()
    except FileNotFoundError as error:
        return f"missing ({error})"
    return f"LLVM {toolchain.version} ({toolchain.bin_dir})"
