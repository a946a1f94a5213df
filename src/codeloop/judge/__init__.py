"""Tests, output checkers, verdicts and feedback text on top of the sandbox."""

from codeloop.judge.checkers import ExactChecker, ProgramChecker, TokenChecker, tokens_equal, values_equal
from codeloop.judge.core import Judge, Judgement, TestResult, Verdict, compile_error
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

__all__ = ["ExactChecker", "Granularity", "Judge", "Judgement", "ProgramChecker", "Test", "TestKind",
           "TestResult", "TokenChecker", "Verdict", "assertion_to_test", "call_test", "compile_error",
           "expr_test", "feedback", "normalize_traceback", "script_test", "stdio_test", "tokens_equal",
           "values_equal"]
