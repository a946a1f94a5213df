"""The trusted side of a function-style test, run as the harness of a paired sandbox run.

Standard library only: this file's text is the harness program (``codeloop.judge.harness``
appends the call to ``main``). It runs the test's trusted code (the prompt's helpers, the test
set-up) in a namespace of its own, binds the names the test needs from the program as proxies
(``rpc``: calls cross as data only), runs the test, and writes one JSON report to its own
descriptor. The program never sees this process's memory, descriptors or data.

Report: ``{"outcome": "pass" | "assertion" | "error" | "program", ...}`` with ``error`` (the
traceback: the program's own when the exception came from the program, else the test's),
``exception`` (its type), ``failure`` (why the program broke the protocol or died), and per kind
``got``/``got_repr``/``expected_repr``/``equal``.
"""

import builtins
import contextlib
import importlib
import json
import os
import traceback

MAX_TEXT = 4096


def _text(error: BaseException) -> str:
    """The program's own traceback when the exception came from it (what feedback shows, as in
    RLEF's), else the test's frames and the exception."""
    program_text = getattr(error, "program_traceback", "")
    if program_text:
        return program_text[-MAX_TEXT:]
    frames = traceback.extract_tb(error.__traceback__)
    shown = [frame for frame in frames if frame.filename == "test.py"]
    lines = traceback.format_list(shown) if shown else []
    lines += traceback.format_exception_only(type(error), error)
    text = "Traceback (most recent call last):\n" + "".join(lines) if shown else "".join(lines)
    return text[-MAX_TEXT:]


def _safe_repr(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int past the interpreter's 4300-digit conversion limit (nested or not)
        return f"<a value holding an integer too long to print ({type(value).__name__})>"
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."


def run_test(data: dict, remote: object, rpc: object) -> dict:
    namespace = {"__name__": "__test__", "__builtins__": builtins}
    for name in data["modules"]:  # standard modules the test reads: its own, never the program's objects
        with contextlib.suppress(ImportError):
            namespace[name] = importlib.import_module(name)
    bound = remote.bind(data["names"])  # also in Harness.names, which the program describes unasked
    namespace.update(bound)  # the set-up may build the program's objects (MBPP's trees of Node)
    if data["setup"] is not None:
        exec(data["setup"], namespace)
    namespace.update(bound)  # and the names taken from the program win over its stubs
    kind = data["kind"]
    if kind == "script":
        exec(data["code"], namespace)
        return {}
    if kind == "expr":
        got = eval(data["code"], namespace)
        expected = eval(data["expected"], namespace)
        return {"equal": bool(got == expected), "got_repr": _safe_repr(got), "expected_repr": _safe_repr(expected)}
    function = namespace.get(data["fn_name"])
    if function is None and "Solution" in namespace:
        function = getattr(namespace["Solution"](), data["fn_name"])
    if function is None:
        raise NameError(f"name {data['fn_name']!r} is not defined")
    got = function(*data["args"])
    try:
        return {"got": rpc.Encoder()(got), "got_repr": _safe_repr(got)}
    except rpc.Unsupported as error:
        raise remote.fail(f"the call returned {error}", "value") from None


def main(data: dict, rpc: object, report_fd: int, calls_fd: int, replies_fd: int) -> None:
    remote = rpc.Remote(replies_fd, calls_fd)
    try:
        report = run_test(data, remote, rpc)
        report["outcome"] = "pass"
    except AssertionError as error:
        report = {"outcome": "assertion", "error": _text(error)}
    except rpc.ProgramFailure:
        report = {}
    except BaseException as error:
        report = {"outcome": "error", "exception": type(error).__name__, "error": _text(error)}
    if remote.failure is not None:  # whatever the test code did with it, the program failed
        report.update(outcome="program", failure=remote.failure[1][:MAX_TEXT], failure_kind=remote.failure[0])
    data = json.dumps(report).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(report_fd, view):]
