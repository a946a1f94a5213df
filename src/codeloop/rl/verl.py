"""verl (0.8+) adapter: RLEF episodes as a verl agent loop.

verl 0.8 removed ``BaseInteraction``; a multi-turn environment is an ``AgentLoopBase`` subclass,
registered by name (``@register("rlef")``), whose ``async run(sampling_params, **fields)`` returns
an ``AgentLoopOutput``: ``prompt_ids``, ``response_ids`` (the replies and the environment's
tokens between them), ``response_mask`` (1 for the model's tokens, 0 for the environment's),
``response_logprobs``, ``reward_score``, ``num_turns``, ``metrics``. It generates through
``self.server_manager.generate(request_id, prompt_ids=, sampling_params=) -> TokenOutput``
(``token_ids``, ``log_probs``).

``rlef_agent_loop(judge, tasks, config, base, output_cls, metrics_cls)`` builds that class around
codeloop's own episode (``run_episode``: same prompts, extraction, feedback and stopping as
``codeloop eval``), so verl need not be importable here: pass verl's ``AgentLoopBase``,
``AgentLoopOutput`` and ``AgentLoopMetrics``, then register the class::

    from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopMetrics, AgentLoopOutput, register
    RLEF = register("rlef")(rlef_agent_loop(judge, tasks, LoopConfig(turns=3), AgentLoopBase, AgentLoopOutput,
                                            AgentLoopMetrics))

Each dataset row names its task by a ``task_id`` field (``extra_info`` is searched too). The
episode runs in a worker thread; each model call goes to verl's server manager on the agent
loop's event loop. Tokens are split by the chat template as in ``codeloop.rl.env`` (the replies
re-rendered from their text, so ``response_logprobs`` is left to verl to recompute), and the
reward is the episode's RLEF return.

Tested (``tests/test_rl_trl.py``) with a stand-in server manager; the same test was run once
against verl 0.9.1's own classes in a separate virtualenv (verl pins another transformers than
the ``rl`` extra's TRL, and its agent loop imports cachetools, uvicorn and fastapi without
declaring them).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from uuid import uuid4

from codeloop.judge import Judge
from codeloop.llm import Completion, Message, SamplingParams
from codeloop.loop import LoopConfig, run_episode
from codeloop.rl.env import chat_render, tokenize_episode, turn_rewards
from codeloop.tasks import Task


class _ServerPolicy:
    """A ChatModel whose replies come from verl's server manager (called from a worker thread)."""

    name = "verl"

    def __init__(self, agent: object, sampling_params: dict, loop: asyncio.AbstractEventLoop) -> None:
        self.agent, self.sampling_params, self.loop = agent, sampling_params, loop

    def chat(self, messages: list[Message], params: SamplingParams) -> list[Completion]:
        prompt_ids = chat_render(self.agent.tokenizer)(messages, True)
        start = time.perf_counter()
        request = self.agent.server_manager.generate(uuid4().hex, prompt_ids=prompt_ids,
                                                     sampling_params=self.sampling_params)
        output = asyncio.run_coroutine_threadsafe(request, self.loop).result()
        text = self.agent.tokenizer.decode(output.token_ids, skip_special_tokens=True)
        return [Completion(text, len(prompt_ids), len(output.token_ids), time.perf_counter() - start)]


def _task_id(fields: dict) -> str:
    extra = fields.get("extra_info") or {}
    task_id = fields.get("task_id", extra.get("task_id") if isinstance(extra, dict) else None)
    if task_id is None:
        raise KeyError("an RLEF dataset row needs a 'task_id' field (or extra_info.task_id)")
    return str(task_id)


def rlef_agent_loop(judge: Judge, tasks: Sequence[Task], config: LoopConfig, base: type, output_cls: type,
                    metrics_cls: type | None = None) -> type:
    """The agent-loop class (see the module's docstring); register it with verl's ``register``."""
    by_id = {task.id: task for task in tasks}

    class RLEFAgentLoop(base):
        async def run(self, sampling_params: dict, **fields: object) -> object:
            task = by_id[_task_id(fields)]
            policy = _ServerPolicy(self, sampling_params, asyncio.get_running_loop())
            started = time.perf_counter()
            episode = await asyncio.to_thread(run_episode, task, policy, judge, config)
            tokens = tokenize_episode(episode, chat_render(self.tokenizer))
            start = tokens.policy_mask.index(True) if True in tokens.policy_mask else len(tokens.ids)
            metrics = {"generate_sequences": time.perf_counter() - started}
            return output_cls(prompt_ids=tokens.ids[:start], response_ids=tokens.ids[start:],
                              response_mask=[int(m) for m in tokens.policy_mask[start:]], response_logprobs=None,
                              reward_score=sum(turn_rewards(episode)), num_turns=2 * len(episode.turns),
                              metrics=metrics_cls(**metrics) if metrics_cls else metrics)

    return RLEFAgentLoop
