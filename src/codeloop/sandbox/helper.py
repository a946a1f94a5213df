"""A slot's helper process: a long-lived child of the slot init, reached over a socket pair
(the forker, the harness server). Standard library only; loaded by ``zygote.py`` beside it."""

from __future__ import annotations

import _socket
import contextlib
import os
import signal
from collections.abc import Callable

import linux


class Helper:
    """The slot init's handle on a helper: ``serve(socket)`` runs in the forked child."""

    def __init__(self, serve: Callable[[_socket.socket], None]) -> None:
        ours, theirs = linux.socket_pair()
        self.pid = os.fork()
        if self.pid == 0:
            ours.close()
            try:
                serve(theirs)
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
