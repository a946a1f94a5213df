"""What a run asks for (``Run``, ``Limits``) and what it gives back (``Execution``)."""

from __future__ import annotations

import base64
import dataclasses
import enum
import functools
import marshal
import os
import posixpath
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codeloop.sandbox.forkserver.messages import Report

if TYPE_CHECKING:
    from codeloop.sandbox.languages import Language


class Verdict(enum.StrEnum):
    """One verdict type for sandbox and judge; the sandbox itself never gives WA or CE."""

    OK = "OK"    # exited with status 0 within every limit
    WA = "WA"    # wrong answer (the judge's)
    CE = "CE"    # does not compile (the judge's)
    RE = "RE"    # runtime error: non-zero exit or killed by a signal
    TLE = "TLE"  # CPU or wall time limit exceeded
    MLE = "MLE"  # memory limit exceeded (MemoryError under RLIMIT_AS, or the cgroup OOM killer)
    OLE = "OLE"  # stdout or stderr exceeded the output limit
    SE = "SE"    # the sandbox itself failed; never the program's fault


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run. ``wall_s`` defaults to ``2 * cpu_s + 1``."""

    cpu_s: float = 10.0
    wall_s: float | None = None
    memory_mb: int = 1024
    output_bytes: int = 1 << 20
    processes: int = 32
    file_size_mb: int = 64

    def __post_init__(self) -> None:
        for limit in dataclasses.fields(self):
            value = getattr(self, limit.name)
            if value is not None and not value > 0:
                raise ValueError(f"limit {limit.name} must be positive, got {value!r}")
        if self.wall_s is None:
            object.__setattr__(self, "wall_s", 2 * self.cpu_s + 1)


@dataclass(frozen=True)
class Harness:
    """The trusted side of a paired run: ``source`` runs in the slot's harness server (another
    uid, not dumpable, never forked from anything that held another run's data), with ``rpc``
    (calls into the program, data only), ``DATA`` (this object's ``data``, anything ``marshal``
    takes: it never reaches the program's process), ``REPORT_FD``, ``CALLS_FD`` and
    ``REPLIES_FD`` in its globals. What it writes to ``REPORT_FD`` is ``Execution.report``; the
    program is loaded as module ``solution`` and only answers calls. The harness must not keep
    the descriptors: closing them ends the run.

    A slot's harness server is reused by the runs of one ``owner`` only: a run of another owner
    gets a fresh one, so trusted code that changes the harness's modules (``json.dumps``,
    ``random.seed``) reaches no other owner's verdicts. A service gives each request an owner of
    its own (``Judge.judge(owner=...)``); a benchmark's tests share the default."""

    source: str
    data: object = None
    names: tuple[str, ...] = ()  # the program's names the harness binds first: public, so the program
    #                              describes them as soon as it has loaded, without being asked
    owner: str = ""

    @functools.cached_property
    def marshalled(self) -> bytes:
        """``data`` as the harness reads it, made once."""
        return marshal.dumps(self.data)


@dataclass
class Execution:
    verdict: Verdict
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    cpu_s: float = 0.0
    wall_s: float = 0.0
    max_rss_mb: float = 0.0
    error: str = ""  # what went wrong in the sandbox, for SE
    report: str | None = None  # a paired run's harness report (None: not a paired run, or none complete)
    files: dict[str, bytes] = field(default_factory=dict)  # what ``Run.fetch`` read back

    @property
    def ok(self) -> bool:
        return self.verdict == Verdict.OK

    def to_dict(self) -> dict:
        record = dataclasses.asdict(self)
        files = record.pop("files")
        if files:  # JSON: base64
            record["files"] = {name: base64.b64encode(data).decode() for name, data in files.items()}
        return record


