"""Judge a program against tests: per-test verdicts, an overall verdict, a verdict cache."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from codeloop.judge.checkers import Checker, ProgramChecker, TokenChecker
from codeloop.judge.harness import harness_for, verdict_of
from codeloop.judge.tests import Test, TestKind
from codeloop.sandbox import Execution, Limits, Run, Sandbox, Verdict, compile_quietly
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

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.OK

    def to_dict(self) -> dict:
        return {"verdict": str(self.verdict), "compile_error": self.compile_error,
                "tests": [result.to_dict() for result in self.results]}


def compile_error(program: str, path: str = "solution.py") -> str:
    """The SyntaxError message of ``program``, or '' when it compiles (warnings are the program's
    business and are not shown). ``path``: the name it is compiled under (the sandbox's own, so
    that the compile its run made is reused; the message does not show it)."""
    _, error, _ = compile_quietly(program, path)
    if error is None:
        return ""
    if isinstance(error, RecursionError | MemoryError):
        return f"{type(error).__name__}: the program is too deeply nested to compile"
    line = getattr(error, "lineno", None)
    return f"{type(error).__name__}: {getattr(error, 'msg', error)}" + (f" (line {line})" if line else "")


def _run_for(program: str, test: Test, limits: Limits, lang: str) -> Run:
    if test.kind == TestKind.STDIO:
        return Run(program, stdin=test.input, limits=limits, language=lang)
    if lang != "python":
        raise ValueError(f"{test.kind} tests call Python functions; a {lang} program takes stdin/stdout tests only")
    return Run(program, limits=limits, harness=harness_for(test))


@functools.lru_cache(maxsize=1024)
def _digest(tests: tuple[Test, ...], limits: Limits) -> str:
    """What identifies a task's tests and limits in the verdict cache's key, made once per task."""
    blob = json.dumps([[t.to_dict() for t in tests], repr(limits)])
    return hashlib.sha256(blob.encode("utf-8", "surrogateescape")).hexdigest()


class Judge:
    """Judges programs in a ``Sandbox``; identical (program, tests, limits) run once."""

    def __init__(self, sandbox: Sandbox, checker: Checker | ProgramChecker | None = None) -> None:
        self.sandbox = sandbox
        self.checker = checker or TokenChecker()
        self._cache: dict[tuple, Judgement] = {}
        self._lock = threading.Lock()

    def judge(self, program: str, tests: Sequence[Test], limits: Limits = Limits(),
              stop_on_first_failure: bool = False, language: str = "python") -> Judgement:
        """Judge ``program``, written in ``language`` (a name or alias of the sandbox's table), on
        ``tests``; a compiled language is compiled once, a compile error giving CE."""
        lang = sandbox_language(language).name
        key = self._key(program, tests, limits, stop_on_first_failure, lang)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        if lang == "python":
            judgement = self._judge(program, list(tests), limits, stop_on_first_failure)
        else:
            judgement = self._judge_compiled(program, list(tests), limits, stop_on_first_failure, lang)
        if judgement.verdict != Verdict.SE:
            with self._lock:
                self._cache[key] = judgement
        return judgement

    def _key(self, program: str, tests: Sequence[Test], limits: Limits, stop: bool, lang: str) -> tuple:
        return program, _digest(tuple(tests), limits), repr(self.checker), stop, lang

    def _judge(self, program: str, tests: list[Test], limits: Limits, stop: bool) -> Judgement:
        if len(tests) == 1:  # run it first: only a failed run needs the compile check
            result = self.judge_one(program, tests[0], limits)
            error = "" if result.verdict == Verdict.OK else compile_error(program, self.sandbox.source_path())
            return Judgement(Verdict.CE, compile_error=error) if error else Judgement(result.verdict, [result])
        error = compile_error(program, self.sandbox.source_path())
        if error:
            return Judgement(Verdict.CE, compile_error=error)
        return self._run_tests(program, tests, limits, stop, "python")

    def _judge_compiled(self, program: str, tests: list[Test], limits: Limits, stop: bool, lang: str) -> Judgement:
        row = sandbox_language(lang)
        build = self.sandbox.build(program, row) if row.compile else None
        if build is not None and build.sandbox_failed:
            return Judgement(Verdict.SE, compile_error=build.error)
        if build is not None and not build.ok:
            return Judgement(Verdict.CE, compile_error=build.error)
        return self._run_tests(program, tests, limits, stop, lang)

    def _run_tests(self, program: str, tests: list[Test], limits: Limits, stop: bool, lang: str) -> Judgement:
        results: list[TestResult] = []
        if stop:
            for test in tests:
                results.append(self.judge_one(program, test, limits, lang))
                if results[-1].verdict != Verdict.OK:
                    break
        else:
            with ThreadPoolExecutor(self.sandbox.workers) as pool:
                results = list(pool.map(lambda test: self.judge_one(program, test, limits, lang), tests))
        failed = [r.verdict for r in results if r.verdict != Verdict.OK]
        return Judgement(failed[0] if failed else Verdict.OK, results)

    def judge_one(self, program: str, test: Test, limits: Limits, language: str = "python") -> TestResult:
        execution = self.sandbox.execute(_run_for(program, test, limits, sandbox_language(language).name))
        if test.kind != TestKind.STDIO:
            verdict, got, error = verdict_of(test, execution)
            return TestResult(verdict, test, got, execution, error)
        if execution.verdict != Verdict.OK:
            return TestResult(Verdict(execution.verdict), test, execution.stdout, execution)
        return TestResult(self._check(test, execution.stdout, limits), test, execution.stdout, execution)

    def _check(self, test: Test, got: str, limits: Limits) -> Verdict:
        if not isinstance(self.checker, ProgramChecker):
            return Verdict.OK if self.checker(got, test.output) else Verdict.WA
        files = {"input.txt": test.input, "output.txt": got, "expected.txt": test.output}
        run = self.sandbox.run(self.checker.source, files=files, limits=limits,
                               argv=["input.txt", "output.txt", "expected.txt"], filename="checker.py")
        if run.verdict == Verdict.OK:
            return Verdict.OK
        return Verdict.WA if run.verdict == "RE" else Verdict.SE
