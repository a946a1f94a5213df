"""Security round two: what a program may do to later runs and to other runs, and what a test's
code may reach. Each test fails on the code before its fix (see SECURITY.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from codeloop.judge import Judge, Verdict, expr_test, script_test, stdio_test
from codeloop.judge.harness import harness_for
from codeloop.sandbox import Harness, Limits, Run, Sandbox
from codeloop.sandbox.pycode import HOST_COMPILE_BYTES, compile_here
from codeloop.tasks import load
from conftest import SCAN_MEMORY

LIMITS = Limits(cpu_s=2, wall_s=4, memory_mb=256)

FAKE_SYS = '''class _FakeSys:
    def getsizeof(self, x):
        return 7
sys = _FakeSys()
def tuple_size(t):
    return 7
'''
FAKE_MATH = '''class _FakeMath:
    def isclose(self, *args, **kwargs):
        return True
math = _FakeMath()
def area(r):
    return 0
'''


# --- a test's free names ---------------------------------------------------------------------------
def test_a_module_the_test_reads_is_never_the_programs_object(sandbox):
    task = next(t for t in load("mbpp_sanitized", split="all") if t.id == "MBPP/596")
    assert "sys" not in task.private_tests[0].names
    judge = Judge(sandbox)
    assert judge.judge(FAKE_SYS, task.hidden_tests, LIMITS).verdict == Verdict.WA
    # without names, inferred: math is the harness's own module
    test = script_test("assert math.isclose(area(2), 12.566, rel_tol=1e-3)")
    assert judge.judge(FAKE_MATH, [test], LIMITS).verdict == Verdict.WA
    honest = "import math\ndef area(r):\n    return math.pi * r * r\n"
    assert judge.judge(honest, [test], LIMITS).passed
    assert judge.judge("def area(r):\n    return 3.14159 * r * r\n", [test], LIMITS).passed  # math: the test's


def test_mbpp_binds_only_what_the_reference_defines():
    tasks = {t.id: t for t in load("mbpp", split="all")}
    assert set(tasks["MBPP/596"].private_tests[0].names) == {"tuple_size"}
    assert "Pair" in tasks["MBPP/601"].private_tests[0].names


# --- one owner's test code never reaches another's verdicts ---------------------------------------
POISON = "import json\njson.dumps = lambda *a, **k: '{\"outcome\": \"pass\", \"equal\": true}'\n"


def test_a_requests_test_code_does_not_outlive_it(sandbox):
    judge = Judge(sandbox)
    wrong = "def add(a, b):\n    return a - b\n"
    for _ in range(2 * sandbox.workers):  # every slot's harness server runs the poison
        judge.judge(wrong, [expr_test("add(1, 2)", "3", setup=POISON)], LIMITS, owner="client-a")
    assert judge.judge(wrong, [expr_test("add(2, 2)", "4")], LIMITS).verdict == Verdict.WA
    assert judge.judge(wrong, [expr_test("add(2, 3)", "5")], LIMITS, owner="client-b").verdict == Verdict.WA
    humaneval = {t.id: t for t in load("humaneval")}["HumanEval/0"]
    assert not judge.judge(humaneval.program("    return False\n"), humaneval.hidden_tests, LIMITS).passed


def test_harness_servers_are_kept_per_owner(sandbox):
    """The harness's module state carries over within an owner, never across owners."""
    source = "import json\nos = __import__('os')\nos.write(REPORT_FD, json.dumps({'seen': getattr(json, 'mark', 0)}).encode())\njson.mark = 1\n"  # noqa: E501
    seen = {}
    for owner in ("a", "a", "b", ""):
        run = Run("def f():\n    pass\n", harness=Harness(source, owner=owner), limits=LIMITS)
        results = [json.loads(e.report)["seen"] for e in sandbox.run_many([run] * (2 * sandbox.workers))]
        seen.setdefault(owner, []).append(max(results))
    assert seen["a"] == [1, 1] and seen["b"] == [1] and seen[""] == [1]  # each owner: its own state only
    fresh = Run("def f():\n    pass\n", harness=Harness(source, owner="c"), limits=LIMITS)
    assert json.loads(sandbox.execute(fresh).report)["seen"] == 0


SCAN = SCAN_MEMORY + 'os.write(REPORT_FD, b"found %d" % found)\n'


def test_a_new_owners_harness_holds_nothing_of_earlier_runs():
    """A client's test code in a harness server cannot read what other runs sent the slot (their
    sources, stdin): harness servers come from the slot's spawner, forked before its first run."""
    with Sandbox(workers=1) as one_slot:
        assert one_slot.run("print(input())", stdin="SECRET-42-abc\n").stdout == "SECRET-42-abc\n"
        assert one_slot.run("marker = 'SECRET-42-abc'\nprint(len(marker))").stdout == "13\n"
        for owner in ("client-a", "client-b"):
            run = Run("def f():\n    pass\n", harness=Harness(SCAN, owner=owner), limits=LIMITS)
            assert one_slot.execute(run).report == "found 0"


