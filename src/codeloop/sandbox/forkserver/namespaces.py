"""The fork server's one-time isolation: namespaces, the file system, cgroup files, and probes
of the per-run layers. Standard library only; loaded by ``zygote.py`` beside it."""

from __future__ import annotations

import _socket
import json
import os

import linux
from messages import Config

# Each run's private tmpfs. Not /tmp itself: a kept path (a venv in a checkout under /tmp) would vanish.
WORKDIR = "/tmp/work"
PROC_FLAGS = linux.MS_RDONLY | linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC


def log(message: str) -> None:
    os.write(2, f"zygote: {message}\n".encode())


def enter_namespaces(ctrl: _socket.socket, layers: dict[str, str]) -> bool:
    flags = (linux.CLONE_NEWUSER | linux.CLONE_NEWNS | linux.CLONE_NEWNET | linux.CLONE_NEWIPC
             | linux.CLONE_NEWUTS | linux.CLONE_NEWCGROUP)
    try:
        linux.unshare(flags)
    except OSError as err:
        ctrl.send(b"nouserns")
        layers["namespaces"] = f"off: {err}"
        return False
    ctrl.send(b"unshared")  # the host writes our uid_map / gid_map, then answers
    answer = ctrl.recv(64).decode()
    if answer != "mapped":
        layers["namespaces"] = f"off: uid map failed ({answer})"
        return False
    os.setgid(0)
    os.setuid(0)
    layers["namespaces"] = "on: user, mount, network, ipc, uts, cgroup"
    return True


def build_filesystem(hide: list[str], keep: list[str], mask: list[str], layers: dict[str, str]) -> None:
    """Make every mount read-only, hide ``hide`` under empty tmpfs, keep ``keep`` visible, then
    hide ``mask`` (folders inside kept ones: benchmark answers in a kept site-packages).

    As the host's root this runs before the user namespace exists: the mapped uid could not walk
    into ``/root`` (mode 0700), and the mounts made here become locked in the user namespace,
    so the program can neither unmount a hiding tmpfs nor make anything writable again. Kept
    paths are opened first and bound back from those descriptors once their parents are hidden.
    """
    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    handles = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in keep if os.path.isdir(path)}
    minimal_dev(layers)
    hidden = []
    for path in hide:
        if os.path.isdir(path):
            linux.mount("tmpfs", path, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=1m,mode=0755")
            hidden.append(path)
    os.makedirs(WORKDIR, exist_ok=True)  # inside the tmpfs hiding /tmp
    for path, fd in handles.items():
        os.makedirs(path, exist_ok=True)  # inside a hiding tmpfs
        linux.mount(f"/proc/self/fd/{fd}", path, None, linux.MS_BIND | linux.MS_REC)
        os.close(fd)
    for path in mask:
        if os.path.isdir(path):
            linux.mount("tmpfs", path, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=1m,mode=0755")
            hidden.append(path)
    linux.make_tree_read_only("/")
    layers["filesystem"] = "on: read-only root; hidden " + ", ".join(hidden)


DEVICES = ("null", "zero", "full", "random", "urandom")
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2"}


def minimal_dev(layers: dict[str, str]) -> None:
    """Replace /dev with what programs use, as bubblewrap's ``--dev`` does: null, zero, full,
    random and urandom (bound from the host's), the fd links, and an empty shm folder."""
    nodes = {name: os.open(f"/dev/{name}", os.O_PATH) for name in DEVICES if os.path.exists(f"/dev/{name}")}
    linux.mount("tmpfs", "/dev", "tmpfs", linux.MS_NOSUID | linux.MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755")
    for name, fd in nodes.items():
        os.close(os.open(f"/dev/{name}", os.O_CREAT | os.O_WRONLY, 0o666))
        linux.mount(f"/proc/self/fd/{fd}", f"/dev/{name}", None, linux.MS_BIND)
        os.close(fd)
    for name, target in DEV_LINKS.items():
        os.symlink(target, f"/dev/{name}")
    os.mkdir("/dev/shm", 0o755)
    layers["devices"] = "on: /dev has " + ", ".join(nodes) + " and the fd links only"


def open_cgroup_files(slots: list[dict[str, str]]) -> list[dict[str, int]]:
    """Open each slot's cgroup files now, as the host's root: writes later use these creds."""
    return [{key: os.open(path, os.O_RDWR) for key, path in slot.items()} for slot in slots]


def _probe_pid_namespace() -> bool:
    """Can a child become pid 1 of a new pid namespace and mount its own /proc and tmpfs?"""
    try:
        linux.unshare(linux.CLONE_NEWPID)
        child = os.fork()
    except OSError as error:
        log(f"pid namespace probe: {error}")
        return False
    if child == 0:
        try:
            linux.unshare(linux.CLONE_NEWNS)
            linux.mount("proc", "/proc", "proc", PROC_FLAGS)
            linux.mount("tmpfs", WORKDIR, "tmpfs", linux.MS_NOSUID, "size=1m")
            linux.unmount(WORKDIR)
            os._exit(0)
        except BaseException as error:
            log(f"pid namespace probe: {error}")
            os._exit(1)
    return os.waitpid(child, 0)[1] == 0


def start_probe() -> tuple[int, int]:
    """Start trying the per-run layers in a throwaway child, so a failure is reported, not hit
    (it runs while this process preloads): (its pid, the pipe its results come through)."""
    read_fd, write_fd = os.pipe()
    child = os.fork()
    if child == 0:
        results = {"pidns": _probe_pid_namespace()}
        try:
            if not linux.seccomp_supported():
                raise OSError("seccomp filter table is x86_64-only")
            linux.install_seccomp()
            results["seccomp"] = True
        except OSError:
            results["seccomp"] = False
        os.write(write_fd, json.dumps(results).encode())
        os._exit(0)
    os.close(write_fd)
    return child, read_fd


def finish_probe(probe: tuple[int, int], config: Config, layers: dict[str, str]) -> None:
    """The probe's results, into ``config`` and ``layers``."""
    child, read_fd = probe
    results = json.loads(os.read(read_fd, 4096) or b"{}")
    os.close(read_fd)
    os.waitpid(child, 0)
    config.pidns, config.seccomp = bool(results.get("pidns")), bool(results.get("seccomp"))
    layers["pid namespace"] = (f"on: one per worker slot, own /proc and tmpfs {WORKDIR} (emptied after each run), "
                               "and all it leaves is killed" if config.pidns
                               else "off: process groups instead (setsid escapes)")
    layers["seccomp"] = "on: deny-list filter" if config.seccomp else "off: unavailable"
