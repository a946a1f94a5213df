"""Tests, output checkers, verdicts and feedback text on top of the sandbox.

    tests.py            the test kinds: stdio, call, expr, script
    core.py             ``Judge``: a program on its tests, compiled once, a verdict per test; many
                        programs at once (``judge_many``, ``ajudge``); partial credit (``fraction``)
    checkers.py         token, exact and program checkers (numbers exactly, reals within 1e-6)
    harness.py          function-style tests as paired runs: the trusted side in the harness
    harness_program.py  the harness's own program, run in the slot's harness server
    feedback.py         RLEF's feedback text at the granularities binary, failed, all
"""

from codeloop.judge.checkers import ExactChecker, ProgramChecker, TokenChecker, tokens_equal, values_equal
from codeloop.judge.core import Judge, Judgement, JudgeRequest, TestResult, Verdict, compile_error
from codeloop.judge.feedback import Granularity, feedback, normalize_traceback
from codeloop.judge.tests import (
    Test,
    TestKind,
    assertion_to_test,
    call_test,
    expr_test,
    script_test,
    stdio_test,
)

__all__ = ["ExactChecker", "Granularity", "Judge", "JudgeRequest", "Judgement", "ProgramChecker", "Test", "TestKind",
           "TestResult", "TokenChecker", "Verdict", "assertion_to_test", "call_test", "compile_error",
           "expr_test", "feedback", "normalize_traceback", "script_test", "stdio_test", "tokens_equal",
           "values_equal"]
