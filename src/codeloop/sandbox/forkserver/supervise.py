"""A slot's supervision of one run: its descriptors and working directory, the program's fork
(and a paired run's hand-over to the slot's harness server), the wall clock and output caps, the
clean-up of everything the run left, and the report. Standard library only; loaded by
``zygote.py`` beside it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import select
import signal
import stat
import time

import linux
from forker import Forker
from harness_server import HarnessServer
from messages import Job, Report, framed
from namespaces import WORKDIR, log
from processes import SessionCPU, kill_leftovers, reap_all, reap_exited, tree_cpu_seconds
from program import (
    ARTEFACTS_FD,
    CALLS_FD,
    MARK_FD,
    MEMORY_ERROR_MARK,
    REPLIES_FD,
    SOLUTION,
    rlimits,
    write_all,
)

REPORT_CAP = 1 << 20  # bytes of a harness's report
RESWEEP_S = 0.02  # once the program has exited, how often what it left is killed again
SESSION_CPU_CHECK_S = 0.25  # how often a session's CPU, all its processes together, is added up
ARTEFACTS_CAP = 256 << 20  # bytes a compile may leave for its runs, or a run's fetched files


def cgroup_write(fds: dict[str, int], key: str, value: str) -> None:
    if key in fds:
        try:
            os.pwrite(fds[key], value.encode(), 0)
        except OSError as error:
            log(f"cgroup {key}: {error}")


def set_cgroup_limit(fds: dict[str, int], key: str, value: int) -> None:
    """Write a limit and read it back: a run never starts under another run's limit (a write
    refused, as v1's memory limit is below what the group still holds, raises: a sandbox error)."""
    if key not in fds:
        return
    cgroup_write(fds, key, str(value))
    if cgroup_read_int(fds, key) != value:
        raise OSError(f"the slot's cgroup {key} could not be set to {value}")


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


def write_files(files: list[tuple[str, bytes]], workdir: str) -> None:
    """Write a run's files (its source among them) into its empty working directory, before its
    program is forked: written here, where pages written are not copies."""
    for name, data in files:
        path = os.path.join(workdir, name)
        if os.path.dirname(name):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            write_all(fd, data)
        finally:
            os.close(fd)


def prepare(job: Job, payload: dict, cgroup: dict[str, int], opened: list[int], slot: dict) -> dict[str, int]:
    """The run's descriptors (stdin, output pipes, the mark, a paired run's channel), its cgroup
    limits and its working directory (a tmpfs the slot keeps while the size limit stays) with the
    run's files in it."""
    stdin = payload["stdin"].encode("utf-8", "surrogateescape")  # none: /dev/null, cheaper than a memfd
    fds = {"stdin": os.memfd_create("stdin") if stdin else os.open(os.devnull, os.O_RDONLY)}
    if "artefacts_fd" in payload:
        fds["artefacts"] = payload.pop("artefacts_fd")
    pipes = ["out", "err", "mark"] + (["calls", "replies", "report"] if job.paired else [])
    for name in pipes:
        fds[name + "_r"], fds[name + "_w"] = os.pipe()
    opened += fds.values()
    if job.session:  # the host's pipes (in ``opened`` already); the lifeline stays here, out of the program's reach
        fds["calls_r"], fds["replies_w"], fds["lifeline"] = payload.pop("session_fds")
    if stdin:
        write_all(fds["stdin"], stdin)
        os.lseek(fds["stdin"], 0, os.SEEK_SET)
    job.rlimits = rlimits(job)
    # v2: the program's processes and the forker; v1: the slot's helpers (init, spawner, forker,
    # harness server and its threads) are in the pids cgroup too
    helpers = 1 if "pids_procs" not in cgroup else 68 if job.paired else 4
    limits = (job.memory_bytes, job.processes + helpers)
    if slot.get("cgroup_limits") != limits:  # as the last run left them otherwise: only we write them
        slot.pop("cgroup_limits", None)  # until both are verified
        set_cgroup_limit(cgroup, "memory_max", limits[0])
        set_cgroup_limit(cgroup, "pids_max", limits[1])
        slot["cgroup_limits"] = limits
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
        job.workdir = os.path.realpath(tempfile.mkdtemp(prefix="codeloop-run-"))  # as os.getcwd() says it
    filename = payload.get("filename") or SOLUTION
    payload["path"] = os.path.normpath(os.path.join(job.workdir, filename))  # the program's __file__
    write_files([(name, text.encode("utf-8", "surrogateescape")) for name, text in
                 [*payload["files"].items(), (filename, payload["source"])]], job.workdir)
    return fds


