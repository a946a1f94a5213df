"""What a run asks for (``Limits``) and what it gives back (``Execution``)."""

from __future__ import annotations

import dataclasses
import enum
import os
import signal
from dataclasses import dataclass


class Verdict(enum.StrEnum):
    OK = "OK"    # exited with status 0 within every limit
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
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None and not value > 0:
                raise ValueError(f"limit {field.name} must be positive, got {value!r}")
        if self.wall_s is None:
            object.__setattr__(self, "wall_s", 2 * self.cpu_s + 1)

    def to_job(self) -> dict[str, float | int]:
        return {"cpu_s": self.cpu_s, "wall_s": self.wall_s,
                "memory_bytes": self.memory_mb << 20, "output_bytes": self.output_bytes,
                "processes": self.processes, "file_size_bytes": self.file_size_mb << 20}


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

    @property
    def ok(self) -> bool:
        return self.verdict == Verdict.OK

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def execution_from_reply(header: dict, stdout: bytes, stderr: bytes, limits: Limits) -> Execution:
    """Turn the supervisor's raw report into a verdict."""
    if "error" in header:
        return Execution(Verdict.SE, error=header["error"])
    status = header.get("status")
    exit_code = os.waitstatus_to_exitcode(status) if status is not None else None
    killed_by = -exit_code if exit_code is not None and exit_code < 0 else None
    exit_code = exit_code if killed_by is None else None
    cpu = header.get("cpu_s") or 0.0
    peak = header.get("cgroup_peak")
    rss_mb = peak / 2**20 if peak else header.get("max_rss_kb", 0) / 1024
    out_of_memory = header["memory_error"] or header["oom_killed"]
    if header["killed_for"] == "output":
        verdict = Verdict.OLE
    elif header["killed_for"] == "wall" or cpu > limits.cpu_s or killed_by == signal.SIGXCPU:
        verdict = Verdict.TLE
    elif out_of_memory and exit_code != 0:
        verdict = Verdict.MLE
    elif status is None:
        return Execution(Verdict.SE, error="the run ended without a status report")
    else:
        verdict = Verdict.OK if exit_code == 0 else Verdict.RE
    return Execution(
        verdict=verdict, exit_code=exit_code, signal=killed_by,
        stdout=stdout.decode("utf-8", "replace"), stderr=stderr.decode("utf-8", "replace"),
        stdout_truncated=header["stdout_truncated"], stderr_truncated=header["stderr_truncated"],
        cpu_s=round(cpu, 4), wall_s=round(header["wall_s"], 4), max_rss_mb=round(rss_mb, 2))
