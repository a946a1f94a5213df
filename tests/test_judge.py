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


# --- hostile output: whatever a program prints or returns, the judge gives a verdict ------------
HUGE_RIGHT = "print('0' * 5000 + '5')"  # 5, as "05" is: int() refuses over 4300 digits
HUGE_WRONG = "print('9' * 5000)"
RETURNS_HUGE = "def f():\n    return 10**400\n"  # math.isclose(10**400, 1.5) overflows
RETURNS_DEEP = "def f():\n    x = 1.5\n    for _ in range(390):\n        x = [x]\n    return x\n"


def test_hostile_output_gets_a_verdict(judge):
    assert judge.judge(HUGE_RIGHT, [stdio_test("", "5")]).passed
    assert judge.judge(HUGE_WRONG, [stdio_test("", "5")]).verdict == Verdict.WA
    assert judge.judge("print('１２３')", [stdio_test("", "123")]).verdict == Verdict.WA
    assert judge.judge(RETURNS_HUGE, [call_test("f", [], 1.5)]).verdict == Verdict.WA
    assert judge.judge(RETURNS_HUGE, [call_test("f", [], 10**400)]).passed
    assert judge.judge(RETURNS_DEEP, [call_test("f", [], 1.5)]).verdict in (Verdict.WA, Verdict.RE)


def test_a_checker_that_raises_gives_a_wrong_answer_with_the_reason(sandbox):
    def broken(got: str, expected: str) -> bool:
        raise RecursionError("maximum recursion depth exceeded")

    judgement = Judge(sandbox, broken).judge("print(5)", [stdio_test("", "5")])
    assert judgement.verdict == Verdict.WA
    assert "RecursionError: maximum recursion depth exceeded" in judgement.results[0].error


def test_codeloop_judge_gives_a_verdict_on_hostile_output(tmp_path):
    import json
    import subprocess
    import sys

    stdio, call = {"input": "", "output": "5"}, {"kind": "call", "input": "[]", "output": "1.5", "fn_name": "f"}
    tests = tmp_path / "tests.jsonl"
    for name, source, test, code, verdict in (("right.py", HUGE_RIGHT, stdio, 0, "OK"),
                                              ("wrong.py", HUGE_WRONG, stdio, 1, "WA"),
                                              ("call.py", RETURNS_HUGE, call, 1, "WA")):
        (tmp_path / name).write_text(source)
        tests.write_text(json.dumps(test) + "\n")
        result = subprocess.run([sys.executable, "-m", "codeloop", "judge", str(tmp_path / name), str(tests)],
                                capture_output=True, text=True, timeout=120)
        assert (result.returncode, result.stdout.splitlines()[-1:]) == (code, [f"verdict: {verdict}"]), result.stderr


# --- the verdict cache: bounded by entries and by bytes -------------------------------------------
def test_the_verdict_cache_is_bounded_by_bytes_and_entries():
    from codeloop.judge.core import LruCache

    cache = LruCache(max_bytes=1600, max_entries=3)
    for key in "abcd":
        cache.put(key, key.upper(), 10)
    assert len(cache) == 3 and cache.get("a") is None and cache.get("b") == "B"  # count: the oldest goes
    cache.put("big", "x", 101)                                   # over a sixteenth of the budget: not kept
    assert cache.get("big") is None and cache.bytes == 30
    cache.put("e", "E", 100)
    cache.put("b", "B", 90)                                      # replaced: its size counts once
    assert cache.bytes == 200 and len(cache) == 3
    for key in "fghijklmnopqrstu":
        cache.put(key, key, 100)
    assert cache.bytes <= 1600 and len(cache) <= 3


def test_a_judge_holds_at_most_its_cache_budget(sandbox):
    judge = Judge(sandbox)
    tests = [stdio_test("", "1")]
    huge = "print(1)\n#" + "x" * (8 << 20)                      # 8 MB: judged, never cached
    assert judge.judge(huge, tests).passed and judge.judge(huge, tests).passed
    assert len(judge.cache) == 0 and judge.cache.bytes == 0
    small = Judge(sandbox, cache_bytes=64 << 10)
    programs = [f"print(1)\n#{index}" + "x" * 2000 for index in range(40)]
    for program in programs:
        small.judge(program, tests)
    assert 0 < small.cache.bytes <= 64 << 10 and len(small.cache) < 40
    assert small.judge(programs[-1], tests) is small.judge(programs[-1], tests)  # the recent ones stay