def start(job: Job, payload: dict, fds: dict[str, int], harness_fd: int | None, slot: dict,
          opened: list[int]) -> int:
    """Have the slot's forker fork the program and, in a paired run, hand the slot's harness
    server its side; close their ends here."""
    wanted = {0: "stdin", 1: "out_w", 2: "err_w", MARK_FD: "mark_w"}
    if "artefacts" in fds:
        wanted[ARTEFACTS_FD] = "artefacts"
    if job.paired or job.session:
        wanted.update({CALLS_FD: "calls_r", REPLIES_FD: "replies_w"})
    if job.paired:
        server = slot.get("harness")
        # a server runs one owner's test code under one memory limit: another owner's run (a
        # service's other request) gets a fresh one, whatever the last owner's code did to it
        serves = (payload.get("harness_owner", ""), job.memory_bytes)
        if server is None or not server.alive() or slot.get("harness_for") != serves:
            if server is not None:
                server.kill()  # reaps it and closes what pointed at it
            server = slot["harness"] = HarnessServer(job.harness_uid, job.seccomp, job.memory_bytes, slot["spawner"])
            slot["harness_for"] = serves
        slot["harness_cpu"] = server.cpu_seconds()
        codes = slot.setdefault("harness_codes", {})
        if "harness_code" in payload:
            codes[payload["harness_code_id"]] = bytes.fromhex(payload["harness_code"])
        server.start_run(codes[payload["harness_code_id"]],
                         [fds["report_w"], fds["calls_w"], fds["replies_r"], harness_fd])
    forker = slot["forker"]
    program = forker.start(job, payload, {target: fds[name] for target, name in wanted.items()})
    for name in ("stdin", "out_w", "err_w", "mark_w", "calls_r", "calls_w", "replies_r", "replies_w", "report_w",
                 "artefacts"):
        if name in fds:
            fd = fds.pop(name)
            os.close(fd)
            opened.remove(fd)
    return program


def wait(job: Job, fds: dict[str, int], program: int, forker: Forker, spares: set[int]) -> dict:
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
    poller.register(forker.fileno(), select.POLLIN)  # it answers when the program has ended
    lifeline = fds.get("lifeline")  # a session's: readable (a byte, or EOF) once the host has ended it
    if lifeline is not None:
        poller.register(lifeline, select.POLLIN)
    session_cpu = SessionCPU(job, program, spares) if job.session else None
    # "swept_clean": the last sweep after the program's end found nothing. Then nothing is left to
    # reap: every process of the run descends from the program, and a dead one stays listed (a
    # zombie of this process) until reaped here
    state = {"killed_for": "", "killed_cpu": None, "exited": None, "report_closed": report_fd is None,
             "swept_clean": False}

    def kill(reason: str) -> None:
        if not state["killed_for"]:
            spent = session_cpu.seconds() if session_cpu is not None else tree_cpu_seconds(program)
            state["killed_for"], state["killed_cpu"] = reason, spent
            kill_leftovers(job, program, spares)

    open_streams = len(streams)
    while open_streams or state["exited"] is None:
        now = time.monotonic()
        if now >= deadline:
            kill("wall")
        if now >= deadline + 0.8:
            break  # a stream held open from outside the run, or a harness still busy: give up on it
        wake_at = deadline + 0.8 if state["killed_for"] else deadline
        if state["exited"] is not None:
            wake_at = min(wake_at, now + RESWEEP_S)
        if session_cpu is not None and not state["killed_for"]:  # RLIMIT_CPU is each process's, not the session's
            reap_exited()
            if session_cpu.seconds() > job.cpu_s:
                kill("cpu")
            wake_at = min(wake_at, now + SESSION_CPU_CHECK_S)
        events = poller.poll(max(1, int((wake_at - now) * 1000)))
        if not events and state["exited"] is not None:  # one forked while the last sweep ran holds a stream
            state["swept_clean"] = not kill_leftovers(job, program, spares)
        for fd, _ in events:
            if fd == lifeline:  # the session is over: a program still busy is stopped now
                poller.unregister(fd)
                kill("closed")
                continue
            if fd == forker.fileno():
                poller.unregister(fd)
                state["exited"] = program_end(forker, program)
                state["swept_clean"] = not kill_leftovers(job, program, spares)  # they may hold the pipes open
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
        state["exited"] = program_end(forker, program)
        state["swept_clean"] = False
    if not state["swept_clean"]:
        reap_all(job, program, spares)
    state.update(wall=wall, streams=streams, truncated=truncated)
    return state


def program_end(forker: Forker, program: int) -> tuple[int, float, int]:
    """The program's (wait status, CPU seconds, peak RSS kB), from its forker. A forker gone
    (the cgroup's OOM killer took it, or a program of its uid killed it) leaves the program to
    us: it is counted as killed by SIGKILL (MLE when the OOM killer struck, else RE), not as a
    failure of the sandbox, and the next run gets a new forker."""
    try:
        return forker.result()
    except OSError:
        return int(signal.SIGKILL), tree_cpu_seconds(program), 0  # a wait status: marshal takes no enum


