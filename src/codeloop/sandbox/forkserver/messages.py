"""What the host (``sandbox.py``) and the fork server (``zygote.py``) say to each other, as typed
records, and the constants both sides use. Standard library only: the fork server loads it by
its bare name, the host as ``codeloop.sandbox.forkserver.messages``.

    host -> fork server   Config, once, as its command-line argument (JSON)
    host -> slot          Job, per run, framed; then the payload (inline or in a memfd: its
                          fields marshalled, the program's marshalled code among them when the host
                          compiled it) and, for a paired run, a memfd with the harness's data
    slot -> host          Report, per run, framed; then stdout, stderr, the harness's report and a
                          compile's artefacts

Job and Report travel marshalled (both sides are this package's code, on one interpreter): a
third of JSON's cost, on the host and in the slot, for every run.
"""

from __future__ import annotations

import json
import marshal

# A slot's helpers as /proc/PID/comm shows them (15 bytes at most): its harness server, forker and spawner
HARNESS_NAME, FORKER_NAME, SPAWNER_NAME = "cl-harness", "cl-forker", "cl-spawner"


class Record:
    """A typed record like a dataclass: its fields are the class's annotations, in order, with
    the class attributes as defaults (a ``()`` default gives each record a fresh list). Not a
    dataclass: ``dataclasses`` imports ``inspect`` and ``ast``, 1.1 MB the fork server would copy
    the page tables of in every run (about 0.13 ms a run here, measured)."""

    LOCAL = frozenset()  # fields set on the receiving side, never sent

    def __init_subclass__(cls) -> None:
        cls._names = tuple(cls.__annotations__)
        cls._name_set = frozenset(cls._names)
        cls._defaults = {name: getattr(cls, name) for name in cls._names if hasattr(cls, name)}
        cls._fresh_lists = tuple(name for name, value in cls._defaults.items() if value == ())

    def __init__(self, **values: object) -> None:
        fields = {**self._defaults, **values}
        if len(fields) != len(self._names) or not self._name_set.issuperset(values):
            unknown, missing = set(values) - set(self._names), set(self._names) - set(fields)
            raise TypeError(f"{type(self).__name__}: unknown fields {sorted(unknown)}, missing {sorted(missing)}")
        for name in self._fresh_lists:
            if name not in values:
                fields[name] = []
        vars(self).update(fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._names)})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def fields(self) -> dict:
        """What is sent of it: every field but the receiving side's own."""
        return {name: getattr(self, name) for name in self._names if name not in self.LOCAL}


def framed(header: bytes, *rest: bytes) -> bytes:
    """``header`` after its length (4 bytes, little-endian), then ``rest``."""
    return b"".join([len(header).to_bytes(4, "little"), header, *rest])


def unframed(data: bytes) -> tuple[bytes, bytes]:
    """The (header, rest) ``framed`` joined; ValueError if ``data`` is cut short."""
    end = 4 + int.from_bytes(data[:4], "little")
    if len(data) < end:
        raise ValueError("a message shorter than its header says")
    return data[4:end], data[end:]


class Config(Record):
    """The fork server's start-up configuration."""

    ctrl_fd: int                  # the control socket (start-up handshake; its closing ends the server)
    slot_fds: list[int]           # one socket per worker slot, for its jobs
    isolate: bool                 # namespaces, file system, seccomp when available
    hide: list[str]               # paths hidden under empty tmpfs
    keep: list[str]               # paths under them bound back (the interpreter, site-packages if asked)
    mask: list[str]               # folders inside kept ones hidden again (benchmark answers)
    cgroups: list[dict[str, str]]  # per slot: control file paths by role
    site_packages: list[str]      # added to sys.path when asked
    preload: list[str]            # modules imported before the slots fork
    # found by the fork server itself, not sent
    isolated: bool = False
    pidns: bool = False
    seccomp: bool = False
    slot_uids: bool = False       # programs drop to a uid of their own slot (the host is root)

    LOCAL = frozenset({"isolated", "pidns", "seccomp", "slot_uids"})

    def encode(self) -> str:
        return json.dumps(self.fields())

    @classmethod
    def decode(cls, text: str) -> Config:
        return cls(**json.loads(text))


class Job(Record):
    """One run: its limits, whether its payload is inline, whether it is paired or a session, its uids."""

    slot: int
    cpu_s: float
    wall_s: float
    memory_bytes: int
    output_bytes: int
    processes: int
    file_size_bytes: int
    inline: bool                  # the payload follows in the message, else in a memfd
    paired: bool                  # a memfd with the harness's data comes too
    uid: int | None               # the program's uid (None: the fork server's own)
    harness_uid: int | None       # the slot's harness server's uid
    address_limit: bool = True    # RLIMIT_AS at the memory limit (off where the slot's cgroup limits memory)
    artefacts: bool = False       # a memfd with a compiled program's artefacts comes next
    session: bool = False         # three pipe ends from the host come last: the program's fds 4 (in) and 5
    #                               (out), and the session's lifeline (the slot's alone: a byte or EOF ends it)
    # set by the slot from its configuration, not sent
    isolated: bool = False
    pidns: bool = False
    seccomp: bool = False
    workdir: str = ""
    rlimits: list = ()
    seccomp_inherited: bool = False  # the program's forker has the filter already

    LOCAL = frozenset({"isolated", "pidns", "seccomp", "workdir", "rlimits", "seccomp_inherited"})

    def encode(self) -> bytes:
        return marshal.dumps(self.fields())

    @classmethod
    def decode(cls, data: bytes) -> Job:
        return cls(**marshal.loads(data))


class Report(Record):
    """What a slot reports of a run; ``error`` alone when the sandbox itself failed."""

    error: str = ""
    status: int | None = None     # wait status of the program
    wall_s: float = 0.0
    cpu_s: float = 0.0            # the program's, plus the harness's in a paired run
    killed_for: str = ""          # "wall", "cpu" (a session's processes), "output", "closed" (a session ended) or ""
    memory_error: bool = False    # the program died of MemoryError
    oom_killed: bool = False      # the cgroup's OOM killer struck during the run
    max_rss_kb: int = 0
    stdout_len: int = 0
    stderr_len: int = 0
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    paired: bool = False
    report_complete: bool = False  # the harness closed its report, within the cap
    artefacts: list = ()          # [name, size] of files a compile left, after the rest

    def encode(self) -> bytes:
        return marshal.dumps(self.fields())

    @classmethod
    def decode(cls, data: bytes) -> Report:
        return cls(**marshal.loads(data))
