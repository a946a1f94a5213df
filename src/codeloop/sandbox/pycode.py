"""Python source compiled on the host: programs (their runs then skip their own ``compile``) and
harnesses (sent to each slot once). Cached: a program judged on several tests compiles once.
Only small sources compile here (``HOST_COMPILE_BYTES``); a large one's compile check runs in
the sandbox (``syntax_error``)."""

from __future__ import annotations

import functools
import json
import marshal
import threading
import warnings
from collections.abc import Callable
from types import CodeType

from codeloop.sandbox.runs import Execution, Verdict

# warnings.catch_warnings swaps process-wide state, so host threads compile one at a time
_COMPILE_LOCK = threading.Lock()
# The largest source compiled on the host, holding the GIL: compile time is quadratic in the
# worst case (one f-string of {a} fields: 8 KB 36 ms, 30 KB 0.35 s, 360 KB 8.5 s, measured).
# A larger program compiles in its own run, under the run's limits; larger test code in the harness.
HOST_COMPILE_BYTES = 8192
# A large program's compile check, run in the sandbox: it compiles the source (never runs it) and
# prints the error, if any, as JSON
SYNTAX_CHECK = """import json, sys
try:
    compile(open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read(), sys.argv[2], "exec",
            dont_inherit=True)
except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as error:
    print(json.dumps({"type": type(error).__name__, "msg": str(getattr(error, "msg", error)),
                      "lineno": getattr(error, "lineno", None)}))
"""
COMPILE_ERRORS = {error.__name__: error for error in (SyntaxError, IndentationError, TabError, ValueError,
                                                      OverflowError, RecursionError, MemoryError)}


@functools.lru_cache(maxsize=512)
def compile_quietly(source: str, filename: str, mode: str = "exec") -> tuple[CodeType | None, Exception | None, bool]:
    """``compile(source)`` with its warnings recorded, not shown: (the code or None, the error,
    whether it warned). Thread-safe; the last few hundred results are kept (a program judged on
    several tests, then checked for a compile error, compiles once)."""
    with _COMPILE_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return compile(source, filename, mode, dont_inherit=True), None, bool(caught)
        except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as error:
            return None, error, bool(caught)


def compile_here(source: str, path: str) -> dict[str, str | bytes]:
    """The program compiled on the host, marshalled: the run skips its own ``compile``, which
    costs ~2.5x more there (the fork server's parser memory is copy-on-write). Empty when it
    does not compile cleanly; the run then compiles it and prints the error or warnings as
    Python would."""
    if len(source) > HOST_COMPILE_BYTES:
        return {}
    code, _, warned = compile_quietly(source, path)
    return {} if code is None or warned else {"code": marshal.dumps(code), "code_file": path}


@functools.lru_cache(maxsize=64)
def compiled_harness(source: str) -> tuple[str, str]:
    """A harness's code, compiled here once and marshalled (hex), with the id slots keep it by:
    (id, code)."""
    code, error, _ = compile_quietly(source, "harness.py")
    if code is None:
        raise ValueError(f"the harness does not compile: {error}")
    import hashlib  # here: imported at start-up, it would delay the fork server's spawn by 3 ms
    marshalled = marshal.dumps(code).hex()
    return hashlib.sha256(marshalled.encode()).hexdigest(), marshalled


def not_text(source: str) -> UnicodeEncodeError | None:
    """The error writing ``source`` as a run's file raises (a lone surrogate; bytes escaped as
    surrogates are written back as bytes), or None."""
    try:
        source.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as error:
        return error
    return None


def syntax_error(source: str, path: str, run: Callable[..., Execution]) -> Exception | None:
    """The error compiling ``source`` (as the file ``path``) raises, or None. Compiled here when
    small (``HOST_COMPILE_BYTES``), else by ``SYNTAX_CHECK`` in a run of its own (``run(source,
    files=, argv=)``, under the caller's limits): the host never spends a large compile's time
    holding the GIL."""
    error = not_text(source)
    if error is not None or len(source) <= HOST_COMPILE_BYTES:
        return error or compile_quietly(source, path)[1]
    check = run(SYNTAX_CHECK, files={"source.py": source}, argv=["source.py", path])
    if check.verdict in (Verdict.TLE, Verdict.MLE):
        limit = "time" if check.verdict == Verdict.TLE else "memory"
        return SyntaxError(f"the program exceeds the compile's {limit} limit")
    try:
        found = json.loads(check.stdout) if check.ok and check.stdout else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        return None
    error = COMPILE_ERRORS.get(str(found.get("type")), SyntaxError)(str(found.get("msg", "")))
    if isinstance(error, SyntaxError):
        error.lineno = found.get("lineno") if isinstance(found.get("lineno"), int) else None
    return error
