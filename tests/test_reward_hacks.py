"""The judge is the reward: no program that does not solve its task may pass, whatever it does."""

from __future__ import annotations

import pytest

from codeloop.judge import Judge, Judgement, Verdict, stdio_test, tokens_equal
from codeloop.sandbox import Limits
from codeloop.tasks import load
from reward_hack_programs import (
    CALL_SOLUTION,
    HACKS,
    INLINE,
    MODULE_SOLUTION,
    STDIO_SOLUTION,
    STDIO_TESTS,
    Hack,
    inline_tests,
)

LIMITS = Limits(cpu_s=2, wall_s=4, memory_mb=512)


@pytest.fixture(scope="module")
def tasks():
    found = {task.id: task for task in load("humaneval")}
    found.update({task.id: task for task in load("mbpp", split="all") if task.id in ("MBPP/11", "MBPP/596")})
    return found


def judged(judge: Judge, tasks: dict, hack: Hack) -> Judgement:
    if hack.task in INLINE:
        return judge.judge(hack.completion, inline_tests(hack.task), LIMITS)
    task = tasks[hack.task]
    program = task.program(hack.completion) if hack.task.startswith("HumanEval") else hack.completion
    return judge.judge(program, task.hidden_tests, LIMITS)


def reason(judgement: Judgement) -> str:
    failed = [r for r in judgement.results if r.verdict != Verdict.OK]
    return judgement.compile_error or (failed[0].error or failed[0].got if failed else "")


def test_the_suite_covers_every_kind():
    kinds = {hack.kind for hack in HACKS}
    assert kinds == {"exit", "object", "environment", "introspection", "output", "resource", "stdio", "checker"}
    assert len(HACKS) >= 25


@pytest.mark.parametrize("hack", HACKS, ids=[f"{h.kind}: {h.name}" for h in HACKS])
def test_every_hack_fails_with_a_reason(sandbox, tasks, hack):
    judgement = judged(Judge(sandbox), tasks, hack)
    assert not judgement.passed
    assert judgement.verdict in {Verdict.WA, Verdict.RE, Verdict.TLE, Verdict.MLE, Verdict.OLE}
    if hack.kind != "stdio":  # a stdio WA's reason is the output itself
        assert reason(judgement).strip(), f"{hack.name}: failed without a reason"


def test_the_targets_canonical_solutions_pass(sandbox, tasks):
    judge = Judge(sandbox)
    for task_id in ("HumanEval/0", "HumanEval/2", "HumanEval/32", "MBPP/11"):
        task = tasks[task_id]
        assert judge.judge(task.solutions[0], task.hidden_tests, LIMITS).passed, task_id
    assert judge.judge(STDIO_SOLUTION, [stdio_test(i, o) for i, o in STDIO_TESTS], LIMITS).passed
    assert judge.judge(CALL_SOLUTION, inline_tests("call"), LIMITS).passed
    assert judge.judge(MODULE_SOLUTION, inline_tests("module"), LIMITS).passed


def test_values_with_behaviour_are_named(sandbox, tasks):
    hack = next(h for h in HACKS if h.name.startswith("__eq__ always True"))
    judgement = judged(Judge(sandbox), tasks, hack)
    assert judgement.verdict == Verdict.WA
    assert "AlwaysEqual" in reason(judgement) and "not plain data" in reason(judgement)
    subclass = next(h for h in HACKS if h.name == "int subclass with __eq__")
    assert "subclass of int that defines __eq__" in reason(judged(Judge(sandbox), tasks, subclass))


def test_output_the_checker_cannot_read_is_a_wrong_answer(sandbox, tasks):
    """A 5000-digit number (int() refuses over 4300 digits), a returned 10**400 (math.isclose
    overflows), digits or spaces outside ASCII: the judge answers WA, it does not raise."""
    judge = Judge(sandbox)
    for hack in HACKS:
        if (hack.kind == "checker" and hack.task == "stdio") or hack.name.startswith("return an integer beyond"):
            assert judged(judge, tasks, hack).verdict == Verdict.WA, hack.name


def test_an_exit_during_a_call_is_not_a_pass(sandbox, tasks):
    hack = next(h for h in HACKS if h.name == "os._exit(0) inside the function")
    judgement = judged(Judge(sandbox), tasks, hack)
    assert judgement.verdict == Verdict.RE
    assert "the program ended while handling the call has_close_elements" in reason(judgement)


