"""The fork server ("zygote"): started once, isolated once, forks once per run.

Started by ``codeloop.sandbox.sandbox`` as ``python -I -S -c "import zygote; zygote.main()"
CONFIG_JSON``, with this folder on ``sys.path``; standard library only. Process tree::

    zygote (user, mount, net, ipc, uts, cgroup namespaces; read-only root; hidden host dirs)
      slot server   one per worker slot, in the slot's cgroup
        slot init   pid 1 of the slot's pid namespace, own mount namespace and /proc; supervises
                    one run at a time: a fresh tmpfs /tmp/work, wall clock, output caps, reply
          spawner   one per slot, forked before its first run: forks the later helpers, so none
                    holds what earlier runs sent the slot init (``helper.py``)
          forker    one per slot: forks each run's program, waits for it, reports its end
            program   one per run: own uid, rlimits, no_new_privs, seccomp; runs the source with exec()
          harness server  one per slot and owner, from the spawner (``harness_server.py``):
                    another uid, not dumpable, its address space capped; runs each paired run's
                    trusted side, which calls the program's functions through ``rpc`` (data
                    only) and writes the verdict on a descriptor of its own

When a run's program exits, the slot init, as pid 1, kills every other process in its pid
namespace (setsid and double-forked children included) and reaps them before the next run, so
nothing outlives a run. A run costs one fork, from the forker (``forker.py`` says why not from
the slot init).
Beside this file: ``program.py`` (a run's process), ``supervise.py`` (a slot's supervision of a
run) and ``processes.py`` (what it left, and CPU), ``forker.py`` and ``helper.py`` (the slot's
helper processes), ``harness_server.py``, ``rpc.py`` and ``codec.py`` (paired runs),
``namespaces.py`` (the one-time isolation), ``linux.py`` (system calls) and ``messages.py`` (what host and server say).
"""

from __future__ import annotations

import _socket
import contextlib
import functools
import gc
import json
import marshal
import os
import select
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linux
import rpc
from forker import Forker
from forker import serve as forker_serve
from harness_server import serve as harness_serve
from helper import Spawner
from messages import Config, Job, Report, framed, unframed
from namespaces import (
    PROC_FLAGS,
    WORKDIR,
    build_filesystem,
    enter_namespaces,
    finish_probe,
    open_cgroup_files,
    start_probe,
)
from program import OWN_MODULES, write_all
from supervise import cgroup_write, supervise

del sys.path[0]

# Modules test programs import most; each costs fork time in every run (hashlib alone adds 3.7 MB).
# Not random: it reseeds itself from os.urandom in every forked child (os.register_at_fork), 48 page
# faults and 0.15 ms a run (measured), while 1 HumanEval solution in 164 and no MBPP one imports it.
SLOT_CHECK_MS = 100  # how often the zygote looks for a slot that has ended, to start it again
PRELOAD = ("collections", "itertools", "functools", "math", "heapq", "bisect", "re", "string",
           "typing", "traceback", "linecache", "json", "copy", "operator", "array", "io")


def warm_up() -> None:
    """Do once here what runs would otherwise each do on copied pages: the first ``compile``
    builds the parser's lazily made types (1.2 ms a run, measured), the first ``import atexit``
    makes its module (0.2 ms), and the first traceback printed (by the interpreter's printer, in
    C, which prints both a program's death and, in a paired run, its function's exception) sets
    up what it uses: ~10 page faults fewer in every run that prints one (measured)."""
    import atexit  # noqa: F401  (shut_down_like_python imports it again, for free)
    import io
    source = "def f(x):\n    assert [y for y in x if y] == 2\nf([1])\n"
    stderr, sys.stderr = sys.stderr, io.StringIO()
    try:
        exec(compile(source, "<warm-up>", "exec"), {})
    except AssertionError as error:
        sys.__excepthook__(type(error), error, error.__traceback__)
    finally:
        sys.stderr = stderr


def slot_cpu(slot: int, cpus: set[int]) -> int:
    """The core, of ``cpus``, of worker slot ``slot``: its slot init, forker, harness server and paired runs'
    programs run there (fork, hand-overs and the programs' page faults stay on one core's caches
    and TLB, and no hand-over wakes another core: 5-8% less wall time on HumanEval with the
    helpers and programs there, 5-7% less again with the slot init, measured on 2 cores). A
    program that is not paired may use every core."""
    return sorted(cpus)[slot % len(cpus)]


