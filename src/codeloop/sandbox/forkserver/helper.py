"""A slot's helper processes: long-lived children of the slot init, reached over a socket pair
(the forker, the harness server), and the spawner they are forked from. Standard library only;
loaded by ``zygote.py`` beside it."""

from __future__ import annotations

import _socket
import contextlib
import marshal
import os
import signal
from collections.abc import Callable

import linux
from messages import SPAWNER_NAME


class Helper:
    """The slot init's handle on a helper that runs ``serve(socket, *args)``: forked from the
    ``spawner`` (a pristine copy of the slot init) when given, else from the caller."""

    def __init__(self, serve: Callable[..., None], args: tuple, spawner: Spawner | None = None) -> None:
        if spawner is not None:
            self.pid, self.sock = spawner.spawn(serve, args)
            return
        ours, theirs = linux.socket_pair()
        self.pid = os.fork()
        if self.pid == 0:
            ours.close()
            try:
                serve(theirs, *args)
            finally:
                os._exit(0)
        theirs.close()
        self.sock = ours

    def alive(self) -> bool:
        with contextlib.suppress(ChildProcessError):
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        return False

    def kill(self) -> None:
        """Kill it (if still there), reap it and close its socket."""
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.sock.close()


class Spawner(Helper):
    """A copy of the slot init made before its first run, which forks the helpers started later
    (a harness server for each new owner, a forker after one died). The slot init's heap holds
    what earlier runs sent it (sources, stdin, files); a helper forked from it would hold them
    too, and a service client's test code in a harness server could read another client's
    programs there. Each helper is forked through a middle process that exits at once, so the
    slot init (pid 1 of its namespace, or a child subreaper) adopts it: it waits for it and kills
    it as for a child of its own."""

    def __init__(self, serves: list[Callable[..., None]]) -> None:
        super().__init__(_spawn_loop, ({serve.__module__: serve for serve in serves},))

    def spawn(self, serve: Callable[..., None], args: tuple) -> tuple[int, _socket.socket]:
        """Start a helper running ``serve(socket, *args)`` (``args`` as ``marshal`` takes them):
        (its pid, the slot init's end of its socket)."""
        linux.send_fds(self.sock, marshal.dumps((serve.__module__, args)), [])
        message, fds = linux.recv_fds(self.sock, 64, 1)
        if not message or len(fds) != 1:
            raise OSError("the slot's spawner did not start a helper")
        return int(message), _socket.socket(fileno=fds[0])


def _spawn_loop(sock: _socket.socket, serves: dict[str, Callable[..., None]]) -> None:
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # it waits for each middle process
    linux.set_process_name(SPAWNER_NAME)
    while True:
        try:
            message, _ = linux.recv_fds(sock, 4096, 0)
        except ConnectionError:
            return
        if not message:
            return
        name, args = marshal.loads(message)
        ours, theirs = linux.socket_pair()
        pid_r, pid_w = os.pipe()
        middle = os.fork()
        if middle == 0:
            os.close(pid_r)
            ours.close()
            sock.close()
            _start_adopted(serves[name], theirs, args, pid_w)
        os.close(pid_w)
        theirs.close()
        os.waitpid(middle, 0)
        pid = os.read(pid_r, 32)
        os.close(pid_r)
        with contextlib.suppress(OSError):
            linux.send_fds(sock, pid, [ours.fileno()])
        ours.close()


def _start_adopted(serve: Callable[..., None], sock: _socket.socket, args: tuple, pid_w: int) -> None:
    """In the middle process: fork the helper, say its pid, exit (the slot init adopts it)."""
    middle = os.getpid()
    helper = os.fork()
    if helper == 0:
        os.close(pid_w)
        while os.getppid() == middle:  # until adopted: its parent-death signal is then the slot init's
            os.sched_yield()
        try:
            serve(sock, *args)
        finally:
            os._exit(0)
    os.write(pid_w, b"%d" % helper)
    os._exit(0)
