"""The fork server ("zygote"): started once, isolated once, forks once per run.

Started by ``codeloop.sandbox.server`` as ``python -I -S -c "import zygote; zygote.main()"
CONFIG_JSON``, with this folder on ``sys.path``; standard library only. Process tree::

    zygote (user, mount, net, ipc, uts, cgroup namespaces; read-only root; hidden host dirs)
      slot server   one per worker slot, in the slot's cgroup
        slot init   pid 1 of the slot's pid namespace, own mount namespace and /proc; supervises
                    one run at a time: a fresh tmpfs /tmp/work, wall clock, output caps, reply
          program   one per run: own uid, rlimits, no_new_privs, seccomp; runs the source with exec()
        harness server  one per slot, started by its first paired run (``harness_server.py``):
                    another uid, not dumpable; runs each paired run's trusted side, which calls
                    the program's functions through ``rpc`` (data only) and writes the verdict on
                    a descriptor of its own

When a run's program exits, the slot init, as pid 1, kills every other process in its pid
namespace (setsid and double-forked children included) and reaps them before the next run, so
nothing outlives a run. Being forked straight from the slot init, a run costs one fork.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import marshal
import os
import resource
import select
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linux
import rpc
from harness_server import HarnessServer
from isolation import (
    PROC_FLAGS,
    WORKDIR,
    build_filesystem,
    enter_namespaces,
    log,
    open_cgroup_files,
    probe_run_layers,
)
from messages import Config, Job, Report

del sys.path[0]

# Modules test programs import most; each costs fork time in every run (hashlib alone adds 3.7 MB).
# random reseeds itself in every forked child (it registers os.register_at_fork).
PRELOAD = ("collections", "itertools", "functools", "math", "heapq", "bisect", "re", "string",
           "typing", "random", "traceback", "linecache", "json", "copy", "operator", "array", "io")
SOLUTION = "solution.py"
MEMORY_ERROR_MARK = b"M"


def warm_up() -> None:
    """Do once here what runs would otherwise each do on copied pages: the first ``compile``
    builds the parser's lazily made types (1.2 ms a run, measured), the first ``import atexit``
    makes its module (0.2 ms), and the first traceback, which every failing test prints, sets
    up what places its carets."""
    import atexit  # noqa: F401  (shut_down_like_python imports it again, for free)
    import io
    import linecache
    source = "def f(x):\n    assert [y for y in x if y] == 2\nf([1])\n"
    linecache.cache["<warm-up>"] = (len(source), None, source.splitlines(True), "<warm-up>")
    stderr, sys.stderr = sys.stderr, io.StringIO()
    try:
        exec(compile(source, "<warm-up>", "exec"), {})
    except AssertionError as error:
        sys.__excepthook__(type(error), error, error.__traceback__)
    finally:
        sys.stderr = stderr
        del linecache.cache["<warm-up>"]


# --- one-time isolation ------------------------------------------------------------------------
# --- one run -------------------------------------------------------------------------------------
def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def cgroup_write(fds: dict[str, int], key: str, value: str) -> None:
    if key in fds:
        try:
            os.pwrite(fds[key], value.encode(), 0)
        except OSError as error:
            log(f"cgroup {key}: {error}")


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


def cgroup_read_int(fds: dict[str, int], key: str) -> int | None:
    if key not in fds:
        return None
    text = os.pread(fds[key], 4096, 0).decode()
    if key == "oom":  # memory.events (v2) or memory.oom_control (v1)
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value)
        return 0
    return int(text.split()[0]) if text.strip() and text.split()[0].isdigit() else None


def exit_code(stop: SystemExit) -> int:
    if stop.code is None or isinstance(stop.code, int):
        return stop.code or 0
    print(stop.code, file=sys.stderr)
    return 1


def shut_down_like_python() -> int:
    """What the interpreter does after ``__main__`` ends: join non-daemon threads, run atexit."""
    try:
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()
        import atexit
        atexit._run_exitfuncs()
    except SystemExit as stop:
        return exit_code(stop)
    return 0


# Descriptors of a run's program: 0-2 stdio, 3 the memory-error mark, and in a paired run 4 the
# harness's calls, 5 its replies. The slot's harness server gets the other ends per run.
MARK_FD, CALLS_FD, REPLIES_FD = 3, 4, 5


def slot_cpu(job: Job) -> int:
    """The core a paired run's program and its slot's harness server share."""
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[job.slot % len(cpus)]
REPORT_CAP = 1 << 20


def arrange_fds(wanted: dict[int, int]) -> None:
    """Make descriptor ``target`` a copy of ``source`` for each pair, and close every other."""
    moved = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 10) for target, source in wanted.items()}
    for target, source in moved.items():
        os.dup2(source, target)
    os.closerange(max(wanted) + 1, 65536)


def kill_leftovers(job: Job, program: int, spare: int | None = None) -> None:
    """Kill whatever the run left: as pid 1, everything else in the pid namespace but the slot's
    harness server (``spare``); without a pid namespace, the program's process group."""
    with contextlib.suppress(OSError):
        if not job.pidns:
            os.killpg(program, signal.SIGKILL)
        elif spare is None:
            os.kill(-1, signal.SIGKILL)
        else:
            for pid in others(spare):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def others(spare: int) -> list[int]:
    """Processes of the slot's pid namespace other than its init and ``spare``."""
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and int(entry) not in (1, spare)]


