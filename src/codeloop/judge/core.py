"""Judge a program against tests: per-test verdicts, an overall verdict, a verdict cache."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from codeloop.judge.checkers import Checker, ProgramChecker, TokenChecker
from codeloop.judge.harness import harness_for, verdict_of
from codeloop.judge.tests import Test, TestKind
from codeloop.sandbox import Execution, Limits, Run, Sandbox, Verdict
from codeloop.sandbox.languages import language as sandbox_language


@dataclass
class TestResult:
    verdict: Verdict
    test: Test
    got: str = ""  # stdout (stdio) or the repr of the returned value (call, expr)
    execution: Execution | None = None
    error: str = ""  # the traceback or reason a function-style test failed ('' for stdio: see stderr)

    @property
    def error_text(self) -> str:
        """What went wrong, for feedback: the harness's account, else the program's stderr."""
        return self.error or (self.execution.stderr if self.execution else "")

    def to_dict(self) -> dict:
        return {"verdict": str(self.verdict), "test": self.test.to_dict(), "got": self.got, "error": self.error,
                "execution": self.execution.to_dict() if self.execution else None}


@dataclass
class Judgement:
    verdict: Verdict
    results: list[TestResult] = field(default_factory=list)
    compile_error: str = ""
    tests: int = 0  # the tests asked for: ``results`` ends at the first failure with stop_on_first_failure

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.OK

    @property
    def fraction(self) -> float:
        """Partial credit: the share of the tests asked for that passed. A compile error is 0, and
        with ``stop_on_first_failure`` the tests after the first failure count as failed. Only
        ``OK`` counts: the same verdicts as ``passed``, test by test."""
        if not self.tests:
            return float(self.passed)
        return sum(result.verdict == Verdict.OK for result in self.results) / self.tests

    def to_dict(self) -> dict:
        return {"verdict": str(self.verdict), "compile_error": self.compile_error,
                "tests": [result.to_dict() for result in self.results]}


def compile_error(sandbox: Sandbox, program: str) -> str:
    """The SyntaxError message of ``program``, or '' when it compiles (warnings are the program's
    business and are not shown). Compiled as the sandbox's runs compile it (a small program on
    the host, under the run's own path, so the compile its run made is reused; a large one in a
    run of its own: ``Sandbox.syntax_error``)."""
    error = sandbox.syntax_error(program)
    if error is None:
        return ""
    if isinstance(error, RecursionError | MemoryError):
        return f"{type(error).__name__}: the program is too deeply nested to compile"
    line = getattr(error, "lineno", None)
    return f"{type(error).__name__}: {getattr(error, 'msg', error)}" + (f" (line {line})" if line else "")


def _run_for(program: str, test: Test, limits: Limits, lang: str, owner: str) -> Run:
    if test.kind == TestKind.STDIO:
        return Run(program, stdin=test.input, limits=limits, language=lang)
    if lang != "python":
        raise ValueError(f"{test.kind} tests call Python functions; a {lang} program takes stdin/stdout tests only")
    harness = harness_for(test)
    return Run(program, limits=limits, harness=dataclasses.replace(harness, owner=owner) if owner else harness)


@dataclass(frozen=True)
class JudgeRequest:
    """One program to judge, as ``Judge.judge``'s arguments, for ``Judge.judge_many``."""

    program: str
    tests: Sequence[Test]
    limits: Limits = Limits()
    stop_on_first_failure: bool = False
    language: str = "python"
    owner: str = ""


Value = TypeVar("Value")
RESULT_BYTES = 400  # what a TestResult and its Execution hold besides their texts (measured: 370 on 3.11)
MAX_REASON_CHARS = 2000


class LruCache(Generic[Value]):
    """A thread-safe cache that drops its least recently used entries beyond ``max_entries`` or
    beyond ``max_bytes`` (what its callers say each entry holds). Keys come from requests, so a
    count alone would not bound it: a program or a test may be megabytes. An entry over a sixteenth
    of ``max_bytes`` is not kept at all: it would push out many ordinary ones, and is rarely asked
    for again."""

    def __init__(self, max_bytes: int, max_entries: int) -> None:
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[Value, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: Value, size: int) -> None:
        if size > self.max_bytes // 16:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self.bytes += size - (old[1] if old is not None else 0)
            self._entries[key] = (value, size)
            while self.bytes > self.max_bytes or len(self._entries) > self.max_entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.bytes -= dropped