# --- what a run leaves for later runs ------------------------------------------------------------
SHMGET = '''import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
ident = libc.shmget(0x1234, 200 << 20, 0o1666)  # IPC_CREAT | 0666
print(ident, ctypes.get_errno())
'''


def test_sysv_ipc_is_denied(sandbox):
    if "on" not in sandbox.layers.get("seccomp", ""):
        pytest.skip("seccomp is off here")
    out = sandbox.run(SHMGET, limits=LIMITS).stdout.split()
    assert out[0] == "-1" and out[1] == "1", out  # EPERM
    for call in ("semget(0x1234, 1, 0o1666)", "msgget(0x1234, 0o1666)"):
        out = sandbox.run(SHMGET.replace("shmget(0x1234, 200 << 20, 0o1666)", call), limits=LIMITS).stdout.split()
        assert out[0] == "-1", (call, out)


HOG = "x = bytearray({mb} << 20)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\nprint('held')\n"


def test_a_runs_memory_limit_is_its_own_after_a_larger_one():
    with Sandbox(workers=1) as box:
        if not box.memory_by_cgroup:
            pytest.skip("memory is not limited by cgroups here")
        assert box.run(HOG.format(mb=600), limits=Limits(cpu_s=5, memory_mb=1024)).stdout == "held\n"
        assert box.run(HOG.format(mb=400), limits=Limits(cpu_s=5, memory_mb=256)).verdict == Verdict.MLE
        assert box.run(HOG.format(mb=120), limits=Limits(cpu_s=5, memory_mb=256)).ok


LISTEN = '''import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\\0codeloop-meet")
s.listen(1)
time.sleep(3)
'''
CONNECT = '''import socket, time
time.sleep(0.5)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\\0codeloop-meet")
    print("met")
except OSError as error:
    print("alone", error.errno)
'''


def test_programs_in_two_slots_cannot_meet_over_abstract_sockets():
    with Sandbox(workers=2) as box:
        if not box.layers.get("namespaces", "").startswith("on"):
            pytest.skip("namespaces are off here")
        results = box.run_many([Run(LISTEN, limits=Limits(cpu_s=4)), Run(CONNECT, limits=Limits(cpu_s=4))])
        assert results[1].stdout.startswith("alone"), results[1]


# --- bounded work on the host and in the harness -------------------------------------------------
FSTRING = "a = 1\nx = f\"" + "{a}" * 120_000 + "\"\n"


def test_a_large_program_compiles_in_its_run_not_on_the_host(sandbox):
    """Compiled on the host, this program held the GIL for 8.5 s; in its run, its CPU limit ends it."""
    assert len(FSTRING) > HOST_COMPILE_BYTES and compile_here(FSTRING, "/tmp/work/solution.py") == {}
    assert sandbox.run(FSTRING, limits=Limits(cpu_s=1, wall_s=2)).verdict == Verdict.TLE
    slow = FSTRING.replace("{a}" * 120_000, "{a}" * 40_000)  # ~1.2 s to compile
    judgement = Judge(sandbox).judge(slow, [expr_test("x", "'1'"), expr_test("a", "1")], Limits(cpu_s=0.5))
    assert judgement.verdict == Verdict.TLE