def reap_all(job: Job, program: int, spare: int | None = None) -> None:
    """Wait for every child (orphans of the run are ours as pid 1) until none is left but ``spare``."""
    if spare is None or not job.pidns:
        while True:
            kill_leftovers(job, program)
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                return
    while left := others(spare):
        kill_leftovers(job, program, spare)
        for pid in left:  # a grandchild is ours once its parent is gone: the loop comes back for it
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def rlimits(job: Job) -> list[tuple[int, tuple[int, int]]]:
    """The run's rlimits, made before the fork (what a forked child allocates, it copies pages for)."""
    cpu = int(job.cpu_s + 0.999)
    memory, files, processes = job.memory_bytes, job.file_size_bytes, job.processes
    return [(resource.RLIMIT_CPU, (cpu, cpu + 1)), (resource.RLIMIT_AS, (memory, memory)),
            (resource.RLIMIT_STACK, (memory, memory)), (resource.RLIMIT_FSIZE, (files, files)),
            (resource.RLIMIT_NPROC, (processes, processes)), (resource.RLIMIT_NOFILE, (256, 256)),
            (resource.RLIMIT_CORE, (0, 0))]


def become(uid: int | None, job: Job) -> None:
    """Drop to ``uid`` (when slots have their own uids), set the run's rlimits and seccomp."""
    if uid is not None:
        os.setgid(uid)
        os.setuid(uid)
    for which, value in job.rlimits:
        resource.setrlimit(which, value)
    if job.seccomp:
        linux.install_seccomp()
    else:
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)