def _text_bytes(*texts: str) -> int:
    """The memory of distinct ``texts`` (a stdio result's ``got`` is its stdout, counted once)."""
    return sum(sys.getsizeof(text) for text in {id(text): text for text in texts}.values())


def judgement_bytes(key: tuple, judgement: Judgement) -> int:
    """What a verdict cache entry holds: its key's texts (the program, the checker's repr) and the
    judgement's. Not the tests, which the caller holds anyway (a benchmark's tasks), shared by all
    of a task's entries."""
    texts = [part for part in key if isinstance(part, str)] + [judgement.compile_error]
    for result in judgement.results:
        texts += [result.got, result.error]
        if result.execution is not None:
            texts += [result.execution.stdout, result.execution.stderr, result.execution.report or ""]
    return _text_bytes(*texts) + RESULT_BYTES * len(judgement.results)


# Its keys hold the tests: mostly a benchmark's, held anyway, but a service's come with each request.
_DIGESTS: LruCache[str] = LruCache(max_bytes=256 << 20, max_entries=1024)


def _digest(tests: tuple[Test, ...], limits: Limits) -> str:
    """What identifies a task's tests and limits in the verdict cache's key, made once per task."""
    found = _DIGESTS.get((tests, limits))
    if found is None:
        blob = json.dumps([[t.to_dict() for t in tests], repr(limits)])
        found = hashlib.sha256(blob.encode("utf-8", "surrogateescape")).hexdigest()
        held = _text_bytes(*(text for test in tests for text in (test.input, test.output, test.setup)))
        _DIGESTS.put((tests, limits), found, held)
    return found


def _unjudgeable(error: Exception) -> str:
    """The reason of a WA for output the comparison could not take (defense in depth: the checkers
    answer for any output, but a reward must stay a verdict, never an exception that aborts a run)."""
    return f"the output could not be compared: {type(error).__name__}: {error}"[:MAX_REASON_CHARS]


