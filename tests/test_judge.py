"""The judge: test kinds, overall verdicts, custom checkers, the verdict cache."""

import pytest

from codeloop.judge import (
    ExactChecker,
    Judge,
    ProgramChecker,
    Verdict,
    assertion_to_test,
    call_test,
    expr_test,
    script_test,
    stdio_test,
)
from codeloop.sandbox import Limits

ADD = "def add(a, b):\n    return a + b\n"


@pytest.fixture(scope="module")
def judge(sandbox):
    return Judge(sandbox)


def test_stdio_tests(judge):
    program = "a, b = map(int, input().split())\nprint(a + b)\n"
    judgement = judge.judge(program, [stdio_test("1 2\n", "3\n"), stdio_test("2 2\n", "5\n")])
    assert [r.verdict for r in judgement.results] == [Verdict.OK, Verdict.WA]
    assert judgement.verdict == Verdict.WA and not judgement.passed
    assert judgement.results[1].got == "4\n"


def test_call_tests_like_taco(judge):
    tests = [call_test("add", [1, 2], 3), call_test("add", [[1], [2]], [[1, 2]]), call_test("add", [1, 1], 3)]
    judgement = judge.judge(ADD, tests)
    assert [r.verdict for r in judgement.results] == [Verdict.OK, Verdict.OK, Verdict.WA]
    leetcode = "class Solution:\n    def add(self, a, b):\n        return a + b\n"
    assert judge.judge(leetcode, tests[:1]).passed


def test_expr_and_script_tests(judge):
    assert judge.judge(ADD, [expr_test("add((1,), (2,))", "(1, 2)")]).passed
    assert judge.judge(ADD, [assertion_to_test("assert add(2, 2) == 4")]).passed
    # exactly the semantics of the assert it came from: 0.1 + 0.2 != 0.3
    assert judge.judge(ADD, [assertion_to_test("assert add(0.1, 0.2) == 0.3")]).verdict == Verdict.WA
    wrong = judge.judge(ADD, [script_test("assert add(1, 1) == 3")])
    assert wrong.verdict == Verdict.WA
    crash = judge.judge(ADD, [script_test("add(1, 'x')")])
    assert crash.verdict == Verdict.RE
    assert "TypeError" in crash.results[0].error


def test_assertion_to_test_shapes():
    assert assertion_to_test("assert f(1) == [2]").kind == "expr"
    assert assertion_to_test("assert f(1) == [2]").output == "[2]"
    assert assertion_to_test("assert f(1)").kind == "script"
    assert assertion_to_test("assert math.isclose(f(1), 2)").kind == "script"


def test_compile_error_and_runtime_verdicts(judge):
    assert judge.judge("def f(:\n", [stdio_test("", "")]).verdict == Verdict.CE
    tle = judge.judge("while True: pass", [stdio_test("", "")], Limits(cpu_s=0.5))
    assert tle.verdict == Verdict.TLE
    mle = judge.judge("x = ' ' * 2**34", [stdio_test("", "")], Limits(memory_mb=64))
    assert mle.verdict == Verdict.MLE


def test_overall_verdict_is_first_failure_and_stop_early(judge):
    program = "n = int(input())\nif n == 2:\n    1 / 0\nprint(n)\n"
    tests = [stdio_test("1", "1"), stdio_test("2", "2"), stdio_test("3", "4")]
    full = judge.judge(program, tests)
    assert [r.verdict for r in full.results] == [Verdict.OK, Verdict.RE, Verdict.WA]
    assert full.verdict == Verdict.RE
    early = judge.judge(program, tests, stop_on_first_failure=True)
    assert len(early.results) == 2


def test_custom_checker_program(sandbox):
    checker = ProgramChecker("import sys\ngot = open(sys.argv[2]).read().split()\n"
                             "sys.exit(0 if sorted(got) == sorted(open('expected.txt').read().split()) else 1)\n")
    judge = Judge(sandbox, checker)
    assert judge.judge("print(3, 1, 2)", [stdio_test("", "1 2 3")]).passed
    assert judge.judge("print(3, 1, 1)", [stdio_test("", "1 2 3")]).verdict == Verdict.WA


def test_exact_checker_judge(sandbox):
    judge = Judge(sandbox, ExactChecker())
    assert judge.judge("print('1  2')", [stdio_test("", "1 2")]).verdict == Verdict.WA


def test_cache_runs_identical_programs_once(sandbox):
    judge = Judge(sandbox)
    tests = [stdio_test("", "1")]
    first = judge.judge("import random\nprint(random.randint(1, 10**9))", tests)
    second = judge.judge("import random\nprint(random.randint(1, 10**9))", tests)
    assert second is first
    assert judge.judge("print(1)", tests, Limits(cpu_s=2)) is not judge.judge("print(1)", tests)