def run_program(job: Job, payload: dict) -> None:
    """In the program process: write its files, drop privileges, exec the source (in a paired run,
    load it as module ``solution`` and answer the harness's calls)."""
    filename = payload.get("filename") or SOLUTION
    for name, data in payload["encoded_files"]:  # no file objects: fewer copied pages
        if os.path.dirname(name):
            os.makedirs(os.path.dirname(name), exist_ok=True)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        write_all(fd, data)
        os.close(fd)
    become(job.uid, job)
    for own in ("linux", "isolation", "rpc", "harness_server", "messages"):  # the program's own must import
        del sys.modules[own]
    sys.argv = [filename, *payload["argv"]]
    sys.path.insert(0, os.getcwd())
    main = type(sys)("__main__")
    main.__file__ = os.path.abspath(filename)
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    code = 0
    try:
        if payload.get("code_file") == main.__file__:  # compiled by the host, same interpreter
            code = marshal.loads(bytes.fromhex(payload["code"]))
        else:
            code = compile(payload["source"], main.__file__, "exec", dont_inherit=True)
        if job.paired:
            rpc.program_main(code, main.__file__, CALLS_FD, REPLIES_FD)
        else:
            exec(code, main.__dict__)
        code = shut_down_like_python()
    except SystemExit as stop:
        code = exit_code(stop)
    except BaseException as error:  # the program's own failure: report it as python would
        if isinstance(error, MemoryError):
            os.write(MARK_FD, MEMORY_ERROR_MARK)
        error.__traceback__ = error.__traceback__.tb_next  # from the program's own frames on
        try:
            sys.excepthook(type(error), error, error.__traceback__)
        except BaseException:
            sys.__excepthook__(type(error), error, error.__traceback__)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        code = code or 120
    os._exit(code & 0xFF)


def fork_child(job: Job, fds: dict[str, int], wanted: dict[int, str], workdir: str) -> int:
    """Fork a process of the run, with the descriptors ``wanted`` (target -> name in ``fds``)."""
    arranged = {target: fds[name] for target, name in wanted.items()}
    child = os.fork()
    if child:
        return child
    if not job.pidns:  # in one, the slot init's death kills everything in it anyway
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if job.isolated and job.uid is None:
        linux.unshare(linux.CLONE_NEWNS)  # root in the namespace: its mount changes stay its own
    if not job.pidns:
        os.setsid()
    os.chdir(workdir)
    arrange_fds(arranged)
    return 0


def prepare(job: Job, payload: dict, cgroup: dict[str, int], opened: list[int], slot: dict) -> dict[str, int]:
    """The run's descriptors (stdin, output pipes, the mark, a paired run's channel), its cgroup
    limits and its empty working directory (a tmpfs the slot keeps while the size limit stays)."""
    fds = {"stdin": os.memfd_create("stdin")}
    pipes = ["out", "err", "mark"] + (["calls", "replies", "report"] if job.paired else [])
    for name in pipes:
        fds[name + "_r"], fds[name + "_w"] = os.pipe()
    opened += fds.values()
    write_all(fds["stdin"], payload["stdin"].encode("utf-8", "surrogateescape"))
    os.lseek(fds["stdin"], 0, os.SEEK_SET)
    job.rlimits = rlimits(job)
    payload["encoded_files"] = [(name, text.encode("utf-8", "surrogateescape")) for name, text in
                                [*payload["files"].items(), (payload.get("filename") or SOLUTION, payload["source"])]]
    cgroup_write(cgroup, "memory_max", str(job.memory_bytes))
    cgroup_write(cgroup, "memory_peak", "0")
    cgroup_write(cgroup, "pids_max", str(job.processes + (66 if job.paired else 2)))  # + init, server
    if job.isolated:  # the slot's tmpfs, emptied after each run by supervise()
        owner = 0 if job.uid is None else job.uid
        options = f"size={job.file_size_bytes},nr_inodes=4096,mode=0700,uid={owner},gid={owner}"
        if slot.get("tmpfs") != options:
            if slot.pop("tmpfs", None) is not None:
                linux.unmount(WORKDIR)
            linux.mount("tmpfs", WORKDIR, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, options)
            slot["tmpfs"] = options
        os.chmod(WORKDIR, 0o700)
        job.workdir = WORKDIR
    else:
        import tempfile  # here only: shutil and tempfile would add bz2, lzma and more to every fork
        job.workdir = tempfile.mkdtemp(prefix="codeloop-run-")
    return fds


