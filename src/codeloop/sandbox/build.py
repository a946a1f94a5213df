"""Compiled languages on the host's side: the compile run, its artefacts, and the cache that
makes a program compile once however many tests (or times) it is run on.

A compile is a sandbox run like any other (same isolation, its own limits, ``COMPILE_LIMITS``):
the compiler runs in the run's private working directory; when it succeeds, the slot's
supervisor reads back the files the language's row names as artefacts. Each later run gets
them written into its own fresh working directory before the program starts. Artefacts are kept
here, in memory, by the SHA-256 of (language, compile command, file name, source); compile errors
are kept too, so a program that does not compile is not compiled again either.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codeloop.sandbox.languages import Language, source_stem, tool_path
from codeloop.sandbox.runs import Limits

if TYPE_CHECKING:
    from concurrent.futures import Future

# A compile's own limits: compilers need far more than a test program, and javac and go start
# many threads. Its CPU and wall limits are what stops a compile bomb (templates, #include).
COMPILE_LIMITS = Limits(cpu_s=30.0, wall_s=45.0, memory_mb=2048, output_bytes=64 << 10, processes=128,
                        file_size_mb=512)
MESSAGE_CAP = 4000  # characters of a compiler's message kept for the CE verdict
CACHE_BYTES = 256 << 20  # artefacts kept at most in the host's memory, least recently used dropped first
SEALED_BYTES = 256 << 20  # the same kept in memfds for runs (shared memory), at most
SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp/work", "TMPDIR": "/tmp/work"}


@dataclass(frozen=True)
class Build:
    """A compile's outcome: its artefacts (name, bytes, mode), or the compiler's message."""

    artefacts: tuple[tuple[str, bytes, int], ...] = ()
    error: str = ""
    cpu_s: float = 0.0
    sandbox_failed: bool = False  # the sandbox failed, not the compile: never cached
    timed_out: bool = False  # the compile exceeded its time limit
    key: str = ""  # build_key(...): what its artefacts are shared under

    @property
    def lone_executable(self) -> bool:
        """A single binary, which a run can exec straight from the memfd (no copy)."""
        return len(self.artefacts) == 1 and self.artefacts[0][2] & 0o111 != 0

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def size(self) -> int:
        return sum(len(data) for _, data, _ in self.artefacts)


def fill(command: tuple[str, ...], source: str, stem: str, memory_mb: int) -> list[str]:
    """A command of the table with its placeholders filled and its program found on the host."""
    words = [word.format(source=source, stem=stem, memory_mb=memory_mb) for word in command]
    if not words[0].startswith("."):
        found = tool_path(words[0])
        if found is None:
            raise FileNotFoundError(f"{words[0]}: not installed (scripts/setup.sh installs the language tools)")
        words[0] = found
    return words


def file_name(lang: Language, source: str) -> str:
    return lang.source.format(stem=source_stem(lang, source))


def build_key(lang: Language, source: str) -> str:
    import hashlib  # here (as concurrent.futures below): imported at start-up, each would delay the fork server's spawn
    parts = [lang.name, "\0".join(lang.compile or ()), file_name(lang, source), source]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def compiler_message(stdout: str, stderr: str, workdir: str | None, filename: str) -> str:
    """What the compiler said, with the sandbox's paths reduced to the program's file name, capped."""
    text = (stderr + ("\n" + stdout if stdout.strip() else "")).strip()
    if workdir:
        text = text.replace(workdir.rstrip("/") + "/", "")
    text = text.replace("./" + filename, filename)
    return text if len(text) <= MESSAGE_CAP else text[:MESSAGE_CAP] + "\n... (truncated)"


def executable_mode(name: str) -> int:
    return 0o644 if "." in name else 0o755  # class files read; binaries (no extension) run


class BuildCache:
    """Compiles once per key, even when several threads ask at the same time; LRU by bytes."""

    def __init__(self, capacity: int = CACHE_BYTES) -> None:
        self.capacity = capacity
        self._builds: OrderedDict[str, Build] = OrderedDict()
        self._pending: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._bytes = 0
        self.compiles = 0  # how many compiles ran (the rest were served from here)

    def get(self, key: str, compile_it) -> Build:
        with self._lock:
            if key in self._builds:
                self._builds.move_to_end(key)
                return self._builds[key]
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                from concurrent.futures import Future
                pending = self._pending[key] = Future()
        if not owner:
            return pending.result()
        try:
            build = compile_it()
        except BaseException as error:
            with self._lock:
                del self._pending[key]
            pending.set_exception(error)
            raise
        with self._lock:
            del self._pending[key]
            self.compiles += 1
            if not build.sandbox_failed and build.size <= self.capacity:
                self._builds[key] = build
                self._bytes += build.size
                while self._bytes > self.capacity:
                    self._bytes -= self._builds.popitem(last=False)[1].size
        pending.set_result(build)
        return build


class SealedFiles:
    """Read-only data that many runs get, each in a sealed memfd made once: a compiled program's
    artefacts, a harness's data. At most ``capacity`` are kept open, holding ``capacity_bytes``
    of shared memory at most (least recently used closed first; one larger is made for its run
    and not kept); ``dup(key, make)`` hands out a duplicate, which the caller closes, so closing
    the kept one never pulls it from under a run."""

    def __init__(self, capacity: int = 64, capacity_bytes: int = SEALED_BYTES) -> None:
        self.capacity, self.capacity_bytes = capacity, capacity_bytes
        self._fds: OrderedDict[object, tuple[int, int]] = OrderedDict()  # key: (fd, size)
        self._bytes = 0
        self._lock = threading.Lock()

    def dup(self, key: object, make: object) -> int:
        with self._lock:
            kept = self._fds.get(key)
            if kept is None:
                data = make()
                fd = sealed_memfd(data)
                if len(data) > self.capacity_bytes:
                    return fd  # the run's own: closed with it
                kept = self._fds[key] = (fd, len(data))
                self._bytes += len(data)
                while len(self._fds) > self.capacity or self._bytes > self.capacity_bytes:
                    old_fd, size = self._fds.popitem(last=False)[1]
                    os.close(old_fd)
                    self._bytes -= size
            self._fds.move_to_end(key)
            return os.dup(kept[0])

    def close(self) -> None:
        with self._lock:
            for fd, _ in self._fds.values():
                os.close(fd)
            self._fds.clear()
            self._bytes = 0


def sealed_memfd(data: bytes) -> int:
    """``data`` in a memfd nobody can change again (sealed against writes, growing, shrinking)."""
    fd = os.memfd_create("sealed", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
    return fd
