"""Many programs at once (``Judge.judge_many``, ``Judge.ajudge``), partial credit
(``Judgement.fraction``), and the RL rewards built on them (TRL's batched reward, verl's async
``compute_score``, in-process and through a real ``codeloop serve``), each through the
reward-hack suite."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from codeloop.judge import Judge, JudgeRequest, Verdict, expr_test, stdio_test
from codeloop.rl.trl import reward_function
from codeloop.rl.verl_reward import code_reward
from codeloop.sandbox import Limits
from codeloop.tasks import Task, TaskKind, load
from codeloop.tasks.schema import DatasetError
from reward_hack_programs import HACKS, INLINE, inline_tests

LIMITS = Limits(cpu_s=2, wall_s=4, memory_mb=512)
ADD = [stdio_test(f"{a} {b}\n", f"{a + b}\n") for a, b in ((1, 2), (5, 7), (-3, 3), (100, 1))]
RIGHT = "a, b = map(int, input().split())\nprint(a + b)\n"
HALF = "a, b = map(int, input().split())\nprint(a + b if a < 5 else 0)\n"  # passes tests 1 and 3 of 4


def test_judge_many_keeps_order_and_matches_judge(sandbox):
    judge = Judge(sandbox)
    programs = [RIGHT, HALF, "print(", "import time\ntime.sleep(60)\n", RIGHT.replace("+", "-")] * 3
    requests = [JudgeRequest(program, ADD, LIMITS) for program in programs]
    many = judge.judge_many(requests)
    one_by_one = [Judge(sandbox).judge(program, ADD, LIMITS) for program in programs]
    assert [j.verdict for j in many] == [j.verdict for j in one_by_one]
    assert [j.verdict for j in many[:5]] == [Verdict.OK, Verdict.WA, Verdict.CE, Verdict.TLE, Verdict.WA]


def test_partial_credit(sandbox):
    judge = Judge(sandbox)
    assert judge.judge(RIGHT, ADD, LIMITS).fraction == 1.0
    assert judge.judge(HALF, ADD, LIMITS).fraction == 0.5
    assert judge.judge(HALF, ADD, LIMITS, stop_on_first_failure=True).fraction == 0.25  # stopped at test 2
    assert judge.judge("print(", ADD, LIMITS).fraction == 0.0
    assert judge.judge("print(1)", [], LIMITS).fraction == 1.0  # no tests: passes, as judge says
    assert judge.judge(HALF, (test for test in ADD), LIMITS).fraction == 0.5  # a generator of tests


class CountingJudge(Judge):
    """A judge that records how many programs it judged at once."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.lock, self.now, self.most = threading.Lock(), 0, 0

    def judge(self, *args: object, **kwargs: object):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return super().judge(*args, **kwargs)
        finally:
            with self.lock:
                self.now -= 1


def test_ajudge_bounds_concurrency_and_keeps_results(sandbox):
    judge = CountingJudge(sandbox, concurrency=2)
    programs = [f"import time\ntime.sleep(0.2)\nprint({i})\n" for i in range(6)]

    async def main() -> list:
        return await asyncio.gather(*(judge.ajudge(p, [stdio_test("", f"{i}\n")], LIMITS)
                                      for i, p in enumerate(programs)), judge.ajudge(HALF, ADD, LIMITS))

    *slow_ones, half = asyncio.run(main())
    assert all(j.passed for j in slow_ones) and half.verdict == Verdict.WA and half.fraction == 0.5
    assert judge.most == 2


def test_trl_reward_is_batched_and_takes_partial_credit(sandbox):
    task = Task(id="toy/double", prompt="Double a number.", kind=TaskKind.FUNCTION, entry_point="double",
                public_tests=[expr_test("double(2)", "4")],
                private_tests=[expr_test(f"double({x})", str(2 * x)) for x in (2, -3, 0, 5)])
    replies = ["```python\ndef double(x):\n    return 2 * x\n```",
               "```python\ndef double(x):\n    return 2 * x if x >= 0 else 0\n```",  # 3 of 4
               "no code"]
    completions = [[{"role": "assistant", "content": text}] for text in replies]
    ids = [task.id] * 3
    binary = reward_function(Judge(sandbox), [task])(prompts=[None] * 3, completions=completions, task_id=ids)
    partial = reward_function(Judge(sandbox), [task], partial=True)(prompts=[None] * 3, completions=completions,
                                                                     task_id=ids)
    assert binary == [1.0, -1.0, -1.2]
    assert partial == [1.0, 0.5, -1.2]
    untested = Task(id="toy/none", prompt="p", kind=TaskKind.FUNCTION, entry_point="f")
    with pytest.raises(ValueError, match="tasks without hidden tests: toy/none"):
        reward_function(Judge(sandbox), [task, untested])


