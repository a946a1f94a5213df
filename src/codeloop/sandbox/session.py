"""Sessions: one sandboxed Python process whose globals persist across calls, like a notebook.

An agent (a model calling a code tool mid-reasoning) runs cell after cell in one ``Session``;
the session's process is an ordinary program of the sandbox (``session_driver.py``), with every
layer of a run, that holds a slot of a ``SessionPool``'s own fork server until it ends. Limits:

- **per call**, ``call_timeout_s`` of wall time, kept by the host: a cell still running then is
  stopped with its session (its variables are gone; the next call needs a new session);
- **per session**, the ``Limits`` of a run: ``cpu_s`` (all cells together), ``wall_s`` (the
  session's whole life, idle time included: an abandoned session ends by itself), ``memory_mb``,
  ``processes``, ``file_size_mb`` (its working directory, which persists between cells).

``close()`` ends a session at once (its slot kills the process if it is busy) and returns the
session's ``Execution``. A session's replies are the program's own words, read as untrusted text
(length-capped, JSON): a cell can spoil its own session's output, nothing else. Nothing a session
does reaches a verdict: rewards judge a submission in fresh runs (``codeloop.rl.tools``).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codeloop.sandbox.runs import Execution, Limits, Run, Verdict
from codeloop.sandbox.sandbox import Sandbox

if TYPE_CHECKING:
    from collections.abc import Sequence

SESSION_LIMITS = Limits(cpu_s=60, wall_s=600, memory_mb=1024)
# A reply's bytes per byte of output at most: stdout, stderr and the error text are each cut at
# output_bytes (the error by characters: 4 bytes of UTF-8), and JSON writes a control character
# in 6 bytes (``\u0000``)
REPLY_BYTES_PER_OUTPUT_BYTE = 3 * 6 * 4
DRIVER = (Path(__file__).with_name("session_driver.py")).read_text()
VERDICT_WORDS = {Verdict.MLE: "it ran out of memory", Verdict.TLE: "it used up its CPU or wall time",
                 Verdict.OLE: "it wrote too much output", Verdict.SE: "the sandbox failed"}


@dataclass(frozen=True)
class CellOutput:
    """What one call printed, and its error: a traceback, or why the session ended ("" if none)."""

    stdout: str = ""
    stderr: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def text(self) -> str:
        """The output as a tool shows it to a model."""
        parts = [self.stdout, self.stderr and "[stderr]\n" + self.stderr, self.error]
        return "\n".join(part.rstrip("\n") for part in parts if part) or "(no output)"


class SessionEnded(RuntimeError):
    """A call to a session that has ended."""


class Session:
    """One live sandboxed Python process (see the module's docstring); thread-safe, one call at a time."""

    def __init__(self, sandbox: Sandbox, limits: Limits = SESSION_LIMITS, *, call_timeout_s: float = 10.0,
                 output_bytes: int = 1 << 16, wait_s: float | None = None) -> None:
        self.limits, self.call_timeout_s, self.output_bytes = limits, call_timeout_s, output_bytes
        self._lock = threading.Lock()  # one call at a time
        self._fd_lock = threading.Lock()  # the descriptors: close() ends a session while a call runs
        self._open = self._signalled = False
        calls_r, self._calls = os.pipe()
        self._replies, replies_w = os.pipe()
        lifeline_r, self._lifeline = os.pipe()  # a byte on it ends the session, whoever else holds the pipes
        for fd in (self._calls, self._lifeline):
            os.set_blocking(fd, False)  # a process that stops reading cannot hold a call forever
        try:
            run = Run(DRIVER, argv=[str(output_bytes)], limits=limits, filename=".session.py")
            self._ended = sandbox.start_session(run, (calls_r, replies_w, lifeline_r), wait_s)
        except BaseException:
            for fd in (self._calls, self._replies, self._lifeline):
                os.close(fd)
            raise
        finally:
            for fd in (calls_r, replies_w, lifeline_r):
                os.close(fd)
        self._open = True

    @property
    def alive(self) -> bool:
        return self._open and not self._ended.done()

    def run(self, code: str, timeout_s: float | None = None) -> CellOutput:
        """Run ``code`` in the session's namespace; ``SessionEnded`` if it has ended before."""
        timeout_s = self.call_timeout_s if timeout_s is None else min(timeout_s, self.call_timeout_s)
        try:
            data = code.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as error:
            raise ValueError(f"code: not encodable as UTF-8 ({error.reason} at {error.start})") from None
        with self._lock:
            if not self._open:
                raise SessionEnded("the session has ended: open a new one")
            deadline = time.monotonic() + timeout_s
            try:
                sent = _write_all(self._calls, len(data).to_bytes(4, "big") + data, deadline)
            except OSError:  # the process has gone: why is in its execution
                return self._end_badly("")
            reply = self._read_reply(deadline) if sent else None
            if reply is None:
                return self._end_badly(f"TimeoutError: the call ran past {timeout_s:g} s")
            return reply

    def _read_reply(self, deadline: float) -> CellOutput | None:
        """The next reply; None when the deadline passes first. A session that ends, or answers
        what is not a reply, is ended (the output says why)."""
        header = _read_exact(self._replies, 4, deadline)
        if header is None or header == b"":
            return None if header is None else self._end_badly("")
        size = int.from_bytes(header, "big")
        if size > REPLY_BYTES_PER_OUTPUT_BYTE * self.output_bytes + (1 << 16):
            return self._end_badly("the session's process sent a reply too long to be one")
        body = _read_exact(self._replies, size, deadline) if size else b"{}"
        if body is None:
            return None
        if not body:
            return self._end_badly("")
        try:
            fields = json.loads(body)
            texts = {name: str(fields[name]).encode("utf-8", "replace").decode()  # no lone surrogate
                     for name in ("stdout", "stderr", "error")}
            return CellOutput(**texts)
        except Exception:  # any reply that is not one (RecursionError: JSON nested too deep)
            return self._end_badly("the session's process sent a malformed reply")

    def _end_badly(self, why: str) -> CellOutput:
        closed = self._signalled  # by close() from another thread, before this call saw its end
        execution = self._finish()
        if not why and closed:
            why = "the session was closed while the call ran"
        elif not why:
            why = f"the session's process ended ({VERDICT_WORDS.get(execution.verdict, _exit_words(execution))})"
        tail = execution.stderr.strip()[-2000:]
        return CellOutput(stderr=tail, error=f"{why}; the session has ended and its variables are gone")

    def _finish(self) -> Execution:
        self._hang_up()
        return self._ended.result(self.limits.wall_s + 15)

    def _signal_end(self) -> None:
        """Tell the slot the session is over: it stops the process now if it is still running."""
        with self._fd_lock:
            if self._open and not self._signalled:
                self._signalled = True
                with contextlib.suppress(OSError):  # gone already: the session has ended anyway
                    os.write(self._lifeline, b"x")

    def _hang_up(self) -> None:
        self._signal_end()
        with self._fd_lock:
            if self._open:
                self._open = False
                for fd in (self._lifeline, self._calls, self._replies):
                    os.close(fd)

    def __del__(self) -> None:  # a session dropped unclosed: ended now, not at its lifetime limit
        if getattr(self, "_open", False):
            self._hang_up()

    def close(self) -> Execution:
        """End the session now; its process's ``Execution`` (stdout and stderr: what it wrote
        outside the cells' capture, if anything)."""
        self._signal_end()  # first: a call running now ends with its session, without waiting for its time limit
        with self._lock:
            return self._finish()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _exit_words(execution: Execution) -> str:
    if execution.signal is not None:
        return f"killed by signal {execution.signal}"
    return f"exit status {execution.exit_code}"


class SessionPool:
    """Sessions on a fork server of their own, at most ``workers`` open at once (each holds a
    slot: an idle one costs no CPU). ``open`` waits up to ``wait_s`` for a free slot."""

    def __init__(self, workers: int = 8, *, limits: Limits = SESSION_LIMITS, call_timeout_s: float = 10.0,
                 output_bytes: int = 1 << 16, python_env: str | None = None, preload: Sequence[str] = (),
                 isolate: bool = True) -> None:
        self.limits, self.call_timeout_s, self.output_bytes = limits, call_timeout_s, output_bytes
        self.sandbox = Sandbox(workers, isolate=isolate, python_env=python_env, preload=preload, jobs_per_slot=1)

    def open(self, wait_s: float | None = 60.0) -> Session:
        return Session(self.sandbox, self.limits, call_timeout_s=self.call_timeout_s,
                       output_bytes=self.output_bytes, wait_s=wait_s)

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self) -> SessionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_exact(fd: int, size: int, deadline: float) -> bytes | None:
    """``size`` bytes from ``fd``; b"" at end of file, None when the deadline passes first."""
    data = bytearray()
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while len(data) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            return None
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return b""
        data += chunk
    return bytes(data)


def _write_all(fd: int, data: bytes, deadline: float) -> bool:
    """Write all of ``data`` to the non-blocking ``fd``; False when the deadline passes first."""
    view = memoryview(data)
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            return False
        view = view[os.write(fd, view):]
    return True
