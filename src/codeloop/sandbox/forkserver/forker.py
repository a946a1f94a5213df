"""A worker slot's forker: the process every run's program is forked from. Standard library
only; loaded by ``zygote.py`` beside it.

Why a process of its own: after ``fork``, every page the parent writes takes a page fault (shared
copy-on-write with the child, then write-protected even once the child is gone). The slot init
runs Python all through a run (its poll loop, the clean-up, the report): forking programs
itself, it took ~180 page faults a run (``ru_minflt``, measured on HumanEval), 0.3-0.4 ms here.
The forker does nothing between forks but receive the next run and wait for its program, so the
slot init never forks and its pages stay its own.

The slot init forks it once, before its first job, and keeps it while it lives: a program's
image never holds another run's data (its source, its stdin); a forker started again after
dying comes from the slot's spawner (``helper.py``), which holds none either. It is
the one helper in the slot's memory cgroup (its programs are born there: no cgroup migration per
run), so the cgroup's OOM killer may take it, or a program of its uid (where slots have no uids
of their own) may kill it: the run then counts against the program and the next run gets a new
forker. The slot init and the harness server stay out of the memory cgroup.

Per run: the slot init sends the program's descriptor numbers and working directory, the
descriptors themselves and a memfd with the run's job and the program's part of the payload; the
forker puts each descriptor at its number and enters the directory, forks the program, gives the
numbers back to its placeholders, answers the program's pid, waits for it, and answers its wait
status, CPU time and peak RSS. What can be done before the fork is done here: in the
program, every page Python writes is a page copied (its files are written by the slot init).
"""

from __future__ import annotations

import _socket
import contextlib
import fcntl
import marshal
import os
import select
import signal

import linux
from helper import Helper, Spawner
from messages import FORKER_NAME, Job
from program import PROGRAM_FDS, run_program, write_all

ANSWER_TIMEOUT_S = 10.0  # a forker silent this long (stopped by a program of its uid) is killed
PROGRAM_KEYS = ("filename", "path", "artefacts", "exec_artefact", "exec", "env", "argv", "source", "code",
                "code_file", "announce")
# What of its job the program reads (each field it is sent is an object made in it)
PROGRAM_JOB_FIELDS = ("uid", "paired", "isolated", "pidns", "seccomp", "seccomp_inherited", "workdir", "rlimits")
HIGH_FD = 64  # where the forker keeps its own descriptors, above the program's


class Forker(Helper):
    """The slot init's handle on its forker."""

    def __init__(self, seccomp: bool, cgroup_procs: list[int], every_cpu: set[int], spawner: Spawner | None) -> None:
        """``seccomp``: install the filter here once, for every program (only where programs
        drop to a uid of their own: one that stays uid 0 of the namespace unshares first).
        ``cgroup_procs``: the slot's memory ``cgroup.procs`` (v2: the slot's one cgroup), which
        the forker joins as it starts: programs are forked into it. It runs on the slot's core, as a
        paired run's program does; any other program gets ``every_cpu``."""
        self.seccomp = seccomp
        super().__init__(serve, (seccomp, cgroup_procs, every_cpu), spawner)

    def fileno(self) -> int:
        """Readable when the program has ended (its ``result`` is waiting)."""
        return self.sock.fileno()

    def start(self, job: Job, payload: dict, fds: dict[int, int]) -> int:
        """Fork the run's program in ``job.workdir`` with descriptor ``target`` a copy of
        ``fds[target]`` (targets below ``PROGRAM_FDS``); its pid."""
        job.seccomp_inherited = self.seccomp
        program = {key: payload[key] for key in PROGRAM_KEYS if key in payload}
        if "code" in program:  # compiled by the host: the source is only needed as its file
            program.pop("source", None)
        fields = {name: getattr(job, name) for name in PROGRAM_JOB_FIELDS}
        # version 0: no interned strings, whose reference counts the program would write to
        data = marshal.dumps((fields, program), 0)
        memfd = os.memfd_create("run")  # read by the program, never by the forker
        try:
            write_all(memfd, data)
            linux.send_fds(self.sock, marshal.dumps((bytes(fds), job.workdir, len(data))), [*fds.values(), memfd])
        finally:
            os.close(memfd)
        return int(self._answer())

    def result(self) -> tuple[int, float, int]:
        """Once the program has ended: (its wait status, CPU seconds, peak RSS in kB)."""
        return marshal.loads(self._answer())

    def _answer(self) -> bytes:
        poller = select.poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        if not poller.poll(ANSWER_TIMEOUT_S * 1000):
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)  # the next run finds it dead and starts another
            raise OSError("the run's forker stopped answering")
        answer = self.sock.recv(256)
        if not answer:
            raise OSError("the run's forker exited")
        return answer