def start(job: Job, payload: dict, fds: dict[str, int], harness_fd: int | None, slot: dict,
          opened: list[int]) -> int:
    """Fork the program and, in a paired run, hand the slot's harness server its side; close
    their ends here."""
    wanted = {0: "stdin", 1: "out_w", 2: "err_w", MARK_FD: "mark_w"}
    if job.paired:
        wanted.update({CALLS_FD: "calls_r", REPLIES_FD: "replies_w"})
        server = slot.get("harness")
        if server is None or not server.alive():
            server = slot["harness"] = HarnessServer(job.harness_uid, job.seccomp, slot_cpu(job))
        slot["harness_cpu"] = server.cpu_seconds()
        codes = slot.setdefault("harness_codes", {})
        if "harness_code" in payload:
            codes[payload["harness_code_id"]] = bytes.fromhex(payload["harness_code"])
        server.start_run(codes[payload["harness_code_id"]],
                         [fds["report_w"], fds["calls_w"], fds["replies_r"], harness_fd])
    program = fork_child(job, fds, wanted, job.workdir)
    if program == 0:
        try:
            if job.paired:  # it and the harness take turns: on one core each hand-over is cheap
                os.sched_setaffinity(0, {slot_cpu(job)})
            run_program(job, payload)
        finally:
            os._exit(121)
    for name in ("stdin", "out_w", "err_w", "mark_w", "calls_r", "calls_w", "replies_r", "replies_w", "report_w"):
        if name in fds:
            fd = fds.pop(name)
            os.close(fd)
            opened.remove(fd)
    return program


def wait(job: Job, fds: dict[str, int], program: int, spare: int | None, opened: list[int]) -> dict:
    """Collect output until the run ends (a paired run when its harness closes the report, then
    the program is killed; else when the program has exited) and its pipes are closed, enforcing
    the wall clock and the output cap; reap everything it left."""
    start_time, deadline, cap = time.monotonic(), time.monotonic() + job.wall_s, job.output_bytes
    caps = {fds["out_r"]: cap, fds["err_r"]: cap}
    report_fd = fds.get("report_r")
    if report_fd is not None:
        caps[report_fd] = REPORT_CAP
    streams = {fd: bytearray() for fd in caps}
    truncated = dict.fromkeys(caps, False)
    poller = select.poll()
    for fd in caps:
        poller.register(fd, select.POLLIN)
    program_fd = os.pidfd_open(program)
    opened.append(program_fd)
    poller.register(program_fd, select.POLLIN)
    state = {"killed_for": "", "killed_cpu": None, "exited": None, "report_closed": report_fd is None}

    def kill(reason: str) -> None:
        if not state["killed_for"]:
            state["killed_for"], state["killed_cpu"] = reason, tree_cpu_seconds(program)
            kill_leftovers(job, program, spare)

    open_streams = len(streams)
    while open_streams or state["exited"] is None:
        now = time.monotonic()
        if now >= deadline:
            kill("wall")
        if now >= deadline + 0.8:
            break  # a stream held open from outside the run, or a harness still busy: give up on it
        wake_at = deadline + 0.8 if state["killed_for"] else deadline
        for fd, _ in poller.poll(max(1, int((wake_at - now) * 1000))):
            if fd == program_fd:
                poller.unregister(fd)
                state["exited"] = os.wait4(program, 0)
                kill_leftovers(job, program, spare)  # they may hold the output pipes open
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                poller.unregister(fd)
                open_streams -= 1
                if fd == report_fd:  # the harness is done: so is the run
                    state["report_closed"] = True
                    with contextlib.suppress(OSError):
                        os.kill(program, signal.SIGKILL)
                continue
            room = caps[fd] - len(streams[fd])
            streams[fd] += chunk[:max(room, 0)]
            if len(chunk) > room:
                truncated[fd] = True
                if fd != report_fd:
                    kill("output")
    wall = time.monotonic() - start_time
    if state["exited"] is None:
        with contextlib.suppress(OSError):
            os.kill(program, signal.SIGKILL)
        state["exited"] = os.wait4(program, 0)
    reap_all(job, program, spare)
    state.update(wall=wall, streams=streams, truncated=truncated)
    return state


