"""A run's program process: forked from the slot's forker in its working directory, its files
written and its descriptors in place, it drops to the run's uid, limits and seccomp, then runs
the source as ``python`` would (or, in a paired run, loads it as module ``solution`` and answers
the harness's calls). Standard library only; loaded by ``zygote.py`` beside it. Each object made
here before the program runs is a page copied from the forker, so what can be done before the
fork is (``rlimits``, the files, the descriptors, the working directory, ``__file__``).
"""

from __future__ import annotations

import marshal
import os
import resource
import sys

import linux
import rpc
from messages import Job

# Descriptors of a run's program: 0-2 stdio, 3 the memory-error mark, and in a paired run 4 the
# harness's calls, 5 its replies. The slot's harness server gets the other ends per run.
MARK_FD, CALLS_FD, REPLIES_FD = 3, 4, 5
ARTEFACTS_FD = 6  # a compiled program's artefacts (a sealed memfd): copied into the working directory, or exec'd
PROGRAM_FDS = 7  # descriptors 0 to 6: the program's; the forker closes the others in it
# The fork server's modules, out of sys.modules before any program runs (a program's own modules
# of these names must import)
OWN_MODULES = ("linux", "namespaces", "rpc", "codec", "harness_server", "forker", "helper", "messages", "program",
               "processes", "supervise", "zygote")
SOLUTION = "solution.py"
PROGRAM_NICE = 5  # added to a program's niceness: its supervisor and harness come first

MEMORY_ERROR_MARK = b"M"


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


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


def rlimits(job: Job) -> list[tuple[int, tuple[int, int]]]:
    """The run's rlimits, made before the fork (what a forked child allocates, it copies pages for)."""
    cpu = int(job.cpu_s + 0.999)
    memory, files, processes = job.memory_bytes, job.file_size_bytes, job.processes
    address = memory if job.address_limit else resource.RLIM_INFINITY  # else the cgroup limits memory
    return [(resource.RLIMIT_CPU, (cpu, cpu + 1)), (resource.RLIMIT_AS, (address, address)),
            (resource.RLIMIT_STACK, (memory, memory)), (resource.RLIMIT_FSIZE, (files, files)),
            (resource.RLIMIT_NPROC, (processes, processes)), (resource.RLIMIT_NOFILE, (256, 256)),
            (resource.RLIMIT_CORE, (0, 0))]


def become(uid: int | None, job: Job) -> None:
    """Drop to ``uid`` (when slots have their own uids), set the run's rlimits and seccomp. Without
    a uid to drop to (the sandbox not run as root), drop every capability instead: the process
    stays uid 0 of the user namespace, and its capabilities there would open non-dumpable
    processes' /proc files (the harness's memory) to it. The program also runs at a lower
    priority (nice ``PROGRAM_NICE``) than the slot's supervisor and harness, so that a program
    that starts many busy processes cannot delay the supervisor enforcing its wall clock."""
    os.nice(PROGRAM_NICE)
    if uid is not None:
        os.setgid(uid)
        os.setuid(uid)
    for which, value in job.rlimits:
        resource.setrlimit(which, value)
    if uid is None and job.isolated:
        linux.drop_capabilities()
    if job.seccomp_inherited:  # the forker installed it (and no_new_privs): filters pass on to children
        return
    if job.seccomp:
        linux.install_seccomp()
    else:
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)


def run_program(job: Job, payload: dict) -> None:
    """In the program process, in its working directory with its files: drop privileges, exec the
    source (in a paired run, load it as module ``solution`` and answer the harness's calls)."""
    filename = payload.get("filename") or SOLUTION
    in_memory = payload.get("exec_artefact", False)  # a lone binary: exec'd from its sealed memfd
    if "artefacts" in payload and not in_memory:
        copy_artefacts(payload["artefacts"])
    become(job.uid, job)
    if "exec" in payload:  # a compiler, or a compiled program or its runtime
        argv = payload["exec"]
        os.close(MARK_FD)  # a Python run's alone
        if in_memory:
            os.set_inheritable(ARTEFACTS_FD, False)  # an ELF binary execs from a close-on-exec descriptor
        try:
            os.execve(ARTEFACTS_FD if in_memory else argv[0], argv, payload["env"])
        except OSError as error:
            os.write(2, f"cannot run {argv[0]}: {error.strerror}\n".encode())
            os._exit(127)
    sys.argv = [filename, *payload["argv"]]
    sys.path.insert(0, job.workdir)
    main = type(sys)("__main__")
    main.__file__ = payload["path"]
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    code = 0
    try:
        if payload.get("code_file") == main.__file__:  # compiled by the host, same interpreter
            code = marshal.loads(payload["code"])
        else:
            code = compile(payload["source"], main.__file__, "exec", dont_inherit=True)
        if job.paired:
            rpc.program_main(code, main.__file__, CALLS_FD, REPLIES_FD, payload["announce"])
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


def copy_artefacts(artefacts: list) -> None:
    """Write each (name, size, mode) of the artefacts memfd, in order, into the working directory."""
    offset = 0
    for name, size, mode in artefacts:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        copied = 0
        while copied < size:
            sent = os.sendfile(fd, ARTEFACTS_FD, offset + copied, size - copied)
            if not sent:
                raise OSError("artefact shorter than announced")
            copied += sent
        os.close(fd)
        offset += size
    os.close(ARTEFACTS_FD)