def serve(sock: _socket.socket, seccomp: bool, cgroup_procs: list[int], every_cpu: set[int]) -> None:
    """The forker's loop, in its own process: as little as possible happens here between forks
    (each page written is a fault); the program reads its own data. Descriptors 0 to
    ``PROGRAM_FDS - 1`` are the programs': between runs each holds a placeholder (stdin, stdout
    and stderr as they were, /dev/null above), its own socket lies above them."""
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    linux.set_process_name(FORKER_NAME)
    for procs in cgroup_procs:  # "0": the writer itself
        os.write(procs, b"0")
    sock, placeholders = hold_program_descriptors(sock)
    if seccomp:  # once here, not per program: the filter's compile took 3% of a program's CPU
        linux.install_seccomp()
    while True:
        try:
            message, fds = linux.recv_fds(sock, 4096, PROGRAM_FDS + 1)
        except ConnectionError:
            return
        if not message:
            return
        targets, workdir, size = marshal.loads(message)
        data = fds.pop()
        for target, fd in zip(targets, fds, strict=True):  # received above the targets: no clash
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(workdir)
        unused = tuple(fd for fd in range(PROGRAM_FDS) if fd not in targets)
        program = os.fork()
        if program == 0:
            try:
                become_program(data, size, unused, every_cpu)
            finally:
                os._exit(121)
        for target in targets:  # the program holds the run's pipes alone: its closing one is an end
            os.dup2(placeholders[target], target)
        os.close(data)
        sock.send(b"%d" % program)
        _, status, usage = os.wait4(program, 0)
        sock.send(marshal.dumps((status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)))


def hold_program_descriptors(sock: _socket.socket) -> tuple[_socket.socket, list[int]]:
    """Keep nothing of the slot's but ``sock`` and stdio, move ``sock`` above the programs'
    descriptors and hold each of 0 to ``PROGRAM_FDS - 1`` with a placeholder: (the moved
    socket, each descriptor's placeholder, close-on-exec copies above them)."""
    os.closerange(3, sock.fileno())
    os.closerange(sock.fileno() + 1, 65536)
    null = os.open(os.devnull, os.O_RDWR)
    placeholders = [_above(fd if _is_open(fd) else null) for fd in (0, 1, 2)]
    placeholders += [_above(null)] * (PROGRAM_FDS - 3)
    moved = _socket.socket(fileno=_above(sock.fileno()))
    sock.close()
    os.close(null)
    for target in range(3, PROGRAM_FDS):
        os.dup2(placeholders[target], target)
    return moved, placeholders


def _above(fd: int) -> int:
    """A close-on-exec copy of ``fd`` at ``HIGH_FD`` or above."""
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD)


def _is_open(fd: int) -> bool:
    try:
        fcntl.fcntl(fd, fcntl.F_GETFD)
    except OSError:
        return False
    return True


def become_program(data: int, size: int, unused: tuple[int, ...], every_cpu: set[int]) -> None:
    """In the forked child, whose descriptors and working directory the forker has arranged: the
    run's data (``size`` bytes in the memfd ``data``: the job's ``PROGRAM_JOB_FIELDS`` and the
    program's part of the payload), no descriptor but the program's, its own session, its cores (a
    paired run's program stays on the slot's, where it and the harness take turns; any other may
    use ``every_cpu``), then the program."""
    fields, payload = marshal.loads(os.pread(data, size, 0))
    for fd in unused:
        os.close(fd)
    os.closerange(PROGRAM_FDS, 65536)  # the forker's own, the memfd
    job = object.__new__(Job)  # no field-by-field __init__: each object made here is a page copied
    vars(job).update(fields)
    if not job.pidns:  # in one, the slot init's death kills everything in it anyway
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if job.isolated and job.uid is None:
        linux.unshare(linux.CLONE_NEWNS)  # root in the namespace: its mount changes stay its own
    os.setsid()  # its own process group: kill(0) reaches neither the slot nor the forker
    if not job.paired:
        os.sched_setaffinity(0, every_cpu)
    run_program(job, payload)
