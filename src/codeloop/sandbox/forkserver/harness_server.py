"""A worker slot's harness server: one long-lived process running the trusted side of every
paired run of its slot. Standard library only; loaded by ``zygote.py`` beside it.

The slot init forks it once, before any run's data exists in the slot init (which never reads a
harness's data at all). It drops to the slot's harness uid, makes itself non-dumpable (the
program, another uid, can neither signal it nor read its memory, descriptors or environment),
takes seccomp and fixed rlimits, and loops: for each run it receives the harness's code and four
descriptors (its report pipe, the call and reply pipes, a memfd with the run's data), runs the
code in a fresh namespace, and closes the descriptors, which ends the run for the supervisor.
Programs are forked from the slot's forker, never from here. A harness still busy at a run's wall
limit is killed, and the next paired run starts a new one. Reusing one process spares a fork,
a set-up and an exit per run (~1.5 ms of CPU each on a 2-core VM, measured); the price is that
module state a test changes (``random.seed``, or anything its code replaces) carries over to the
slot's next test of the same owner (``Harness.owner``): a run of another owner, or under another
memory limit, gets a fresh server. Its address space is capped at its start-up size plus the
run's memory limit (a test that builds, or a program that returns, too much fails with MLE), and
it can start no process or thread.
"""

from __future__ import annotations

import _socket
import contextlib
import marshal
import os
import resource
import signal

import linux
import rpc
from helper import Helper, Spawner
from messages import HARNESS_NAME

PR_SET_DUMPABLE = 4
MAX_CODE = 1 << 16  # bytes of marshalled harness code in one message


class HarnessServer(Helper):
    """The slot init's handle on its harness server."""

    def __init__(self, uid: int | None, seccomp: bool, memory_bytes: int, spawner: Spawner) -> None:
        super().__init__(serve, (uid, seccomp, memory_bytes), spawner)  # on the slot's core, as its programs
        self._schedstat = os.open(f"/proc/{self.pid}/schedstat", os.O_RDONLY)  # read at each run

    def start_run(self, code: bytes, fds: list[int]) -> None:
        """Hand over one run: the marshalled code and [report, calls, replies, data] descriptors."""
        if len(code) > MAX_CODE:
            raise ValueError(f"harness code of {len(code)} bytes exceeds {MAX_CODE}")
        linux.send_fds(self.sock, code, fds)

    def cpu_seconds(self) -> float:
        """CPU time used so far (nanosecond resolution, from schedstat)."""
        try:
            return int(os.pread(self._schedstat, 128, 0).split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0

    def kill(self) -> None:
        super().kill()
        os.close(self._schedstat)


def _become(uid: int | None, seccomp: bool, memory_bytes: int) -> None:
    if uid is not None:
        os.setgid(uid)
        os.setuid(uid)
    with open("/proc/self/statm", "rb") as statm:  # its address space now, in pages
        address_space = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") + memory_bytes
    # one process, no threads: an address-space cap per process would not bound children it forked
    limits = {resource.RLIMIT_NOFILE: (256, 256), resource.RLIMIT_NPROC: (1, 1),
              resource.RLIMIT_FSIZE: (64 << 20, 64 << 20), resource.RLIMIT_CORE: (0, 0),
              resource.RLIMIT_AS: (address_space, address_space)}
    for which, value in limits.items():
        resource.setrlimit(which, value)
    if seccomp:
        linux.install_seccomp()
    else:
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    linux.prctl(PR_SET_DUMPABLE, 0)


def serve(sock: _socket.socket, uid: int | None, seccomp: bool, memory_bytes: int) -> None:
    """The harness server's loop, in its own process."""
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, sock.fileno())
    os.closerange(sock.fileno() + 1, 65536)
    os.chdir("/")
    linux.set_process_name(HARNESS_NAME)  # how `ps` (and the tests' leftover check) tell it apart
    _become(uid, seccomp, memory_bytes)
    codes: dict[bytes, object] = {}
    while True:
        try:
            message, fds = linux.recv_fds(sock, MAX_CODE, 4)
        except ConnectionError:
            return
        if not message or len(fds) != 4:
            return
        try:
            code = codes.get(message)
            if code is None:
                code = codes[message] = marshal.loads(message)
            report_fd, calls_fd, replies_fd, data_fd = fds
            data = marshal.loads(os.pread(data_fd, os.fstat(data_fd).st_size, 0))
            namespace = {"__name__": "__harness__", "__builtins__": __builtins__, "rpc": rpc, "DATA": data,
                         "REPORT_FD": report_fd, "CALLS_FD": calls_fd, "REPLIES_FD": replies_fd}
            exec(code, namespace)
        except BaseException:  # no report: the run fails
            pass
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
