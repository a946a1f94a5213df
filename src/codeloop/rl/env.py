"""The RLEF environment: episodes exactly as ``codeloop eval`` runs them, their rewards, and
their tokens split into what the policy wrote and what the environment said.

Rewards (Gehring et al., arXiv 2410.02089, section 3.1), per turn: a reply without valid code
gets -0.2; the last turn gets +1 when the final program passes the hidden tests, else -1. Only
the hardened judge's verdicts count (``Episode.passed`` is the hidden verdict of the last valid
program).

Tokens: the dialogue is rendered with the policy's chat template (``render(messages,
add_generation_prompt) -> ids``). A reply's tokens are what rendering the dialogue up to and
including it adds after rendering the dialogue before it with a generation prompt; everything
else (system, prompts, feedback, the template's own markers) is the environment's. The value of
turn t is read at the last token of its prompt (``value_positions``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from codeloop.llm import Message
from codeloop.loop import Episode
from codeloop.tasks import Task

INVALID_PENALTY = -0.2
PASS_REWARD, FAIL_REWARD = 1.0, -1.0


def outcome_reward(share: float) -> float:
    """A final program's reward from the share of hidden tests it passed: ``FAIL_REWARD`` at 0,
    ``PASS_REWARD`` at 1; with pass/fail judging (``share`` 0 or 1) exactly RLEF's two values, with
    partial credit linear between them."""
    return FAIL_REWARD + (PASS_REWARD - FAIL_REWARD) * share

Render = Callable[[Sequence[Message], bool], list[int]]


def tasks_by_id(tasks: Iterable[Task]) -> dict[str, Task]:
    """Tasks to reward on, by id; ValueError for one without hidden tests (judged on nothing, any
    program would pass)."""
    by_id = {task.id: task for task in tasks}
    untested = [task.id for task in by_id.values() if not task.hidden_tests]
    if untested:
        raise ValueError(f"tasks without hidden tests: {', '.join(untested[:5])}")
    return by_id


def chat_render(tokenizer: object) -> Render:
    """``render`` for a Hugging Face tokenizer with a chat template."""
    def render(messages: Sequence[Message], add_generation_prompt: bool) -> list[int]:
        encoded = tokenizer.apply_chat_template(list(messages), add_generation_prompt=add_generation_prompt,
                                                tokenize=True)
        return list(encoded["input_ids"] if hasattr(encoded, "keys") else encoded)
    return render


def turn_rewards(episode: Episode) -> list[float]:
    """r_t per turn, as above."""
    rewards = [0.0 if turn.valid else INVALID_PENALTY for turn in episode.turns]
    if rewards:
        rewards[-1] += PASS_REWARD if episode.passed else FAIL_REWARD
    return rewards


def dialogue(episode: Episode) -> list[Message]:
    """The whole conversation of an episode, its last reply included."""
    last = episode.turns[-1]
    return [*last.messages, {"role": "assistant", "content": last.reply}]


@dataclass
class TokenizedEpisode:
    ids: list[int]
    policy_mask: list[bool]       # True for tokens the policy wrote (its replies)
    token_turns: list[int]        # each token's turn (0-based), -1 for the environment's tokens
    value_positions: list[int]    # per turn, the index of its prompt's last token
    rewards: list[float]          # per turn


def reply_turns(episode: Episode) -> dict[int, int]:
    """For each assistant message of ``dialogue(episode)``, its turn (0-based): turn t's code reply
    is message ``len(turn.messages)``; a reasoning reply (a strategy's) belongs to the turn whose
    code reply follows it."""
    code_replies = {len(turn.messages): number for number, turn in enumerate(episode.turns)}
    owners, pending = {}, []
    for index, message in enumerate(dialogue(episode)):
        if message["role"] != "assistant":
            continue
        pending.append(index)
        if index in code_replies:
            owners.update(dict.fromkeys(pending, code_replies[index]))
            pending = []
    return owners


def tokenize_episode(episode: Episode, render: Render) -> TokenizedEpisode:
    """Split an episode's tokens by who wrote them; fails loudly when the chat template is not
    prefix-stable (rendering a longer dialogue must extend the shorter one's tokens)."""
    messages = dialogue(episode)
    owners = reply_turns(episode)
    ids: list[int] = []
    mask: list[bool] = []
    token_turns: list[int] = []
    positions: list[int] = []
    for index in sorted(owners):
        before = render(messages[:index], True)
        after = render(messages[:index + 1], False)
        if before[:len(ids)] != ids or after[:len(before)] != before:
            raise ValueError("the chat template is not prefix-stable: cannot tell the policy's tokens apart")
        environment, reply = before[len(ids):], after[len(before):]
        ids += environment
        mask += [False] * len(environment)
        token_turns += [-1] * len(environment)
        if len(positions) == owners[index]:  # the turn's first reply: its value is read just before
            positions.append(len(ids) - 1)
        ids += reply
        mask += [True] * len(reply)
        token_turns += [owners[index]] * len(reply)
    return TokenizedEpisode(ids, mask, token_turns, positions, turn_rewards(episode))