def sandbox_for_errors():
    """A sandbox that is never started: the errors above come before any run."""
    from codeloop.sandbox import Sandbox
    box = Sandbox(workers=1)
    box.close()
    return box


def test_verl_compute_score_in_process():
    ground_truth = json.dumps({"inputs": ["1 2\n", "5 7\n", "-3 3\n", "100 1\n"],
                               "outputs": ["3\n", "12\n", "0\n", "101\n"]})
    from codeloop.sandbox import Sandbox
    with Sandbox(workers=2) as box:
        judge = Judge(box)
        score = code_reward(judge=judge)
        partial = code_reward(judge=judge, partial=True)

        async def main() -> list[float]:
            return await asyncio.gather(
                score("apps", f"```python\n{RIGHT}```", ground_truth),
                score("apps", f"```python\n{HALF}```", ground_truth),
                partial("apps", f"```python\n{HALF}```", ground_truth),
                score("apps", "no code here", ground_truth))

        assert asyncio.run(main()) == [1.0, -1.0, 0.0, -1.2]
        calls = json.dumps({"fn_name": "add", "inputs": [[1, 2], [3, 4]], "outputs": [3, 7]})
        assert asyncio.run(score("taco", "```python\ndef add(a, b):\n    return a + b\n```", calls)) == 1.0
    with pytest.raises(ValueError, match="exactly one of"):
        code_reward()
    with pytest.raises(ValueError, match="no tests"):  # judged on nothing, anything would pass
        asyncio.run(code_reward(judge=Judge(sandbox_for_errors()))("apps", "```python\nprint(1)\n```", "{}"))
    with pytest.raises(DatasetError, match="'fn_name' must be a function's name"):
        asyncio.run(code_reward(judge=Judge(sandbox_for_errors()))(
            "taco", "```python\nprint(1)\n```", {"fn_name": ["x"], "inputs": [[1]], "outputs": [1]}))


def test_verl_compute_score_through_codeloop_serve():
    """With a token, and a queue of one: the requests the service turns away (429) are sent again."""
    pytest.importorskip("fastapi")
    from test_serve import start_server, stop_server
    process, base = start_server("--queue", "1", env={"CODELOOP_SERVE_TOKEN": "s3cret"})
    try:
        ground_truth = {"inputs": ["1 2\n", "5 7\n", "-3 3\n", "100 1\n"], "outputs": ["3\n", "12\n", "0\n", "101\n"]}
        score = code_reward(url=base, token="s3cret", partial=True)

        async def main() -> list[float]:
            return await asyncio.gather(*(score("apps", f"```python\n{program}```", ground_truth)
                                          for program in [RIGHT, HALF] * 3))

        assert asyncio.run(main()) == [1.0, 0.0] * 3
        with pytest.raises(RuntimeError, match="/v1/judge: HTTP 401"):
            asyncio.run(code_reward(url=base, token="wrong")("apps", f"```python\n{RIGHT}```", ground_truth))
    finally:
        assert stop_server(process)


@pytest.fixture(scope="module")
def hack_requests():
    tasks = {task.id: task for task in load("humaneval")}
    tasks.update({task.id: task for task in load("mbpp", split="all") if task.id in ("MBPP/11", "MBPP/596")})
    requests = []
    for hack in HACKS:
        if hack.task in INLINE:
            requests.append(JudgeRequest(hack.completion, tuple(inline_tests(hack.task)), LIMITS))
        else:
            task = tasks[hack.task]
            program = task.program(hack.completion) if hack.task.startswith("HumanEval") else hack.completion
            requests.append(JudgeRequest(program, tuple(task.hidden_tests), LIMITS))
    return requests


def test_no_hack_passes_when_judged_many_at_once_or_awaited(sandbox, hack_requests):
    judge = Judge(sandbox)
    batched = judge.judge_many(hack_requests)

    async def main() -> list:
        return await asyncio.gather(*(Judge(sandbox).ajudge(r.program, r.tests, r.limits) for r in hack_requests))

    awaited = asyncio.run(main())
    for hack, one, other in zip(HACKS, batched, awaited, strict=True):
        assert not one.passed and not other.passed, hack.name
        assert one.fraction < 1 and other.fraction < 1, hack.name  # partial credit never reaches full
    for request, one in zip(hack_requests, batched, strict=True):
        assert one.tests == len(request.tests)


def test_the_batch_scoring_benchmark_runs():
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "batch_scoring.py"
    done = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["completions"] == 64 and result["same_verdicts"] is True
