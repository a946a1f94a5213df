"""TRL (1.x) adapters: RLEF's environment and reward inside ``trl.GRPOTrainer``.

- ``prompt_dataset(tasks)``: the training set, one row per task: ``prompt`` (the first message,
  as ``codeloop eval`` sends it) and ``task_id``.
- ``reward_function(judge, tasks)``: single turn. TRL calls it as ``f(prompts=, completions=,
  completion_ids=, task_id=, ...)``; the step's completions are judged at once on their tasks'
  hidden tests: +1 when one passes, -1 when not, -1.2 for a reply without code (RLEF's -0.2
  added); with ``partial=True``, -1 + 2 x the share of hidden tests passed.
- ``rollout_func(judge, tasks, config)``: multi-turn. TRL calls it as ``f(prompts, trainer)``,
  each prompt already repeated once per generation; for each it runs one episode exactly as
  ``codeloop eval`` does (seeded by step and position), the trainer's own model replying, and
  returns ``prompt_ids`` (the first prompt, templated),
  ``completion_ids`` (everything after it: the replies and the feedback between them),
  ``env_mask`` (1 for the policy's tokens, 0 for the environment's: TRL trains on the 1s only),
  ``logprobs`` (the policy's, per completion token) and ``rlef_reward``, the episode's return,
  which ``rollout_reward`` hands back to TRL as the reward.

Example (``examples/trl_grpo.py`` runs it): ``GRPOTrainer(model, reward_funcs=rollout_reward,
train_dataset=Dataset.from_list(prompt_dataset(tasks)), rollout_func=rollout_func(judge, tasks,
LoopConfig(turns=3)), args=GRPOConfig(...))``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from codeloop.judge import Judge, JudgeRequest
from codeloop.llm.hf import TransformersModel
from codeloop.loop import LoopConfig, assemble_program, extract_code, first_prompt, run_episode
from codeloop.rl.env import (
    FAIL_REWARD,
    INVALID_PENALTY,
    chat_render,
    outcome_reward,
    tasks_by_id,
    tokenize_episode,
    turn_rewards,
)
from codeloop.tasks import Task


def prompt_dataset(tasks: Sequence[Task], language: str = "python") -> list[dict]:
    return [{"prompt": [{"role": "user", "content": first_prompt(task, language)}], "task_id": task.id}
            for task in tasks]


def _text(completion: object) -> str:
    return completion[-1]["content"] if isinstance(completion, list) else str(completion)


def reward_function(judge: Judge, tasks: Sequence[Task], language: str = "python", partial: bool = False,
                    stop_on_first_failure: bool = False) -> Callable[..., list[float]]:
    """Single-turn RLEF reward for ``GRPOTrainer(reward_funcs=...)``: a step's completions are
    judged all at once (``Judge.judge_many``). ``partial``: partial credit, the reward going from
    -1 (no hidden test passed) to +1 (all passed) with the share passed (``Judgement.fraction``);
    ``stop_on_first_failure`` stops a program's tests at its first failure (the rest count as failed)."""
    by_id = tasks_by_id(tasks)

    def rlef_reward(prompts: list, completions: list, task_id: list[str], **_: object) -> list[float]:
        codes = [extract_code(_text(completion), by_id[identifier].entry_point, language)
                 for completion, identifier in zip(completions, task_id, strict=True)]
        requests = [JudgeRequest(assemble_program(by_id[identifier], code), by_id[identifier].hidden_tests,
                                 stop_on_first_failure=stop_on_first_failure, language=language)
                    for code, identifier in zip(codes, task_id, strict=True) if code is not None]
        judgements = iter(judge.judge_many(requests))
        rewards = []
        for code in codes:
            if code is None:
                rewards.append(INVALID_PENALTY + FAIL_REWARD)
                continue
            judgement = next(judgements)
            share = judgement.fraction if partial else float(judgement.passed)
            rewards.append(outcome_reward(share))
        return rewards

    return rlef_reward


def rollout_reward(prompts: list, completions: list, rlef_reward: list[float], **_: object) -> list[float]:
    """The reward ``rollout_func`` computed (the episode's return), as TRL asks for it."""
    return list(rlef_reward)


def rollout_func(judge: Judge, tasks: Sequence[Task], config: LoopConfig) -> Callable[[list, object], dict]:
    """Multi-turn RLEF episodes for ``GRPOTrainer(rollout_func=...)``."""
    by_prompt = {first_prompt(task, config.language): task for task in tasks}

    def rollout(prompts: list, trainer: object) -> dict:
        import torch

        from codeloop.rl.ppo import token_logprobs
        model = trainer.accelerator.unwrap_model(trainer.model)
        tokenizer = trainer.processing_class
        policy = TransformersModel.from_loaded(model, tokenizer)
        render = chat_render(tokenizer)
        output: dict[str, list] = {key: [] for key in ("prompt_ids", "completion_ids", "logprobs", "env_mask",
                                                       "rlef_reward")}
        step = trainer.state.global_step
        for sample, prompt in enumerate(prompts):  # TRL's sampler has repeated each prompt per generation
            task = by_prompt[_text(prompt)]
            episode = run_episode(task, policy, judge, config, sample=1000 * step + sample)
            tokens = tokenize_episode(episode, render)
            start = tokens.policy_mask.index(True) if True in tokens.policy_mask else len(tokens.ids)
            with torch.no_grad():
                ids = torch.tensor([tokens.ids], device=next(model.parameters()).device)
                logp = token_logprobs(model(ids).logits, ids)[0]  # logp[i] is token i + 1's
            output["prompt_ids"].append(tokens.ids[:start])
            output["completion_ids"].append(tokens.ids[start:])
            output["env_mask"].append([int(m) for m in tokens.policy_mask[start:]])
            output["logprobs"].append(logp[start - 1:].tolist())
            output["rlef_reward"].append(sum(turn_rewards(episode)))
        return output

    return rollout
