"""Function-style tests (call, expr, script) as paired sandbox runs.

The trusted side never runs candidate code: the test, the prompt's helper definitions and the
expected values live in a harness process (``harness_program.py``) that calls the program's
functions through ``codeloop/sandbox/forkserver/rpc.py``, arguments and results crossing as plain data. The
verdict is the harness's report alone; the program's exit status, stdout and stderr never make a
pass. See the README's "What the judge guarantees".

Which of the program's names the harness binds: ``Test.names`` when given (HumanEval: the entry
point alone, even though the prompt defines a stub of it; MBPP: the entry point, even where a
builtin has its name, as MBPP/126's ``sum``, plus the test's free names its reference solution
defines, as ``Node``); otherwise ``free_names`` that are not standard modules: every name the
test or its set-up reads as a global but neither binds and no builtin has. A free name that is a
standard module (MBPP/596's ``sys``, a test's ``math.isclose``) is the harness's own import, never
the program's object, unless the test names it or calls it (``heapq(x)``: no module is
callable). So the prompt's helpers (HumanEval/32's ``poly``), ``math`` or ``sorted`` in a test
stay the trusted ones.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import symtable
import sys
import warnings
from pathlib import Path
from types import CodeType

from codeloop.judge.checkers import values_equal
from codeloop.judge.tests import Test, TestKind
from codeloop.sandbox import Execution, Harness, Verdict, compile_quietly
from codeloop.sandbox.forkserver.codec import ProtocolError, decode_plain
from codeloop.sandbox.pycode import HOST_COMPILE_BYTES

HARNESS_SOURCE = (Path(__file__).with_name("harness_program.py").read_text()
                  + "\nmain(DATA, rpc, REPORT_FD, CALLS_FD, REPLIES_FD)\n")
_BUILTINS = frozenset(dir(builtins))
LIMITS = {Verdict.TLE: "the time limit was exceeded", Verdict.MLE: "the memory limit was exceeded",
          Verdict.OLE: "the output limit was exceeded", Verdict.SE: "the sandbox failed"}


def _globals(source: str) -> tuple[set[str], set[str]]:
    """(names read as globals in any scope, names bound at module level) of ``source``."""
    read, bound = set(), set()
    try:
        top = symtable.symtable(source, "test.py", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # the harness reports it when it runs
        return read, bound
    tables = [top]
    while tables:
        table = tables.pop()
        for symbol in table.get_symbols():
            if table is top:
                if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace():
                    bound.add(symbol.get_name())
                if symbol.is_referenced():
                    read.add(symbol.get_name())
            elif symbol.is_global() and symbol.is_referenced():
                read.add(symbol.get_name())
        tables.extend(table.get_children())
    return read, bound


def free_names(*sources: str) -> list[str]:
    """Names the ``sources`` (test code, its set-up) read as globals but none binds and no builtin has."""
    read, bound = set(), set()
    for source in sources:
        source_read, source_bound = _globals(source)
        read |= source_read
        bound |= source_bound
    return sorted(read - bound - _BUILTINS)


def _test_free_names(test: Test) -> list[str]:
    return free_names(test.input, test.setup, *([test.output] if test.kind == TestKind.EXPR else []))


def defined_names(source: str) -> set[str]:
    """The names ``source`` defines at module level (functions, classes, assignments), not those
    it imports."""
    try:
        with warnings.catch_warnings():  # a reference's invalid escapes are not the reader's business
            warnings.simplefilter("ignore")
            top = symtable.symtable(source, "solution.py", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {symbol.get_name() for symbol in top.get_symbols()
            if (symbol.is_assigned() or symbol.is_namespace()) and not symbol.is_imported()}


def program_names(test: Test) -> list[str]:
    """The program's names the harness binds for ``test``."""
    if test.kind == TestKind.CALL:
        return [test.fn_name, "Solution"]
    if test.names:
        return list(test.names)
    called = _called_names(test)
    return [name for name in _test_free_names(test) if name not in sys.stdlib_module_names or name in called]


def _called_names(test: Test) -> set[str]:
    """Names the test calls directly (``heapq(x)``: a function of the program's, not the module,
    which cannot be called)."""
    called = set()
    for source in (test.input, test.setup, test.output if test.kind == TestKind.EXPR else ""):
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        called |= {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call)
                   and isinstance(node.func, ast.Name)}
    return called


