"""RLEF's pieces: rewards from the judge, the policy's tokens apart from the environment's, and
PPO's maths (advantages, the clipped objective, the KL estimate, the turn-level value head)."""

import pytest

torch = pytest.importorskip("torch")

from codeloop.judge import Judge, expr_test, script_test  # noqa: E402
from codeloop.llm import ScriptedModel  # noqa: E402
from codeloop.loop import LoopConfig, parse_strategy, run_episode  # noqa: E402
from codeloop.rl.env import dialogue, tokenize_episode, turn_rewards  # noqa: E402
from codeloop.rl.ppo import (  # noqa: E402
    ValueHead,
    clipped_policy_loss,
    expand_to_tokens,
    kl_k3,
    kl_to_reference,
    token_logprobs,
    turn_advantages,
)
from codeloop.tasks import Task, TaskKind  # noqa: E402

TASK = Task(id="toy/1", prompt="Double a number.", kind=TaskKind.FUNCTION, entry_point="double",
            public_tests=[expr_test("double(2)", "4")],
            private_tests=[script_test("assert double(2) == 4\nassert double(-3) == -6")])
WRONG = "```python\ndef double(x):\n    return x + 1\n```"
RIGHT = "```python\ndef double(x):\n    return 2 * x\n```"


def render(messages, add_generation_prompt):
    """A toy chat template, one token per character: prefix-stable like real ones."""
    text = "".join(f"<{m['role']}>{m['content']}</>" for m in messages) + ("<assistant>" if add_generation_prompt
                                                                           else "")
    return [ord(c) for c in text]


@pytest.fixture(scope="module")
def judge(sandbox):
    return Judge(sandbox)


def test_rewards_come_from_the_judge(judge):
    passed = run_episode(TASK, ScriptedModel([WRONG, "no code here", RIGHT]), judge, LoopConfig(turns=3))
    assert turn_rewards(passed) == [0.0, -0.2, 1.0]
    failed = run_episode(TASK, ScriptedModel([WRONG, WRONG]), judge, LoopConfig(turns=2))
    assert turn_rewards(failed) == [0.0, -1.0]
    # the public test passes but the hidden one does not: -1, whatever the public verdict says
    sneaky = "```python\ndef double(x):\n    return 4 if x == 2 else 0\n```"
    assert turn_rewards(run_episode(TASK, ScriptedModel([sneaky]), judge, LoopConfig(turns=3))) == [-1.0]


def test_policy_tokens_are_exactly_the_replies(judge):
    episode = run_episode(TASK, ScriptedModel([WRONG, RIGHT]), judge, LoopConfig(turns=3))
    tokens = tokenize_episode(episode, render)
    text = "".join(map(chr, tokens.ids))
    assert text == "".join(map(chr, render(dialogue(episode), False)))
    policy = "".join(chr(i) for i, m in zip(tokens.ids, tokens.policy_mask, strict=True) if m)
    assert policy == WRONG + "</>" + RIGHT + "</>"
    assert [text[p] for p in tokens.value_positions] == [">", ">"]  # the end of each turn's prompt
    assert text[:tokens.value_positions[1] + 1].endswith("<assistant>")
    assert set(tokens.token_turns) == {-1, 0, 1} and tokens.rewards == [0.0, 1.0]


def test_a_reasoning_reply_belongs_to_its_turn(judge):
    config = LoopConfig(turns=2, strategy=parse_strategy("explain_io"))
    episode = run_episode(TASK, ScriptedModel(["Doubling means times two.", RIGHT]), judge, config)
    tokens = tokenize_episode(episode, render)
    assert len(tokens.value_positions) == 1
    owned = {turn for turn, m in zip(tokens.token_turns, tokens.policy_mask, strict=True) if m}
    assert owned == {0}


def test_a_template_that_is_not_prefix_stable_is_refused(judge):
    episode = run_episode(TASK, ScriptedModel([WRONG, RIGHT]), judge, LoopConfig(turns=3))
    with pytest.raises(ValueError, match="not prefix-stable"):
        tokenize_episode(episode, lambda messages, gen: [len(messages), *render(messages, gen)])