def serve_slot(sock: _socket.socket, config: Config, cgroup: dict[str, int], index: int) -> None:
    """One worker slot: joins its pids cgroup once (v1; runs forked from here inherit it),
    then, with pid namespaces, starts the slot init in a fresh one. The slot init and harness
    server stay out of its memory cgroup: only the forker joins it (``forker.py``), so its limit
    and its OOM killer reach programs and the forker, never the supervisor."""
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # it waits for each child it starts
    every_cpu = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {slot_cpu(index, every_cpu)})  # the slot init and its helpers inherit it
    cgroup_write(cgroup, "pids_procs", str(os.getpid()))  # v1 only: in v2 one cgroup holds both
    if config.pidns:
        linux.unshare(linux.CLONE_NEWPID)  # our next child is pid 1 of a new pid namespace
        init = os.fork()
        if init:
            sock.close()
            os.waitpid(init, 0)
            return
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    linux.set_process_name("cl-slot")  # as `ps` and `perf` show it (and the zygote as cl-zygote)
    if config.isolated:  # the slot's own mounts (its /proc, each run's tmpfs), network and IPC: programs
        # running at once in two slots can't meet (an abstract AF_UNIX socket lives in a network namespace)
        linux.unshare(linux.CLONE_NEWNS | linux.CLONE_NEWNET | linux.CLONE_NEWIPC)
    if config.pidns:  # read-only like the /proc it shadows, else the kernel refuses it
        linux.mount("proc", "/proc", "proc", PROC_FLAGS)
    if not config.pidns:  # the run's orphans come to us, not to the host's init
        linux.prctl(linux.PR_SET_CHILD_SUBREAPER, 1)
    # the spawner and the forker now, before any run's data exists here: programs never inherit
    # another run's data from them; later helpers (harness servers, a forker replaced after dying)
    # come from the spawner
    spawner = Spawner([forker_serve, harness_serve])
    new_forker = functools.partial(Forker, seccomp=config.seccomp and config.slot_uids,
                                   cgroup_procs=[cgroup["procs"]] if "procs" in cgroup else [], every_cpu=every_cpu)
    slot: dict = {"forker": new_forker(spawner=None), "new_forker": functools.partial(new_forker, spawner=spawner),
                  "spawner": spawner}
    while True:
        try:
            message, fds = linux.recv_fds(sock, 1 << 16, 5)
        except ConnectionError:
            return
        if not message:
            return
        run_job(message, fds, config, cgroup, slot)
        if not spawner.alive():  # killed by a program of its uid (no uid per slot): no helper can start
            return  # again, so the slot ends, and the zygote starts it anew (start_slots)


def run_job(message: bytes, fds: list[int], config: Config, cgroup: dict[str, int], slot: dict) -> None:
    """One job: the Job, then the payload (its fields, the program's marshalled code among them if
    the host compiled it), inline or (when large) in a memfd; a paired run's harness material comes in
    a memfd of its own, which this process never reads; a session's three pipe ends last."""
    try:
        header, inline = unframed(message)
        job = Job.decode(header)
        job.isolated, job.pidns, job.seccomp = config.isolated, config.pidns, config.seccomp
        rest = fds[1:]
        if not job.inline:
            payload_fd = rest.pop(0)
            inline = os.pread(payload_fd, os.fstat(payload_fd).st_size, 0)
            os.close(payload_fd)
        harness_fd = rest.pop(0) if job.paired else None
        payload = marshal.loads(inline)
        if job.artefacts:
            payload["artefacts_fd"] = rest.pop(0)
        if job.session:
            payload["session_fds"] = rest[:3]
        supervise(job, fds[0], payload, cgroup, harness_fd, slot)
    except BaseException as error:
        with contextlib.suppress(OSError):
            write_all(fds[0], framed(Report(error=repr(error)).encode()))
    finally:
        with contextlib.suppress(OSError):
            os.close(fds[0])


