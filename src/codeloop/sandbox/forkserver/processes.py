"""A run's processes, seen from its slot init: which are left (``leftovers``), killing and reaping
them, and their CPU time (one process tree's, or a session's, all its processes together)."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import time

from messages import Job


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by ``root`` and its descendants, read from /proc."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            with open(f"/proc/{pid}/task/{pid}/children") as handle:
                stack.extend(int(child) for child in handle.read().split())
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def reap_exited() -> None:
    """Reap this process's exited children: a session's orphans come here, and unreaped they
    would count against its processes limit for the session's life (a dead helper is reaped too:
    its ``alive()`` then says so)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


class SessionCPU:
    """The CPU seconds of a session's processes so far, living and gone: each live process's own
    and its reaped children's (/proc), plus what this process (the pid namespace's init, or the
    subreaper without one) has reaped of them since the session began."""

    def __init__(self, job: Job, program: int, spares: set[int]) -> None:
        self.job, self.program, self.spares = job, program, spares
        self.reaped_before = self.reaped()

    @staticmethod
    def reaped() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def seconds(self) -> float:
        ticks, pids, stack = 0, set(leftovers(self.job, self.spares)), [self.program]
        while stack:  # the program's tree (without a pid namespace, not among the leftovers)
            pid = stack.pop()
            pids.add(pid)
            with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/task/{pid}/children") as handle:
                stack.extend(int(child) for child in handle.read().split())
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
            except (OSError, IndexError, ValueError):
                continue
        return ticks / os.sysconf("SC_CLK_TCK") + self.reaped() - self.reaped_before


def leftovers(job: Job, spares: set[int]) -> list[int]:
    """The run's processes still there: with a pid namespace, every process in it but its init and
    the slot's helpers (``spares``: the forker, the harness server, the spawner); without one, the slot
    init's children but those (orphans of the run come to it, a child subreaper)."""
    if job.pidns:
        return [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and int(entry) != 1
                and int(entry) not in spares]
    try:
        with open(f"/proc/self/task/{os.getpid()}/children") as handle:
            return [int(pid) for pid in handle.read().split() if int(pid) not in spares]
    except OSError:
        return []


def kill_leftovers(job: Job, program: int, spares: set[int]) -> list[int]:
    """Kill whatever the run left (without a pid namespace, its process group too); the
    processes found."""
    if not job.pidns:
        with contextlib.suppress(OSError):
            os.killpg(program, signal.SIGKILL)
    found = leftovers(job, spares)
    for pid in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return found


def reap_all(job: Job, program: int, spares: set[int]) -> None:
    """Kill and wait for every process of the run until none is left; one whose parent is still
    alive becomes ours when that parent dies, and the loop comes back for it. A dead one whose
    parent is a helper that does not reap it (a harness server's, whatever its code did) is
    freed by killing that helper: it comes to us, and the helper is replaced at the next run."""
    while left := leftovers(job, spares):
        kill_leftovers(job, program, spares)
        for pid in left:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:  # not ours: its parent is alive
                parent = parent_of(pid)
                if parent in spares:
                    with contextlib.suppress(OSError):
                        os.kill(parent, signal.SIGKILL)
                time.sleep(0.001)  # the parent's death hands it to us


def parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