def test_honest_containers_and_state_still_pass(sandbox):
    """Counter, OrderedDict, defaultdict and namedtuple travel as their plain equivalents;
    mutated arguments, state across calls, generators, expected exceptions, tolerance in the
    test itself and deep recursion keep working."""
    from codeloop.judge import script_test
    program = '''
import collections, sys
calls = 0
def count(s):
    return collections.Counter(s)
def ordered():
    return collections.OrderedDict(a=1), collections.defaultdict(int, b=2)
def point():
    return collections.namedtuple("P", "x y")(1, 2)
def sort_in_place(xs):
    xs.sort()
def counter():
    global calls
    calls += 1
    return calls
def evens(n):
    yield from range(0, n, 2)
def checked(x):
    if x < 0:
        raise ValueError("negative")
    return x ** 0.5
def depth(n):
    sys.setrecursionlimit(100000)
    return 0 if n == 0 else 1 + depth(n - 1)
'''
    test = '''
assert count("abca") == {"a": 2, "b": 1, "c": 1}
assert ordered() == ({"a": 1}, {"b": 2})
assert point() == (1, 2)
xs = [3, 1, 2]
sort_in_place(xs)
assert xs == [1, 2, 3]
assert counter() == 1 and counter() == 2
assert list(evens(7)) == [0, 2, 4, 6]
try:
    checked(-1)
    raise AssertionError("no exception")
except ValueError as error:
    assert "negative" in str(error)
assert abs(checked(2) - 1.41421356) < 1e-6
assert depth(20000) == 20000
'''
    judgement = Judge(sandbox).judge(program, [script_test(test)], Limits(cpu_s=5, memory_mb=1024))
    assert judgement.passed, judgement.results[0].error


def test_integer_answers_need_the_exact_value():
    assert tokens_equal("3.0", "3") and tokens_equal("3", "3")
    assert not tokens_equal("-3.7310546753297495e+28", "-37310546753297493775586249672")
    assert not tokens_equal(str(10**18 + 1), str(10**18))
    assert tokens_equal("0.3333333", "0.333333333")  # a real expected value keeps its tolerance
    assert tokens_equal("3", "3.0000001")


# A compiled program on stdin/stdout tests: only the output the checker compares can pass, and only
# with a clean exit; nothing it does to its process, its parent or its output streams counts.
CPP_HACKS = {
    "right answer, then abort": "#include <cstdio>\n#include <cstdlib>\nint main(){ long long a, b;"
                                " scanf(\"%lld %lld\", &a, &b); printf(\"%lld\\n\", a + b);"
                                " fflush(stdout); abort(); }\n",
    "exit 0 with nothing printed": "#include <unistd.h>\nint main(){ _exit(0); }\n",
    "the answer on stderr": "#include <cstdio>\nint main(){ long long a, b; scanf(\"%lld %lld\", &a, &b);"
                            " fprintf(stderr, \"%lld\\n\", a + b); }\n",
    "kill the parent, then exit 0": "#include <csignal>\n#include <unistd.h>\nint main(){ kill(getppid(), SIGKILL);"
                                    " kill(-1, SIGKILL); return 0; }\n",
    "a child prints after the program exits": "#include <cstdio>\n#include <unistd.h>\nint main(){ if (fork() == 0) {"
                                              " usleep(300000); puts(\"5\"); } return 0; }\n",
    "close stdout, exit 0": "#include <unistd.h>\nint main(){ close(1); return 0; }\n",
}


@pytest.mark.parametrize("name", list(CPP_HACKS))
def test_compiled_stdio_hacks_fail(sandbox, name):
    judgement = Judge(sandbox).judge(CPP_HACKS[name], [stdio_test(i, o) for i, o in STDIO_TESTS], LIMITS,
                                     language="cpp")
    assert judgement.verdict in (Verdict.WA, Verdict.RE), (name, judgement.verdict)
    assert sandbox.run("print(6 * 7)").stdout == "42\n"  # the sandbox is still healthy


@pytest.mark.parametrize("hack", HACKS, ids=[f"{h.kind}: {h.name}" for h in HACKS])
def test_every_hack_fails_through_the_service_too(sandbox, tasks, hack):
    """``codeloop serve``'s grading endpoints (``/v1/judge``, ``/v1/evaluate``) judge with the same
    judge: no hack passes there either."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from codeloop.serve import ServeConfig, create_app

    client = TestClient(create_app(ServeConfig(), sandbox=sandbox))
    if hack.task in INLINE:
        tests = [test.to_dict() for test in inline_tests(hack.task)]
        answer = client.post("/v1/judge", json={"program": hack.completion, "tests": tests,
                                                "limits": {"cpu_s": 2, "wall_s": 4, "memory_mb": 512}}).json()
    elif hack.task.startswith("HumanEval"):
        sample = {"task_id": hack.task, "completion": hack.completion}
        answer = client.post("/v1/evaluate", json={"benchmark": "humaneval", "samples": [sample]}).json()["results"][0]
    else:
        sample = {"task_id": hack.task, "program": hack.completion}
        answer = client.post("/v1/evaluate", json={"benchmark": "mbpp", "split": "all",
                                                   "samples": [sample]}).json()["results"][0]
    assert answer["passed"] is False and answer["verdict"] in {"WA", "RE", "TLE", "MLE", "OLE"}
