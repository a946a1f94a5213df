"""Per-slot cgroups (memory + pids), v2 or v1, wherever the hierarchy is writable.

The host creates ``codeloop-<pid>-<random>/slot<i>`` once per sandbox; the zygote opens the control
files before it drops privileges and the supervisor of each run writes limits through them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from dataclasses import dataclass, field

ROOT = "/sys/fs/cgroup"

V1_FILES = {"memory": {"procs": "cgroup.procs", "memory_max": "memory.limit_in_bytes", "oom": "memory.oom_control"},
            "pids": {"pids_procs": "cgroup.procs", "pids_max": "pids.max"}}
V2_FILES = {"procs": "cgroup.procs", "memory_max": "memory.max", "oom": "memory.events", "pids_max": "pids.max"}


@dataclass
class CgroupSlots:
    """Slot directories and the control files each slot's runs write."""

    version: str = ""
    dirs: list[str] = field(default_factory=list)  # deepest first, for removal
    slots: list[dict[str, str]] = field(default_factory=list)
    why_not: str = ""

    def remove(self) -> None:
        """Remove the groups; one that a killed process still holds while the kernel tears it
        down (EBUSY, after an OOM kill) is tried again for up to a second, then left to
        ``_sweep_stale``."""
        for path in self.dirs:
            for _ in range(100):
                try:
                    os.rmdir(path)
                except OSError as error:
                    if error.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)
                else:
                    break


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path in the hierarchy of ``controller`` ('' for v2)."""
    with open("/proc/self/cgroup") as handle:
        for line in handle:
            _, names, path = line.rstrip("\n").split(":", 2)
            if names.split(",") == ([controller] if controller else [""]):
                return path.lstrip("/")
    return ""


def _sweep_stale(base: str) -> None:
    """Remove the (empty) groups of sandboxes whose host process died without cleaning up."""
    for name in os.listdir(base):
        parts = name.split("-")
        if len(parts) != 3 or parts[0] != "codeloop" or not parts[1].isdigit() or os.path.exists(f"/proc/{parts[1]}"):
            continue
        group = os.path.join(base, name)
        for slot in os.listdir(group):
            if os.path.isdir(os.path.join(group, slot)):
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.join(group, slot))
        with contextlib.suppress(OSError):
            os.rmdir(group)


def _make_dirs(base: str, workers: int, dirs: list[str]) -> list[str]:
    _sweep_stale(base)
    # random, not the id() of an object: an id comes back, and a group of that name may not be
    # gone yet (remove() gives up on one still busy), which failed the next sandbox's cgroups
    group = os.path.join(base, f"codeloop-{os.getpid()}-{os.urandom(8).hex()}")
    os.mkdir(group)
    slots = [os.path.join(group, f"slot{i}") for i in range(workers)]
    for slot in slots:
        os.mkdir(slot)
    dirs[:0] = [*reversed(slots), group]
    return slots


def _try_v2(workers: int, result: CgroupSlots) -> None:
    mount = ROOT if os.path.exists(f"{ROOT}/cgroup.controllers") else f"{ROOT}/unified"
    base = os.path.join(mount, _own_cgroup(""))
    with open(os.path.join(base, "cgroup.controllers")) as handle:
        available = handle.read().split()
    if not {"memory", "pids"} <= set(available):
        raise OSError("cgroup v2 has no memory+pids controllers here")
    result.version = "v2"
    slots = _make_dirs(base, workers, result.dirs)
    with open(os.path.join(os.path.dirname(slots[0]), "cgroup.subtree_control"), "w") as handle:
        handle.write("+memory +pids")
    result.slots = [{key: os.path.join(slot, name) for key, name in V2_FILES.items()}
                    for slot in slots]


def _try_v1(workers: int, result: CgroupSlots) -> None:
    result.version = "v1"
    per_controller = {}
    for controller in V1_FILES:
        mount = os.path.join(ROOT, controller)
        if not os.path.exists(os.path.join(mount, "cgroup.procs")):
            raise OSError(f"cgroup v1 {controller} hierarchy not mounted")
        base = os.path.join(mount, _own_cgroup(controller))
        if not os.access(base, os.W_OK):
            base = mount
        per_controller[controller] = _make_dirs(base, workers, result.dirs)
    result.slots = [{key: os.path.join(per_controller[controller][i], name)
                     for controller, files in V1_FILES.items() for key, name in files.items()}
                    for i in range(workers)]


def create_slots(workers: int) -> CgroupSlots:
    """Try cgroup v2, then v1; on failure return empty slots with the reason."""
    reasons = []
    for attempt in (_try_v2, _try_v1):
        result = CgroupSlots()
        try:
            attempt(workers, result)
            return result
        except (OSError, ValueError) as error:
            result.remove()
            reasons.append(f"{attempt.__name__[5:]}: {error}")
    return CgroupSlots(why_not="; ".join(reasons))