def report(fds: dict[str, int], state: dict, cgroup: dict[str, int], oom_before: int | None,
           harness_cpu: float | None) -> bytes:
    """The supervisor's report: a JSON header line, then stdout, stderr and the harness's report."""
    os.set_blocking(fds["mark_r"], False)
    try:
        memory_error = os.read(fds["mark_r"], 1) == MEMORY_ERROR_MARK
    except BlockingIOError:
        memory_error = False
    oom_after = cgroup_read_int(cgroup, "oom")
    _, status, usage = state["exited"]
    out, err = (bytes(state["streams"][fds[name]]) for name in ("out_r", "err_r"))
    tail = bytes(state["streams"][fds["report_r"]]) if harness_cpu is not None else b""
    header = Report(status=status, wall_s=state["wall"], killed_for=state["killed_for"], memory_error=memory_error,
                    cpu_s=max(state["killed_cpu"] or 0.0, usage.ru_utime + usage.ru_stime + (harness_cpu or 0.0)),
                    oom_killed=oom_before is not None and (oom_after or 0) > oom_before,
                    cgroup_peak=cgroup_read_int(cgroup, "memory_peak"), max_rss_kb=usage.ru_maxrss,
                    stdout_len=len(out), stderr_len=len(err), stdout_truncated=state["truncated"][fds["out_r"]],
                    stderr_truncated=state["truncated"][fds["err_r"]], paired=harness_cpu is not None,
                    report_complete=harness_cpu is not None and state["report_closed"]
                    and not state["truncated"][fds["report_r"]])
    return header.encode() + b"\n" + out + err + tail


def supervise(job: Job, reply_fd: int, payload: dict, cgroup: dict[str, int], harness_fd: int | None,
              slot: dict) -> None:
    """Run one job and write its report to ``reply_fd`` (which ``run_job`` closes); every
    descriptor opened here is closed, and the working directory emptied."""
    opened: list[int] = [harness_fd] if harness_fd is not None else []
    try:
        fds = prepare(job, payload, cgroup, opened, slot)
        oom_before = cgroup_read_int(cgroup, "oom")
        program = start(job, payload, fds, harness_fd, slot, opened)
        server = slot.get("harness") if job.paired else None
        state = wait(job, fds, program, server.pid if server else None, opened)
        harness_cpu = None
        if server is not None:
            harness_cpu = server.cpu_seconds() - slot["harness_cpu"]
            if not state["report_closed"]:  # still busy at the wall limit: replaced next time
                server.kill()
                slot["harness"] = None
        if not job.isolated:
            import shutil
            shutil.rmtree(job.workdir, ignore_errors=True)
        write_all(reply_fd, report(fds, state, cgroup, oom_before, harness_cpu))
    finally:
        for fd in opened:
            with contextlib.suppress(OSError):
                os.close(fd)
        if job.isolated and slot.get("tmpfs") is not None:
            try:  # everything that could hold a file is dead: empty it for the next run
                clear_directory(WORKDIR)
            except (OSError, RecursionError):  # too deep or odd: a fresh tmpfs next time
                slot.pop("tmpfs")
                with contextlib.suppress(OSError):
                    linux.unmount(WORKDIR)


def clear_directory(path: str) -> None:
    """Remove everything inside ``path`` (as root in the namespace: modes do not stop it)."""
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                clear_directory(entry.path)
                os.rmdir(entry.path)
            else:
                os.unlink(entry.path)