class Judge:
    """Judges programs in a ``Sandbox``; identical (program, tests, limits) run once, while
    their judgement stays in the cache (``cache_bytes`` of programs and results at most: one
    whose program and results take over a sixteenth of that is judged every time)."""

    def __init__(self, sandbox: Sandbox, checker: Checker | ProgramChecker | None = None,
                 cache_bytes: int = 64 << 20, cache_entries: int = 4096, concurrency: int | None = None) -> None:
        self.sandbox = sandbox
        self.checker = checker or TokenChecker()
        self.cache: LruCache[Judgement] = LruCache(cache_bytes, cache_entries)
        # Programs judged at once by judge_many and ajudge: enough to keep every slot's two job
        # places filled while the host prepares the next run (the sandbox's own thread count)
        self.concurrency = concurrency or sandbox.threads
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def judge_many(self, requests: Sequence[JudgeRequest], progress: bool = False) -> list[Judgement]:
        """Every request judged, ``concurrency`` programs at once; the judgements in request order."""
        from tqdm import tqdm
        futures = [self._executor().submit(self._judge_request, request) for request in requests]
        return [future.result() for future in tqdm(futures, desc="judge", unit="program", disable=not progress)]

    async def ajudge(self, program: str, tests: Sequence[Test], limits: Limits = Limits(),
                     stop_on_first_failure: bool = False, language: str = "python", owner: str = "") -> Judgement:
        """``judge`` for an event loop: awaited, it runs on the judge's own bounded pool, so any
        number of concurrent calls keep at most ``concurrency`` programs in the sandbox."""
        import asyncio
        request = JudgeRequest(program, tuple(tests), limits, stop_on_first_failure, language, owner)
        return await asyncio.get_running_loop().run_in_executor(self._executor(), self._judge_request, request)

    def _judge_request(self, request: JudgeRequest) -> Judgement:
        return self.judge(request.program, request.tests, request.limits, request.stop_on_first_failure,
                          request.language, request.owner)

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="judge")
            return self._pool

    def judge(self, program: str, tests: Sequence[Test], limits: Limits = Limits(),
              stop_on_first_failure: bool = False, language: str = "python", owner: str = "") -> Judgement:
        """Judge ``program``, written in ``language`` (a name or alias of the sandbox's table), on
        ``tests``; a compiled language is compiled once, a compile error giving CE. ``owner``:
        whose test code the tests are; the code of different owners never shares a harness
        server (``Harness.owner``: a service gives each request an owner of its own)."""
        tests = tuple(tests)  # a generator would be spent on the cache key
        lang = sandbox_language(language).name
        key = self._key(program, tests, limits, stop_on_first_failure, lang)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        if lang == "python":
            judgement = self._judge(program, list(tests), limits, stop_on_first_failure, owner)
        else:
            judgement = self._judge_compiled(program, list(tests), limits, stop_on_first_failure, lang, owner)
        judgement.tests = len(tests)
        if judgement.verdict != Verdict.SE:
            self.cache.put(key, judgement, judgement_bytes(key, judgement))
        return judgement

    def _key(self, program: str, tests: Sequence[Test], limits: Limits, stop: bool, lang: str) -> tuple:
        return program, _digest(tuple(tests), limits), repr(self.checker), stop, lang

    def _judge(self, program: str, tests: list[Test], limits: Limits, stop: bool, owner: str) -> Judgement:
        if len(tests) == 1:  # run it first: only a failed run needs the compile check
            result = self.judge_one(program, tests[0], limits, owner=owner)
            error = "" if result.verdict == Verdict.OK else compile_error(self.sandbox, program)
            return Judgement(Verdict.CE, compile_error=error) if error else Judgement(result.verdict, [result])
        error = compile_error(self.sandbox, program)
        if error:
            return Judgement(Verdict.CE, compile_error=error)
        return self._run_tests(program, tests, limits, stop, "python", owner)

    def _judge_compiled(self, program: str, tests: list[Test], limits: Limits, stop: bool, lang: str,
                        owner: str) -> Judgement:
        row = sandbox_language(lang)
        build = self.sandbox.build(program, row) if row.compile else None
        if build is not None and build.sandbox_failed:
            return Judgement(Verdict.SE, compile_error=build.error)
        if build is not None and not build.ok:
            return Judgement(Verdict.CE, compile_error=build.error)
        return self._run_tests(program, tests, limits, stop, lang, owner)

    def _run_tests(self, program: str, tests: list[Test], limits: Limits, stop: bool, lang: str,
                   owner: str) -> Judgement:
        results: list[TestResult] = []
        if stop:
            for test in tests:
                results.append(self.judge_one(program, test, limits, lang, owner))
                if results[-1].verdict != Verdict.OK:
                    break
        else:
            with ThreadPoolExecutor(self.sandbox.workers) as pool:
                results = list(pool.map(lambda test: self.judge_one(program, test, limits, lang, owner), tests))
        failed = [r.verdict for r in results if r.verdict != Verdict.OK]
        return Judgement(failed[0] if failed else Verdict.OK, results)

    def judge_one(self, program: str, test: Test, limits: Limits, language: str = "python",
                  owner: str = "") -> TestResult:
        """One test; ``owner``: whose test code it is (``Harness.owner``)."""
        execution = self.sandbox.execute(_run_for(program, test, limits, sandbox_language(language).name, owner))
        if test.kind != TestKind.STDIO:
            try:
                verdict, got, error = verdict_of(test, execution)
            except Exception as failure:  # see _unjudgeable
                return TestResult(Verdict.WA, test, "", execution, _unjudgeable(failure))
            return TestResult(verdict, test, got, execution, error)
        if execution.verdict != Verdict.OK:
            return TestResult(Verdict(execution.verdict), test, execution.stdout, execution)
        if isinstance(self.checker, ProgramChecker):
            verdict = self._run_checker(self.checker, test, execution.stdout, limits)
            return TestResult(verdict, test, execution.stdout, execution)
        try:
            passed = self.checker(execution.stdout, test.output)
        except Exception as failure:  # see _unjudgeable
            return TestResult(Verdict.WA, test, execution.stdout, execution, _unjudgeable(failure))
        return TestResult(Verdict.OK if passed else Verdict.WA, test, execution.stdout, execution)

    def _run_checker(self, checker: ProgramChecker, test: Test, got: str, limits: Limits) -> Verdict:
        files = {"input.txt": test.input, "output.txt": got, "expected.txt": test.output}
        run = self.sandbox.run(checker.source, files=files, limits=limits,
                               argv=["input.txt", "output.txt", "expected.txt"], filename="checker.py")
        if run.verdict == Verdict.OK:
            return Verdict.OK
        return Verdict.WA if run.verdict == "RE" else Verdict.SE
