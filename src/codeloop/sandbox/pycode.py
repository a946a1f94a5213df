"""Python source compiled on the host: programs (their runs then skip their own ``compile``) and
harnesses (sent to each slot once). Cached: a program judged on several tests compiles once."""

from __future__ import annotations

import functools
import marshal
import threading
import warnings
from types import CodeType

# warnings.catch_warnings swaps process-wide state, so host threads compile one at a time
_COMPILE_LOCK = threading.Lock()
# The largest source compiled on the host, holding the GIL: compile time is quadratic in the
# worst case (one f-string of {a} fields: 8 KB 36 ms, 30 KB 0.35 s, 360 KB 8.5 s, measured).
# A larger program compiles in its own run, under the run's limits; larger test code in the harness.
HOST_COMPILE_BYTES = 8192


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
