"""An async code reward for verl's reward loop: ``compute_score`` judged by codeloop, in-process
or through ``codeloop serve``.

verl's reward loop awaits a custom ``compute_score`` that is a coroutine function, called as
``compute_score(data_source=, solution_str=, ground_truth=, extra_info=, **more)``, for every
sample as soon as its rollout ends, so judging overlaps generation. Point verl at it with
``custom_reward_function.path`` (a file that builds it) and ``.name``::

    # reward.py
    from codeloop.judge import Judge
    from codeloop.rl.verl_reward import code_reward
    from codeloop.sandbox import Sandbox
    compute_score = code_reward(judge=Judge(Sandbox()))                  # in-process
    # compute_score = code_reward(url="http://host:8080", token="...")    # through codeloop serve

``ground_truth`` is verl's (and PRIME's, TACO's) ``input_output`` JSON: ``{"inputs": [...],
"outputs": [...]}`` for stdin/stdout tests, plus ``"fn_name"`` for call tests; or, given
``tasks``, a codeloop task id, judged on that task's hidden tests. The score is RLEF's scale, as
``codeloop.rl.trl.reward_function`` gives it: +1 when every test passes, -1 when not, -1.2 for a
reply without code; with ``partial``, -1 + 2 x the share of tests passed.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Sequence

from codeloop.judge import Judge, Test, Verdict
from codeloop.loop import assemble_program, extract_code
from codeloop.rl.env import FAIL_REWARD, INVALID_PENALTY, outcome_reward
from codeloop.sandbox import Limits
from codeloop.tasks import Task
from codeloop.tasks.contests import input_output_tests


def code_reward(judge: Judge | None = None, url: str | None = None, token: str | None = None,
                tasks: Sequence[Task] = (), partial: bool = False, stop_on_first_failure: bool = False,
                language: str = "python", limits: Limits = Limits(), timeout_s: float = 600.0,
                ) -> Callable[..., Awaitable[float]]:
    """verl's async ``compute_score``, judging with ``judge`` (in this process) or the
    ``codeloop serve`` at ``url`` (``token``: its bearer token)."""
    if (judge is None) == (url is None):
        raise ValueError("code_reward needs exactly one of judge= (in-process) or url= (codeloop serve)")
    by_id = {task.id: task for task in tasks}

    async def compute_score(data_source: str, solution_str: str, ground_truth: object,
                            extra_info: object = None, **_: object) -> float:
        task = by_id.get(ground_truth) if isinstance(ground_truth, str) else None
        if task is not None:
            tests, entry_point = list(task.hidden_tests), task.entry_point
        else:
            tests, entry_point = input_output_tests(ground_truth, f"ground_truth of a {data_source} sample")
        if not tests:  # judged on nothing, any program would pass
            raise ValueError(f"ground_truth of a {data_source} sample: no tests")
        code = extract_code(solution_str, entry_point, language)
        if code is None:
            return INVALID_PENALTY + FAIL_REWARD
        program = assemble_program(task, code) if task is not None else code
        if judge is not None:
            judgement = await judge.ajudge(program, tests, limits, stop_on_first_failure, language)
            share = judgement.fraction if partial else float(judgement.passed)
        else:
            answer = await asyncio.to_thread(_post_judge, url, token, program, tests, limits, stop_on_first_failure,
                                             language, timeout_s)
            results = answer.get("tests")
            if not isinstance(results, list) or len(results) > len(tests):
                raise RuntimeError(f"{url}: {len(results) if isinstance(results, list) else 'no'} results "
                                   f"for {len(tests)} tests")
            passed = sum(isinstance(r, dict) and r.get("verdict") == Verdict.OK for r in results)
            share = passed / len(tests) if partial else float(passed == len(tests))
        return outcome_reward(share)

    return compute_score


RETRIED = (429, 502, 503, 504)  # a busy or restarting service: try again (Retry-After, else 1 s)


def _post_judge(url: str, token: str | None, program: str, tests: list[Test], limits: Limits,
                stop_on_first_failure: bool, language: str, timeout_s: float) -> dict:
    """``POST /v1/judge`` of ``codeloop serve``, tried again while the service is busy, until
    ``timeout_s``; its JSON answer. Any other refusal is a one-line error with the service's reason."""
    body = {"program": program, "language": language, "tests": [test.to_dict() for test in tests],
            "limits": {"cpu_s": limits.cpu_s, "wall_s": limits.wall_s, "memory_mb": limits.memory_mb},
            "stop_on_first_failure": stop_on_first_failure}
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    deadline = time.monotonic() + timeout_s
    while True:
        request = urllib.request.Request(url.rstrip("/") + "/v1/judge", json.dumps(body).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=max(1.0, deadline - time.monotonic())) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            wait = float(error.headers.get("Retry-After") or 1) if error.code in RETRIED else None
            if wait is None or time.monotonic() + wait > deadline:
                reason = error.read().decode("utf-8", "replace")[:300]
                raise RuntimeError(f"{url}/v1/judge: HTTP {error.code}: {' '.join(reason.split())}") from None
            time.sleep(wait)