def collect(patterns: list[str], workdir: str) -> list[tuple[str, bytes]]:
    """The regular files of ``workdir`` (top level) that a compile left and its runs need."""
    names = [name for name in sorted(os.listdir(workdir))
             if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)]
    return read_files(names, workdir, nested=False)


def read_files(names: list[str], workdir: str, nested: bool = True) -> list[tuple[str, bytes]]:
    """Those of ``names`` (relative to ``workdir``) that are regular files inside it, with their
    bytes; the others are left out. Everything of the run is dead by now: nothing can race this."""
    found, total, root = [], 0, os.path.realpath(workdir)
    for name in names:
        path = os.path.realpath(os.path.join(workdir, name)) if nested else os.path.join(root, name)
        if not path.startswith(root + "/"):
            continue  # a link out of the working directory
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                continue
            total += info.st_size
            if total > ARTEFACTS_CAP:
                raise OSError(f"the run left more than {ARTEFACTS_CAP >> 20} MB to read back")
            chunks, left = [], info.st_size
            while left > 0 and (chunk := os.read(fd, min(left, 1 << 24))):
                chunks.append(chunk)
                left -= len(chunk)
            found.append((name, b"".join(chunks)))
        finally:
            os.close(fd)
    return found


def report(fds: dict[str, int], state: dict, cgroup: dict[str, int], oom_before: int | None,
           harness_cpu: float | None, artefacts: list[tuple[str, bytes]]) -> bytes:
    """The supervisor's report: the Report, then stdout, stderr, the harness's report and a
    compile's artefacts."""
    os.set_blocking(fds["mark_r"], False)
    try:
        memory_error = os.read(fds["mark_r"], 1) == MEMORY_ERROR_MARK
    except BlockingIOError:
        memory_error = False
    oom_after = cgroup_read_int(cgroup, "oom")
    status, cpu_s, max_rss_kb = state["exited"]
    out, err = (bytes(state["streams"][fds[name]]) for name in ("out_r", "err_r"))
    tail = bytes(state["streams"][fds["report_r"]]) if harness_cpu is not None else b""
    header = Report(status=status, wall_s=state["wall"], killed_for=state["killed_for"], memory_error=memory_error,
                    cpu_s=max(state["killed_cpu"] or 0.0, cpu_s + (harness_cpu or 0.0)),
                    oom_killed=oom_before is not None and (oom_after or 0) > oom_before, max_rss_kb=max_rss_kb,
                    stdout_len=len(out), stderr_len=len(err), stdout_truncated=state["truncated"][fds["out_r"]],
                    stderr_truncated=state["truncated"][fds["err_r"]], paired=harness_cpu is not None,
                    report_complete=harness_cpu is not None and state["report_closed"]
                    and not state["truncated"][fds["report_r"]],
                    artefacts=[[name, len(data)] for name, data in artefacts])
    return framed(header.encode(), out, err, tail, *(data for _, data in artefacts))


def supervise(job: Job, reply_fd: int, payload: dict, cgroup: dict[str, int], harness_fd: int | None,
              slot: dict) -> None:
    """Run one job and write its report to ``reply_fd`` (which ``run_job`` closes); every
    descriptor opened here is closed, and the working directory emptied."""
    opened: list[int] = [harness_fd] if harness_fd is not None else []
    opened += payload.get("session_fds", [])
    try:
        if not slot["forker"].alive():  # before the run's descriptors exist
            slot["forker"].kill()
            slot["forker"] = slot["new_forker"]()
        fds = prepare(job, payload, cgroup, opened, slot)
        oom_before = cgroup_read_int(cgroup, "oom")
        program = start(job, payload, fds, harness_fd, slot, opened)
        server = slot.get("harness") if job.paired else None
        spares = {helper.pid for helper in (slot.get("forker"), slot.get("harness"), slot.get("spawner"))
                  if helper is not None}
        state = wait(job, fds, program, slot["forker"], spares)
        harness_cpu = None
        if server is not None:
            harness_cpu = server.cpu_seconds() - slot["harness_cpu"]
            if not state["report_closed"]:  # still busy at the wall limit: replaced next time
                server.kill()
                slot["harness"] = None
        artefacts = []
        if payload.get("collect") and state["exited"][0] == 0 and not state["killed_for"]:
            artefacts = collect(payload["collect"], job.workdir)
        elif payload.get("fetch"):  # files a caller asked back, whatever the run's outcome
            artefacts = read_files(payload["fetch"], job.workdir)
        if not job.isolated:
            import shutil
            shutil.rmtree(job.workdir, ignore_errors=True)
        write_all(reply_fd, report(fds, state, cgroup, oom_before, harness_cpu, artefacts))
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