def test_advantages_and_returns_by_hand():
    rewards = torch.tensor([0.0, -0.2, -1.0])
    values = torch.tensor([0.5, 0.1, -0.3])
    advantages, returns = turn_advantages(rewards, values, gamma=1.0, lam=1.0)
    assert torch.allclose(returns, torch.tensor([-1.2, -1.2, -1.0]))  # Monte Carlo: the rewards still to come
    assert torch.allclose(advantages, torch.tensor([-1.7, -1.3, -0.7]))
    one_step, _ = turn_advantages(rewards, values, gamma=1.0, lam=0.0)  # TD(0): r_t + V_{t+1} - V_t
    assert torch.allclose(one_step, torch.tensor([0.0 + 0.1 - 0.5, -0.2 - 0.3 - 0.1, -1.0 + 0.3]))
    discounted, _ = turn_advantages(torch.tensor([0.0, 1.0]), torch.zeros(2), gamma=0.5, lam=1.0)
    assert torch.allclose(discounted, torch.tensor([0.5, 1.0]))
    per_token = expand_to_tokens(torch.tensor([3.0, 7.0]), torch.tensor([-1, 0, 0, -1, 1]))
    assert per_token.tolist() == [0.0, 3.0, 3.0, 0.0, 7.0]


@pytest.mark.parametrize(("advantage", "log_ratio", "zero"), [
    (1.0, 0.5, True),     # ratio 1.65 > 1.2 with a positive advantage: clipped, no gradient
    (-1.0, -0.5, True),   # ratio 0.61 < 0.8 with a negative advantage: clipped, no gradient
    (1.0, 0.1, False),    # inside the range: a gradient
    (-1.0, 0.5, False),   # outside, but on the side the min keeps unclipped
])
def test_clipped_objective_gradient(advantage, log_ratio, zero):
    logp = torch.tensor([log_ratio], requires_grad=True)
    loss = clipped_policy_loss(logp, torch.zeros(1), torch.tensor([advantage]), torch.ones(1), clip=0.2)
    loss.backward()
    assert (logp.grad.abs().item() == 0.0) == zero


def test_kl_estimate():
    generator = torch.Generator().manual_seed(0)
    logp, logp_ref = torch.randn(1000, generator=generator), torch.randn(1000, generator=generator)
    mask = torch.ones(1000)
    assert kl_to_reference(logp, logp_ref, mask) >= 0
    assert kl_to_reference(logp, logp, mask) == 0
    assert (kl_k3(logp, logp_ref) >= 0).all() and (kl_k3(logp, logp) == 0).all()  # every term, not just the mean


def test_value_head_reads_one_position_per_turn():
    head = ValueHead(4)
    torch.nn.init.normal_(head.proj.weight)
    hidden = torch.randn(2, 10, 4, requires_grad=True)
    positions = torch.tensor([[2, 7], [5, -1]])  # the second episode had one turn
    values = head(hidden, positions)
    assert values.shape == (2, 2) and values[1, 1] == 0
    values.sum().backward()
    read = hidden.grad.abs().sum(-1) > 0
    assert read.nonzero().tolist() == [[0, 2], [0, 7], [1, 5]]


def test_environment_tokens_contribute_no_gradient():
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(1, 8, 11, generator=generator, requires_grad=True)
    tokens = torch.randint(0, 11, (1, 8), generator=generator)
    mask = torch.tensor([[0, 0, 1, 1, 0, 0, 1]], dtype=torch.float)  # which predicted tokens are the policy's
    logp = token_logprobs(logits, tokens)
    loss = clipped_policy_loss(logp, logp.detach() - 0.05, torch.ones_like(logp), mask) \
        + 0.1 * kl_to_reference(logp, logp.detach() + 0.3, mask)
    loss.backward()
    by_position = logits.grad.abs().sum(-1)[0]  # position i predicts token i + 1
    assert (by_position[:-1] > 0).tolist() == mask[0].bool().tolist() and by_position[-1] == 0
