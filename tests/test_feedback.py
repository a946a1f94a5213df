"""Feedback text in the exact RLEF (arXiv 2410.02089, appendix C) and 2410.08105 templates."""

import pytest

from codeloop.judge import Judge, Verdict, feedback, normalize_traceback, stdio_test
from codeloop.judge.feedback import FORMAT_LINE
from codeloop.sandbox import Limits

PROGRAM = "n = int(input())\nif n == 3:\n    1 / 0\nif n == 4:\n    while True: pass\nprint(n * 2)\n"
TESTS = [stdio_test("1", "2"), stdio_test("2", "5"), stdio_test("3", "6"), stdio_test("4", "8")]


@pytest.fixture(scope="module")
def judgement(sandbox):
    return Judge(sandbox).judge(PROGRAM, TESTS, Limits(cpu_s=0.5))


def test_rlef_failed_tests(judgement):
    assert [r.verdict for r in judgement.results] == [Verdict.OK, Verdict.WA, Verdict.RE, Verdict.TLE]
    text = feedback(judgement, "failed")
    assert text == (
        "Your code failed the following tests:\n"
        "- input '2' failed: Expected output '5' but got '4'\n"
        "- input '3' failed: Traceback (most recent call last):\n"
        '  File "solution.py", line 3, in <module>\n'
        "    1 / 0\n"
        "    ~~^~~\n"
        "ZeroDivisionError: division by zero\n"
        "- input '4' failed: Execution took too long.\n"
        "Give it another try. " + FORMAT_LINE)


def test_binary_and_all_granularities(judgement):
    assert feedback(judgement, "binary") == "This solution was wrong.\nGive it another try. " + FORMAT_LINE
    everything = feedback(judgement, "all")
    assert "- input `1` passed with expected output `2`" in everything
    assert everything.index("failed:") < everything.index("passed with")


def test_passed_gives_no_feedback(sandbox):
    judgement = Judge(sandbox).judge("print(int(input()) * 2)", TESTS[:1])
    assert feedback(judgement) == ""


def test_compile_error_feedback(sandbox):
    judgement = Judge(sandbox).judge("def f(:", TESTS[:1])
    assert feedback(judgement).startswith("Could not parse your code.\nSyntaxError")


def test_out_of_memory_line(sandbox):
    judgement = Judge(sandbox).judge("x = ' ' * 2**34", TESTS[:1], Limits(memory_mb=64))
    assert "- input '1' failed: Out of memory." in feedback(judgement)


def test_traceback_paths_normalized_and_capped(sandbox):
    trace = 'Traceback (most recent call last):\n  File "/tmp/x/solution.py", line 1, in <module>\n' \
            '  File "/usr/lib/python3.11/json/__init__.py", line 2, in loads\nValueError: bad'
    assert normalize_traceback(trace).splitlines()[1:3] == [
        '  File "solution.py", line 1, in <module>', '  File "__init__.py", line 2, in loads']
    judgement = Judge(sandbox).judge("print('x' * 100000)", [stdio_test(str(i), "y") for i in range(20)])
    assert len(feedback(judgement)) <= 4096