def serve_slot(sock: socket.socket, config: Config, cgroup: dict[str, int]) -> None:
    """One worker slot: joins its cgroup once (runs forked from here inherit it, sparing a
    cgroup migration per run), then, with pid namespaces, starts the slot init in a fresh one."""
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # it waits for each child it starts
    for key in ("procs", "pids_procs"):
        cgroup_write(cgroup, key, str(os.getpid()))
    if config.pidns:
        linux.unshare(linux.CLONE_NEWPID)  # our next child is pid 1 of a new pid namespace
        init = os.fork()
        if init:
            sock.close()
            os.waitpid(init, 0)
            return
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if config.isolated:
        linux.unshare(linux.CLONE_NEWNS)  # the slot's own mounts: its /proc, each run's tmpfs
    if config.pidns:  # read-only like the /proc it shadows, else the kernel refuses it
        linux.mount("proc", "/proc", "proc", PROC_FLAGS)
    slot: dict = {}  # the slot's harness server, started by its first paired run
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, 1 << 16, 3)
        except ConnectionError:
            return
        if not message:
            return
        run_job(message, fds, config, cgroup, slot)


def run_job(message: bytes, fds: list[int], config: Config, cgroup: dict[str, int], slot: dict) -> None:
    """One job: a JSON line, then the payload, inline or (when large) in a memfd; a paired run's
    harness material comes in a memfd of its own, which this process never reads."""
    try:
        header, _, inline = message.partition(b"\n")
        job = Job.decode(header)
        job.isolated, job.pidns, job.seccomp = config.isolated, config.pidns, config.seccomp
        rest = fds[1:]
        if not job.inline:
            payload_fd = rest.pop(0)
            inline = os.pread(payload_fd, os.fstat(payload_fd).st_size, 0)
            os.close(payload_fd)
        harness_fd = rest.pop(0) if job.paired else None
        supervise(job, fds[0], json.loads(inline), cgroup, harness_fd, slot)
    except BaseException as error:
        with contextlib.suppress(OSError):
            write_all(fds[0], Report(error=repr(error)).encode() + b"\n")
    finally:
        with contextlib.suppress(OSError):
            os.close(fds[0])


def start_slots(ctrl: socket.socket, config: Config, cgroups: list[dict[str, int]]) -> None:
    """Fork one server per worker slot, then wait until the host hangs up."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # slot servers are auto-reaped
    sockets = [socket.socket(fileno=fd) for fd in config.slot_fds]
    for slot, sock in enumerate(sockets):
        if os.fork() == 0:
            ctrl.close()
            for other in sockets:
                if other is not sock:
                    other.close()
            serve_slot(sock, config, cgroups[slot] if slot < len(cgroups) else {})
            os._exit(0)
    for sock in sockets:
        sock.close()
    with contextlib.suppress(ConnectionError):
        while ctrl.recv(64):
            pass


def main() -> None:
    config = Config.decode(sys.argv[1])
    ctrl = socket.socket(fileno=config.ctrl_fd)
    layers: dict[str, str] = {}
    cgroups = open_cgroup_files(config.cgroups)
    os.setgroups([]) if os.geteuid() == 0 else None
    isolated = False
    if config.isolate and os.geteuid() == 0:
        linux.unshare(linux.CLONE_NEWNS)
        build_filesystem(config.hide, config.keep, layers)
        isolated = enter_namespaces(ctrl, layers)
    elif config.isolate:
        isolated = enter_namespaces(ctrl, layers)
        if isolated:
            build_filesystem(config.hide, config.keep, layers)
    config.isolated = isolated
    if isolated:
        probe_run_layers(config, layers)
    else:
        config.pidns = config.seccomp = False
        layers.setdefault("namespaces", "off: disabled by the caller")
    sys.path.extend(config.site_packages)  # empty unless the host asked for its packages
    for name in PRELOAD:
        __import__(name)
    warm_up()
    rpc.warm_up()
    gc.freeze()  # forked children then leave the zygote's objects' pages shared (fewer CoW faults)
    ctrl.send(json.dumps({"ready": True, "layers": layers, "pidns": config.pidns,
                          "workdir": WORKDIR if isolated else None}).encode())
    start_slots(ctrl, config, cgroups)


if __name__ == "__main__":
    main()
