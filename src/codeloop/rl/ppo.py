"""PPO's pieces for RLEF (Gehring et al., arXiv 2410.02089, section 3.2): a token-level policy,
a turn-level value function, a KL penalty to the initial policy, the clipped objective over the
policy's own tokens.

Notation: an episode has turns t = 1..T. Turn t's prompt (the environment's tokens: the task, or
the feedback on the last program) is followed by the policy's reply, tokens a_{t,1..n_t}. Each
turn has a reward r_t (``codeloop.rl.env.turn_rewards``: -0.2 for a reply without code, and at
the last turn +1 if the final program passes the hidden tests, else -1).

Value (turn-level): V_t = v(h_t), a linear head on the hidden state h_t at the *last token of
turn t's prompt*: the state from which the policy writes its reply (``ValueHead``).

Advantages (generalised advantage estimation over turns, Schulman et al., arXiv 1506.02438):

    delta_t = r_t + gamma * V_{t+1} - V_t          (V_{T+1} = 0)
    A_t     = sum_{l >= 0} (gamma * lambda)^l * delta_{t+l}
    R_t     = A_t + V_t                              (the value target)

Every token of turn t's reply shares A_t (``expand_to_tokens``).

Policy loss (clipped surrogate, Schulman et al., arXiv 1707.06347, eq. 7), over policy tokens
only (m = 1 for a token the policy wrote, 0 for the environment's):

    rho_i = exp(log pi(a_i) - log pi_old(a_i))
    L_clip = - sum_i m_i * min(rho_i * A_i, clip(rho_i, 1 - eps, 1 + eps) * A_i) / sum_i m_i

KL penalty to the initial (reference) policy, per policy token, with the non-negative estimator
k3 (Schulman, "Approximating KL divergence", 2020): with u = log pi_ref(a) - log pi(a),

    KL ~ exp(u) - 1 - u  >= 0, and = 0 exactly when the two log-probabilities agree;

it is added to the loss as beta * mean over policy tokens (rather than folded into the rewards).
Value loss: 0.5 * mean_t max((V_t - R_t)^2, (clip(V_t, V_old - eps_v, V_old + eps_v) - R_t)^2).
"""

from __future__ import annotations

import torch
from torch import nn


def turn_advantages(rewards: torch.Tensor, values: torch.Tensor, gamma: float = 1.0,
                    lam: float = 0.95) -> tuple[torch.Tensor, torch.Tensor]:
    """(A_t, R_t) for one episode's turns, by the formulas above; ``rewards`` and ``values`` [T]."""
    advantages = torch.zeros_like(rewards)
    running = torch.zeros((), dtype=rewards.dtype)
    for t in reversed(range(len(rewards))):
        next_value = values[t + 1] if t + 1 < len(values) else torch.zeros((), dtype=values.dtype)
        delta = rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        advantages[t] = running
    return advantages, advantages + values


def expand_to_tokens(turn_values: torch.Tensor, token_turns: torch.Tensor) -> torch.Tensor:
    """Per token, the value of its turn: ``token_turns`` holds each token's turn index (-1 for a
    token no turn owns, which gets 0)."""
    padded = torch.cat([turn_values, turn_values.new_zeros(1)])
    return padded[token_turns.clamp(min=-1)]  # index -1 picks the padding zero


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """log pi(token_i | tokens_<i) for i >= 1: logits [B, L, V] of positions 0..L-1, tokens [B, L];
    returns [B, L - 1] (the first token has no prediction)."""
    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    return logp.gather(-1, tokens[:, 1:].unsqueeze(-1)).squeeze(-1)


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


def clipped_policy_loss(logp: torch.Tensor, logp_old: torch.Tensor, advantages: torch.Tensor,
                        mask: torch.Tensor, clip: float = 0.2) -> torch.Tensor:
    """L_clip above, averaged over the tokens where ``mask`` is 1."""
    ratio = torch.exp(logp - logp_old)
    surrogate = torch.minimum(ratio * advantages, ratio.clamp(1 - clip, 1 + clip) * advantages)
    return -masked_mean(surrogate, mask)


def kl_k3(logp: torch.Tensor, logp_ref: torch.Tensor) -> torch.Tensor:
    """Per token, exp(u) - 1 - u with u = log pi_ref - log pi (``expm1`` keeps it exact near 0;
    the clamp only absorbs rounding of a value that is >= 0 in exact arithmetic)."""
    u = logp_ref - logp
    return (torch.expm1(u) - u).clamp(min=0)


def kl_to_reference(logp: torch.Tensor, logp_ref: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The k3 estimate of KL(pi || pi_ref) per policy token, averaged: >= 0, 0 for equal policies."""
    return masked_mean(kl_k3(logp, logp_ref), mask)


def value_loss(values: torch.Tensor, returns: torch.Tensor, values_old: torch.Tensor,
               clip: float = 0.2) -> torch.Tensor:
    clipped = values_old + (values - values_old).clamp(-clip, clip)
    return 0.5 * torch.maximum((values - returns) ** 2, (clipped - returns) ** 2).mean()


class ValueHead(nn.Module):
    """The turn-level value: a linear map of the hidden state at each turn's last prompt token."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, hidden: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """``hidden`` [B, L, D], ``positions`` [B, T] (each turn's last prompt token; -1 for a
        turn the episode did not have) -> V [B, T] (0 where the position is -1)."""
        index = positions.clamp(min=0).unsqueeze(-1).expand(-1, -1, hidden.shape[-1])
        read = hidden.gather(1, index)
        return self.proj(read).squeeze(-1) * (positions >= 0)