def module_names(test: Test, names: list[str]) -> list[str]:
    """The test's free names that are standard modules and not the program's: the harness imports
    its own."""
    if test.kind == TestKind.CALL:
        return []
    return [name for name in _test_free_names(test) if name in sys.stdlib_module_names and name not in names]


def _compiled(source: str, mode: str) -> CodeType | str:
    """The test's code compiled here once; if it does not compile, or is too large to compile
    here (``HOST_COMPILE_BYTES``), its text: the harness compiles it, in the sandbox (and reports
    a SyntaxError as the test's error)."""
    if len(source) > HOST_COMPILE_BYTES:
        return source
    code, _, _ = compile_quietly(source, "test.py", mode)
    return code if code is not None else source


def _large(test: Test) -> bool:
    return len(test.input) + len(test.output) + len(test.setup) > HOST_COMPILE_BYTES


def harness_for(test: Test) -> Harness:
    """The harness of a function-style test, with the test's code compiled once. A test too
    large to parse here (``HOST_COMPILE_BYTES``) must name the program's names, and imports the
    modules it uses; it is not kept (the cache holds small tests only)."""
    if not _large(test):
        return _harness_for(test)
    if test.kind != TestKind.CALL and not test.names:
        raise ValueError(f"a {test.kind} test of more than {HOST_COMPILE_BYTES} bytes must give its names "
                         "(the program's names it reads)")
    return _build_harness(test, program_names(test), [])


@functools.lru_cache(maxsize=4096)
def _harness_for(test: Test) -> Harness:
    names = program_names(test)
    return _build_harness(test, names, module_names(test, names))


def _build_harness(test: Test, names: list[str], modules: list[str]) -> Harness:
    data = {"kind": str(test.kind), "names": names, "modules": modules, "fn_name": test.fn_name,
            "setup": _compiled(test.setup, "exec") if test.setup else None}
    if test.kind == TestKind.SCRIPT:
        data["code"] = _compiled(test.input, "exec")
    elif test.kind == TestKind.EXPR:
        data.update(code=_compiled(test.input, "eval"), expected=_compiled(test.output, "eval"))
    else:
        data["args"] = json.loads(test.input)
    return Harness(HARNESS_SOURCE, data, tuple(names))


def _report(execution: Execution) -> dict | None:
    try:
        report = json.loads(execution.report or "")
    except ValueError:
        return None
    return report if isinstance(report, dict) and isinstance(report.get("outcome"), str) else None


def verdict_of(test: Test, execution: Execution) -> tuple[Verdict, str, str]:
    """(verdict, what the program gave, the error text) of a paired run; only a harness report of
    a pass within every limit is OK."""
    report = _report(execution)
    stderr = execution.stderr.strip()
    if execution.verdict != Verdict.OK:
        report = report or {}
        reason = str(report.get("error") or report.get("failure") or stderr or LIMITS.get(execution.verdict, ""))
        return Verdict(execution.verdict), "", reason
    if report is None:
        return Verdict.RE, "", "the test harness gave no verdict" + (f"\n{stderr}" if stderr else "")
    outcome, got = report["outcome"], str(report.get("got_repr", ""))
    if outcome == "pass":
        if test.kind == TestKind.EXPR:
            return (Verdict.OK if report.get("equal") is True else Verdict.WA), got, ""
        if test.kind == TestKind.CALL:
            return (Verdict.OK if _call_passed(test, report.get("got")) else Verdict.WA), got, ""
        return Verdict.OK, got, ""
    error = str(report.get("error", ""))
    if outcome == "assertion":
        return Verdict.WA, got, error
    if outcome == "error":
        return (Verdict.MLE if report.get("exception") == "MemoryError" else Verdict.RE), got, error
    failure = str(report.get("failure", "the program broke the call protocol"))
    text = failure + (f"\n{stderr}" if stderr and report.get("failure_kind") == "ended" else "")
    return (Verdict.WA if report.get("failure_kind") == "value" else Verdict.RE), got, text


def _call_passed(test: Test, encoded: object) -> bool:
    """A call test's value against ``json.loads(output)``; as in APPS, ``[x]`` also accepts ``x``."""
    try:
        got = decode_plain(encoded)
    except ProtocolError:
        return False
    expected = json.loads(test.output)
    wrapped = isinstance(expected, list) and len(expected) == 1 and values_equal(got, expected[0])
    return values_equal(got, expected) or wrapped