def execution_from_reply(header: Report, stdout: bytes, stderr: bytes, limits: Limits,
                         report_bytes: bytes = b"") -> Execution:
    """Turn the supervisor's raw report into a verdict. In a paired run, the verdict says whether
    the harness finished within every limit (a memory failure anywhere fails it); whether the
    program passed is the harness's ``report``, never the program's status or output."""
    if header.error:
        return Execution(Verdict.SE, error=header.error)
    if header.status is None:
        return Execution(Verdict.SE, error="the run ended without a status report")
    exit_code, killed_by = _exit_and_signal(header.status)
    paired, cpu = header.paired, header.cpu_s
    rss_mb = header.max_rss_kb / 1024  # the program's own peak (the cgroup's counts cached files too)
    out_of_memory = header.memory_error or header.oom_killed
    if header.killed_for == "output":
        verdict = Verdict.OLE
    elif header.killed_for in ("wall", "cpu") or cpu > limits.cpu_s or killed_by == signal.SIGXCPU:
        verdict = Verdict.TLE
    elif out_of_memory and (paired or exit_code != 0):  # paired: any memory failure fails the run
        verdict = Verdict.MLE
    elif paired or header.killed_for == "closed":  # killed when its harness or its host was done with it
        verdict = Verdict.OK
    else:
        verdict = Verdict.OK if exit_code == 0 else Verdict.RE
    report = None
    if paired and header.report_complete:
        report = report_bytes.decode("utf-8", "replace")
    return Execution(
        verdict=verdict, exit_code=exit_code, signal=killed_by,
        stdout=stdout.decode("utf-8", "replace"), stderr=stderr.decode("utf-8", "replace"),
        stdout_truncated=header.stdout_truncated, stderr_truncated=header.stderr_truncated,
        cpu_s=round(cpu, 4), wall_s=round(header.wall_s, 4), max_rss_mb=round(rss_mb, 2), report=report)


def _exit_and_signal(status: int) -> tuple[int | None, int | None]:
    """(exit code, None) or (None, the signal that killed it)."""
    code = os.waitstatus_to_exitcode(status)
    return (None, -code) if code < 0 else (code, None)


@dataclass(frozen=True)
class Run:
    """One program to run: the unit of ``Sandbox.run_many``."""

    source: str
    stdin: str = ""
    argv: Sequence[str] = ()
    files: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = Limits()
    filename: str = "solution.py"  # the name the source is written and run under
    harness: Harness | None = None  # a paired run: the program only answers this harness's calls
    language: str | Language = "python"  # a name or alias of ``languages.LANGUAGES`` or a row; not Python: compiled
    fetch: Sequence[str] = ()  # files (relative to the working directory) read back after the run

    def __post_init__(self) -> None:
        for field_name, paths in (("fetch", self.fetch), ("filename", [self.filename]), ("files", self.files)):
            for path in paths:
                if not _inside(path):
                    raise ValueError(f"{field_name}: {path!r} is not a path inside the working directory")
        written: set[str] = set()  # files, and the folders they are in
        for path in [self.filename, *self.files]:
            path = posixpath.normpath(path)
            parents = [path.rsplit("/", depth)[0] for depth in range(1, path.count("/") + 1)]
            clash = next((other for other in [path, path + "/", *parents] if other in written), None)
            if clash is not None:  # the same file twice, a file inside a file, or a file where a folder is
                raise ValueError(f"files: {path!r} collides with {clash!r} (the program's file or another file)")
            written.add(path)
            written.update(folder + "/" for folder in parents)
        # the source is not checked here: one that is not UTF-8 text is the program's fault (Sandbox.execute)
        texts = [("stdin", self.stdin), *((f"files[{n!r}]", t) for n, t in self.files.items())]
        for field_name, text in texts:
            try:  # how the slot writes them: a lone surrogate other than an escaped byte cannot be
                text.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError as error:
                raise ValueError(f"{field_name}: not encodable as UTF-8 ({error.reason} at {error.start})") from None


def _inside(path: str) -> bool:
    """Whether ``path`` names a file inside the working directory (relative, no ``..``, a name
    the file system takes)."""
    try:
        encoded = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return (bool(path) and not posixpath.isabs(path) and ".." not in path.split("/") and "\0" not in path
            and posixpath.normpath(path) != "." and len(encoded) < 4096
            and all(len(part) <= 255 for part in encoded.split(b"/")))