def start_cgroup_move(cgroups: list[dict[str, int]]) -> int:
    """Start a throwaway child that moves itself into the first slot's cgroup; its pid (0: no
    cgroups). The first move into a cgroup in a while waits for an RCU grace period (the kernel's
    cgroup_threadgroup_rwsem: ~10 ms here) and moves soon after it do not: the child's passes while
    this process preloads, and the slots' own moves take ~0.2 ms instead of ~10 (measured)."""
    if not cgroups:
        return 0
    mover = os.fork()
    if mover == 0:
        with contextlib.suppress(OSError):
            os.write(cgroups[0].get("pids_procs", cgroups[0].get("procs", -1)), b"0")
        os._exit(0)
    return mover


def start_slots(ctrl: _socket.socket, config: Config, cgroups: list[dict[str, int]]) -> None:
    """Fork one server per worker slot, and fork it again when it ends while the host is there (a
    program of the helpers' uid killed its spawner: ``serve_slot``); return when the host hangs
    up. The slot's socket stays open here, so the jobs queued for it wait for the new one."""
    sockets = [_socket.socket(fileno=fd) for fd in config.slot_fds]

    def start(slot: int) -> int:
        pid = os.fork()
        if pid == 0:
            ctrl.close()
            for other in sockets:
                if other is not sockets[slot]:
                    other.close()
            serve_slot(sockets[slot], config, cgroups[slot] if slot < len(cgroups) else {}, slot)
            os._exit(0)
        return pid

    slots = {start(slot): slot for slot in range(len(sockets))}
    poller = select.poll()
    poller.register(ctrl.fileno(), select.POLLIN)
    while True:
        if poller.poll(SLOT_CHECK_MS):
            try:
                if not ctrl.recv(64):
                    return
            except ConnectionError:
                return
        with contextlib.suppress(ChildProcessError):
            while (pid := os.waitpid(-1, os.WNOHANG)[0]) != 0:
                if pid in slots:
                    slot = slots.pop(pid)
                    slots[start(slot)] = slot


def main() -> None:
    config = Config.decode(sys.argv[1])
    started_as_root = os.geteuid() == 0
    linux.set_process_name("cl-zygote")
    ctrl = _socket.socket(fileno=config.ctrl_fd)
    layers: dict[str, str] = {}
    cgroups = open_cgroup_files(config.cgroups)
    mover = start_cgroup_move(cgroups)
    os.setgroups([]) if os.geteuid() == 0 else None
    isolated = False
    if config.isolate and os.geteuid() == 0:
        linux.unshare(linux.CLONE_NEWNS)
        build_filesystem(config.hide, config.keep, config.mask, layers)
        isolated = enter_namespaces(ctrl, layers)
    elif config.isolate:
        isolated = enter_namespaces(ctrl, layers)
        if isolated:
            build_filesystem(config.hide, config.keep, config.mask, layers)
    config.isolated = isolated
    config.slot_uids = isolated and started_as_root  # the host then maps uids and gives each slot one
    probe = start_probe() if isolated else None
    sys.path.extend(config.site_packages)  # empty unless the host asked for its packages
    for name in PRELOAD:
        __import__(name)
    for name in config.preload:  # the host's --preload: a run that imports one finds it loaded
        try:
            __import__(name)
        except BaseException as error:
            ctrl.send(json.dumps({"error": f"--preload {name}: {type(error).__name__}: {error}"}).encode())
            os._exit(1)
    warm_up()
    rpc.warm_up()
    if probe:
        finish_probe(probe, config, layers)
    else:
        config.pidns = config.seccomp = False
        layers.setdefault("namespaces", "off: disabled by the caller")
    for name in OWN_MODULES:  # loaded by name only here: a program's own modules of these names import
        sys.modules.pop(name, None)
    gc.freeze()  # forked children then leave the zygote's objects' pages shared (fewer CoW faults)
    ctrl.send(json.dumps({"ready": True, "layers": layers, "pidns": config.pidns,
                          "workdir": WORKDIR if isolated else None}).encode())
    if mover:
        os.waitpid(mover, 0)
    start_slots(ctrl, config, cgroups)
    os._exit(0)  # nothing buffered to flush; the host's close() waits for this exit


if __name__ == "__main__":
    main()
