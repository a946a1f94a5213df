"""Run a repository's commands isolated, without a container daemon: bubblewrap namespaces and a
cgroup.

The command sees a fresh root: an empty tmpfs with the chosen tree's top-level folders bound
read-only (an OCI image's unpacked root file system, or the host's system folders ``/usr``,
``/etc``, ... with ``/etc/shadow`` hidden), the checkout bound read-write at ``/testbed``, private
``/tmp`` and ``/root``, its own ``/proc`` and a minimal ``/dev``. Namespaces: user, mount, pid,
network (loopback only), ipc, uts, cgroup; all capabilities dropped. The cgroup caps memory and
the number of processes; the wall-clock limit kills the whole pid namespace, so nothing is left
running. The environment is empty but for ``PATH``, ``HOME``, and fixed ``TZ=UTC``,
``LANG``/``LC_ALL=C.UTF-8`` and ``PYTHONHASHSEED=0``, for deterministic runs.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from codeloop.sandbox.cgroups import create_slots

HOST_SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc")
HIDDEN_FILES = ("/etc/shadow", "/etc/gshadow")
SKIPPED = {"proc", "dev", "sys", "tmp", "run", "root", "home", "testbed"}
DETERMINISTIC = {"TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0"}
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Isolation:
    """Where and how a command runs: ``rootfs`` None means the host's system folders."""

    rootfs: str | None = None
    ro_binds: tuple[str, ...] = ()      # host paths also visible (read-only) at the same path
    extra_binds: tuple[tuple[str, str], ...] = ()  # (host path, path inside) read-only
    path_prefix: tuple[str, ...] = ()  # put first on PATH
    env: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 1800.0
    memory_mb: int = 4096
    processes: int = 1024
    output_bytes: int = 64 << 20


@dataclass
class Outcome:
    exit_code: int | None
    output: str
    timed_out: bool
    seconds: float
    oom_killed: bool = False
    truncated: bool = False


def bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise RuntimeError("bubblewrap (bwrap) is not installed: apt-get install bubblewrap, or run scripts/setup.sh")
    return path


def _root_args(rootfs: str | None) -> list[str]:
    args: list[str] = []
    base = Path(rootfs) if rootfs else Path("/")
    names = sorted(os.listdir(base)) if rootfs else [n for n in HOST_SYSTEM if (base / n).exists()]
    for name in names:
        entry = base / name
        if name in SKIPPED:
            continue
        if entry.is_symlink():
            args += ["--symlink", os.readlink(entry), f"/{name}"]
        elif entry.is_dir():
            args += ["--ro-bind", str(entry), f"/{name}"]
    if rootfs is None:
        for hidden in HIDDEN_FILES:
            if os.path.exists(hidden):
                args += ["--ro-bind", "/dev/null", hidden]
    return args


def command_line(command: list[str], testbed: Path, isolation: Isolation) -> list[str]:
    """The bubblewrap command line (without the cgroup wrapper)."""
    env = {"PATH": ":".join([*isolation.path_prefix, DEFAULT_PATH]), "HOME": "/root", **DETERMINISTIC,
           **isolation.env}
    args = [bwrap(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            *_root_args(isolation.rootfs), "--tmpfs", "/tmp", "--tmpfs", "/root"]
    for path in isolation.ro_binds:
        args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--bind", str(testbed), "/testbed"]
    for source, target in isolation.extra_binds:  # after /testbed: node_modules goes inside it
        args += ["--ro-bind", source, target]
    args += ["--chdir", "/testbed", "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return [*args, "--", *command]


def _limited_cgroup(isolation: Isolation):
    slots = create_slots(1)
    if not slots.slots:
        return slots, None
    files = slots.slots[0]
    with open(files["memory_max"], "w") as handle:
        handle.write(str(isolation.memory_mb << 20))
    with open(files["pids_max"], "w") as handle:
        handle.write(str(isolation.processes))
    return slots, files


def _oom_killed(files: dict[str, str] | None) -> bool:
    if not files:
        return False
    with contextlib.suppress(OSError), open(files["oom"]) as handle:
        text = handle.read()
        return any(line.split()[0] in ("oom_kill", "under_oom") and line.split()[1] != "0"
                   for line in text.splitlines() if len(line.split()) == 2)
    return False


def _kill_group(files: dict[str, str] | None, process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    if files:  # anything that left the process group is still in the cgroup
        for key in ("procs", "pids_procs"):
            with contextlib.suppress(OSError), open(files.get(key, "/nonexistent")) as handle:
                for pid in handle.read().split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGKILL)


def run(command: list[str], testbed: Path, isolation: Isolation) -> Outcome:
    """Run ``command`` at ``/testbed`` under ``isolation``; stdout and stderr merged, capped."""
    argv = command_line(command, testbed, isolation)
    slots, files = _limited_cgroup(isolation)
    if files:
        joins = " ".join(f"echo $$ > {shlex.quote(files[k])} &&" for k in ("procs", "pids_procs") if k in files)
        argv = ["/bin/sh", "-c", f"{joins} exec \"$@\"", "sh", *argv]
    start = time.monotonic()
    chunks: list[bytes] = []
    size, truncated, timed_out = 0, False, False
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        stream = process.stdout
        assert stream is not None
        deadline = start + isolation.timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([stream], [], [], min(remaining, 1.0))
            if not ready:
                continue
            data = os.read(stream.fileno(), 1 << 16)
            if not data:
                break
            if size < isolation.output_bytes:
                chunks.append(data[:isolation.output_bytes - size])
            truncated |= size + len(data) > isolation.output_bytes
            size += len(data)
        if timed_out:
            _kill_group(files, process)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _kill_group(files, process)
            process.wait()
    finally:
        _kill_group(files, process)
        stream.close()
        oom = _oom_killed(files)
        slots.remove()
    return Outcome(None if timed_out else process.returncode, b"".join(chunks).decode(errors="replace"),
                   timed_out, time.monotonic() - start, oom, truncated)


def host_python_binds() -> tuple[str, ...]:
    """The interpreter a host venv links to, when it lives outside the host's system folders."""
    base = Path(os.path.realpath(sys.base_prefix))
    return () if base.is_relative_to("/usr") else (str(base),)