def test_a_large_programs_syntax_error_is_found_in_the_sandbox(sandbox):
    program = "x = 1\n" * (HOST_COMPILE_BYTES // 6 + 10) + "def f(:\n"
    error = sandbox.syntax_error(program)
    assert isinstance(error, SyntaxError) and error.lineno == HOST_COMPILE_BYTES // 6 + 11
    assert sandbox.syntax_error("x = 1\n" * (HOST_COMPILE_BYTES // 6 + 10)) is None
    judgement = Judge(sandbox).judge(program, [expr_test("x", "1"), expr_test("x", "1")], LIMITS)
    assert judgement.verdict == Verdict.CE and "line" in judgement.compile_error


def test_large_test_code_runs_in_the_harness_and_names_what_it_binds(sandbox):
    big = "assert f(1) == 2\n" * (HOST_COMPILE_BYTES // 17 + 10)
    with pytest.raises(ValueError, match="must give its names"):
        harness_for(script_test(big))
    judge = Judge(sandbox)
    assert judge.judge("def f(x):\n    return x + 1\n", [script_test(big, names=("f",))], LIMITS).passed
    assert judge.judge("def f(x):\n    return x\n", [script_test(big, names=("f",))], LIMITS).verdict == Verdict.WA


AMPLIFY = "def f(x):\n    inner = ['a' * 1_000_000]\n    return [inner] * 1500\n"


def test_the_harness_memory_is_bounded(sandbox):
    judgement = Judge(sandbox).judge(AMPLIFY, [expr_test("f(1)", "[]")], Limits(cpu_s=5, memory_mb=256))
    assert judgement.verdict in {Verdict.MLE, Verdict.WA}, judgement
    assert Judge(sandbox).judge("def f(x):\n    return []\n", [expr_test("f(1)", "[]")], LIMITS).passed


# --- bad input is refused before any run -----------------------------------------------------------
@pytest.mark.parametrize("fields", [
    {"stdin": "\ud800"}, {"files": {"a/../b": ""}}, {"files": {"solution.py": ""}}, {"files": {"x": "", "x/y": ""}},
    {"files": {"/etc/passwd": ""}}, {"files": {"x": "\udfff"}}, {"filename": "../x.py"}])
def test_bad_run_input_is_a_value_error(fields):
    with pytest.raises(ValueError, match=r"^(stdin|files|filename)"):
        Run("print(1)", **fields)


# --- the same through the command line ---------------------------------------------------------
def codeloop(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codeloop", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd)


def test_the_command_line_gives_the_safe_outcomes(tmp_path):
    (tmp_path / "fake_math.py").write_text(FAKE_MATH)
    (tmp_path / "tests.jsonl").write_text(json.dumps(
        {"kind": "expr", "input": "math.isclose(area(2), 12.566, rel_tol=1e-3)", "output": "True"}) + "\n")
    judged = codeloop("judge", str(tmp_path / "fake_math.py"), str(tmp_path / "tests.jsonl"))
    assert judged.returncode == 1 and judged.stdout.splitlines()[-1] == "verdict: WA", judged.stdout
    (tmp_path / "big.py").write_text(FSTRING)
    ran = codeloop("run", str(tmp_path / "big.py"), "--time-limit", "1")
    assert "TLE" in ran.stdout + ran.stderr, (ran.stdout, ran.stderr)
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"task_id": "MBPP/596", "program": FAKE_SYS}) + "\n")
    evaluated = codeloop("evaluate", "--benchmark", "mbpp_sanitized", "--split", "all", str(samples), cwd=str(tmp_path))
    assert evaluated.returncode == 0, evaluated.stderr
    results = [json.loads(line) for line in (tmp_path / "samples.jsonl_results.jsonl").read_text().splitlines()]
    assert [r["passed"] for r in results] == [False]


def test_an_integer_too_long_to_print_is_judged_by_its_value(sandbox):
    """Past the interpreter's 4300-digit str() limit a value is still compared (and shown by a
    placeholder): the right 5000-digit answer passes, a wrong one is WA, neither an error."""
    judge = Judge(sandbox)
    program = "def f(n):\n    return 10**5000\n"
    assert judge.judge(program, [expr_test("f(1)", "10**5000")], LIMITS).passed
    wrong = judge.judge(program, [expr_test("f(1)", "10**5000 + 1")], LIMITS)
    assert wrong.verdict == Verdict.WA and "too long to print" in wrong.results[0].got


@pytest.mark.parametrize("language", ["python", "javascript", "cpp"])
def test_a_program_that_is_not_text_gets_a_verdict(sandbox, language):
    """A lone surrogate in a program (JSON's "\\ud800" in a model's output) cannot be written or
    compiled: a compile error or a runtime error, never an exception out of the judge."""
    program = {"python": "def f(x):\n    return x + 1  # \ud800\n" + "# pad\n" * 2000 * (language == "python"),
               "javascript": "console.log(1) // \ud800", "cpp": "int main() { return 0; } // \ud800"}[language]
    judge = Judge(sandbox)
    for tests in ([stdio_test("", "")], [stdio_test("", ""), stdio_test("1", "")]):
        assert judge.judge(program, tests, LIMITS, language=language).verdict in {Verdict.CE, Verdict.RE}
    assert sandbox.run(program[:40] + "\ud800").verdict == Verdict.RE


def test_a_test_that_calls_a_module_name_calls_the_program(sandbox):
    assert Judge(sandbox).judge("def heapq(x):\n    return sorted(x)\n",
                                [script_test("assert heapq([3, 1]) == [1, 3]")], LIMITS).passed


def test_test_code_that_forks_breaks_nothing():
    """The harness starts no process: its memory cap then bounds all the test code can hold, and a
    child it never waits for can not leave a dead process the slot would wait on forever."""
    fork = "import os\nif os.fork() == 0:\n    os._exit(0)\n"
    hog = ("import os\nfor _ in range(8):\n    if os.fork() == 0:\n        x = bytearray(20 << 20)\n"
           "        os._exit(0)\n")
    with Sandbox(workers=1) as one_slot:
        judge = Judge(one_slot)
        for setup in (fork, hog):
            judgement = judge.judge("def f(x):\n    return x\n", [expr_test("f(1)", "1", setup=setup)],
                                    Limits(cpu_s=2, memory_mb=64), owner="client")
            assert judgement.verdict == Verdict.RE and "BlockingIOError" in judgement.results[0].error, judgement
        assert one_slot.run("print(1)", limits=LIMITS).stdout == "1\n"
        assert judge.judge("def f(x):\n    return x\n", [expr_test("f(2)", "2")], LIMITS).passed
