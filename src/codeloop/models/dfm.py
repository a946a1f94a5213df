"""Discrete flow matching: the maths (Gat et al., "Discrete Flow Matching", arXiv 2407.15595).

A sequence ``x = (x^1, ..., x^D)`` of tokens from a vocabulary of size ``V`` moves from a source
``X_0`` (all mask tokens, or uniform noise) at ``t = 0`` to data ``X_1`` at ``t = 1`` along a
**factorised mixture path** (sec. 2.2, eq. 8 with two components)::

    p_t(x^i | x_0, x_1) = kappa_t * delta(x^i, x_1^i) + (1 - kappa_t) * delta(x^i, x_0^i),

with a scheduler ``kappa_0 = 0``, ``kappa_1 = 1``, increasing. The model predicts the clean token,
``p_{1|t}(x^i | X_t)`` (x1-prediction). From it, the **probability velocity** that generates the
path (sec. 2.3, the mixture-path velocity with x1-prediction)::

    u_t^i(x^i, z) = kappa'_t / (1 - kappa_t) * [p_{1|t}(x^i | z) - delta(x^i, z^i)],

and the velocity that generates it backwards in time, from the source posterior ``p_{0|t}`` (for
the mask source ``p_{0|t} = delta(., MASK)``; for a uniform one, ``1/V``)::

    u_check_t^i(x^i, z) = kappa'_t / kappa_t * [delta(x^i, z^i) - p_{0|t}(x^i | z)].

Both satisfy the Kolmogorov equation ``d/dt p_t(x) = sum_z u_t(x, z) p_t(z)``; so does the
**corrector velocity** (sec. 2.4)::

    u_bar_t = alpha_t * u_t - beta_t * u_check_t,     alpha_t - beta_t = 1,  alpha_t, beta_t >= 0,

whose off-diagonal rates stay non-negative (``-beta_t u_check`` only adds rates back towards the
source: re-masking) and which lets a sampler correct tokens it committed to early. The corrector
schedule here is ``alpha_t = 1 + c * t^a * (1 - t)^b`` (zero correction at both ends).

A **sampler** steps ``X_{t+h}^i ~ delta(., X_t^i) + h * u_t^i(., X_t)`` for every position at once
(eq. 12): a position leaves its token with probability ``h * (rate out)`` (at most 1) and jumps
to a token drawn in proportion to the off-diagonal rates; ``kappa'`` is taken as its average over
the step (``MixturePath.velocity``), so NFE counts steps of the path itself. Positions given in a ``fixed`` mask (a
prefix, a suffix, any set: infilling) are never moved.

The **losses** (sec. 2.5): cross-entropy on ``x_1`` (``-log p_{1|t}(x_1^i | X_t)``), and the
generalised KL of the mixture path, a Bregman divergence between the true and the model's
velocity::

    l^i = -kappa'_t / (1 - kappa_t) * [p_{1|t}(x_t^i | X_t) - delta(x_1^i, x_t^i)
                                        + (1 - delta(x_1^i, x_t^i)) * log p_{1|t}(x_1^i | X_t)].

Tensors: ``x`` is ``(batch, D)`` long, ``probs``/``logits`` are ``(batch, D, V)``, ``t`` is a float
or ``(batch,)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

Posterior = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t, t) -> p_{1|t}, (batch, D, V)


@dataclass(frozen=True)
class Scheduler:
    """``kappa_t`` with its derivative and inverse. Kinds: ``polynomial`` (``t^n``), ``linear``
    (``n = 1``) and ``cosine`` (``sin^2(pi t / 2)``)."""

    kind: str = "polynomial"
    exponent: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ("polynomial", "linear", "cosine") or self.exponent <= 0:
            raise ValueError(f"scheduler: expected polynomial (exponent > 0), linear or cosine, got {self}")

    def kappa(self, t: torch.Tensor) -> torch.Tensor:
        if self.kind == "cosine":
            return torch.sin(math.pi * t / 2) ** 2
        return t ** (1.0 if self.kind == "linear" else self.exponent)

    def derivative(self, t: torch.Tensor) -> torch.Tensor:
        if self.kind == "cosine":
            return math.pi / 2 * torch.sin(math.pi * t)
        n = 1.0 if self.kind == "linear" else self.exponent
        return n * t ** (n - 1)

    def inverse(self, kappa: torch.Tensor) -> torch.Tensor:
        if self.kind == "cosine":
            return 2 / math.pi * torch.asin(kappa.clamp(0, 1).sqrt())
        return kappa ** (1.0 / (1.0 if self.kind == "linear" else self.exponent))


@dataclass(frozen=True)
class MixturePath:
    """The factorised mixture path from a mask source (``mask_token``) or a uniform one (``None``)."""

    scheduler: Scheduler
    vocab_size: int
    mask_token: int | None = None

    def source(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> torch.Tensor:
        if self.mask_token is not None:
            return torch.full(shape, self.mask_token, dtype=torch.long)
        return torch.randint(self.vocab_size, shape, generator=generator)

    def sample(self, x_1: torch.Tensor, t: torch.Tensor, fixed: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """``X_t ~ p_t(. | X_0, x_1)`` with ``X_0`` from the source; ``fixed`` positions keep ``x_1``."""
        x_0 = self.source(tuple(x_1.shape), generator)
        kappa = self.scheduler.kappa(_per_row(t, x_1))
        take = torch.rand(x_1.shape, generator=generator) < kappa
        if fixed is not None:
            take |= fixed
        return torch.where(take, x_1, x_0)

    def source_posterior(self, x_t: torch.Tensor) -> torch.Tensor:
        """``p_{0|t}(. | X_t)`` for this source: the mask token, or uniform."""
        if self.mask_token is not None:
            return torch.nn.functional.one_hot(torch.full_like(x_t, self.mask_token), self.vocab_size).float()
        return torch.full((*x_t.shape, self.vocab_size), 1.0 / self.vocab_size)

    def velocity(self, probs: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor,
                 step: float | None = None) -> torch.Tensor:
        """``u_t^i(x, X_t) = kappa'/(1 - kappa) [p_{1|t}(x | X_t) - delta(x, X_t^i)]``, (batch, D, V).
        With ``step = h``, ``kappa'`` is replaced by its average over the step, ``(kappa_{t+h} -
        kappa_t) / h``: an Euler step in the path's own clock, whose jump probability
        ``(kappa_{t+h} - kappa_t) / (1 - kappa_t)`` is exact for the mixture path (one step reaches t = 1)."""
        t = _per_row(t, x_t).unsqueeze(-1)
        rate = self.scheduler.derivative(t) if step is None else \
            (self.scheduler.kappa((t + step).clamp(max=1.0)) - self.scheduler.kappa(t)) / step
        weight = rate / (1 - self.scheduler.kappa(t)).clamp_min(1e-12)
        return weight * (probs - _one_hot(x_t, self.vocab_size))

    def backward_velocity(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``u_check_t^i(x, X_t) = kappa'/kappa [delta(x, X_t^i) - p_{0|t}(x | X_t)]``, (batch, D, V)."""
        t = _per_row(t, x_t).unsqueeze(-1)
        weight = self.scheduler.derivative(t) / self.scheduler.kappa(t).clamp_min(1e-12)
        return weight * (_one_hot(x_t, self.vocab_size) - self.source_posterior(x_t))

    def corrector_velocity(self, probs: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor,
                           alpha: torch.Tensor, step: float | None = None) -> torch.Tensor:
        """``alpha u_t - (alpha - 1) u_check_t``: the same marginals, with re-masking (sec. 2.4)."""
        alpha = _per_row(alpha, x_t).unsqueeze(-1)
        return alpha * self.velocity(probs, x_t, t, step) - (alpha - 1) * self.backward_velocity(x_t, t)


def corrector_alpha(t: torch.Tensor, scale: float = 10.0, a: float = 0.25, b: float = 0.25) -> torch.Tensor:
    """``alpha_t = 1 + scale * t^a * (1 - t)^b`` (so ``beta_t = alpha_t - 1`` vanishes at both ends)."""
    return 1 + scale * t.clamp(0, 1) ** a * (1 - t.clamp(0, 1)) ** b


def _per_row(t: torch.Tensor | float, x: torch.Tensor) -> torch.Tensor:
    """``t`` as a (batch, 1) tensor broadcastable over positions."""
    t = torch.as_tensor(t, dtype=torch.float32)
    return (t.expand(x.shape[0]) if t.dim() == 0 else t).reshape(-1, 1)


def _one_hot(x: torch.Tensor, vocab_size: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(x, vocab_size).float()


def euler_step(velocity: torch.Tensor, x_t: torch.Tensor, h: float, fixed: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """One step of ``X_{t+h} ~ delta(., X_t) + h u_t(., X_t)``: leave with probability ``h * rate out``
    (at most 1), to a token drawn in proportion to the off-diagonal rates."""
    rates = velocity.clamp_min(0) * (1 - _one_hot(x_t, velocity.shape[-1]))
    out = rates.sum(-1)
    leave = torch.rand(out.shape, generator=generator) < (h * out).clamp(max=1.0)
    if fixed is not None:
        leave &= ~fixed
    target = torch.multinomial(rates.reshape(-1, rates.shape[-1]).clamp_min(0) + (out.reshape(-1, 1) == 0), 1,
                               generator=generator).reshape(x_t.shape)
    return torch.where(leave, target, x_t)


def sample(path: MixturePath, posterior: Posterior, x_0: torch.Tensor, steps: int, sampler: str = "euler",
           fixed: torch.Tensor | None = None, generator: torch.Generator | None = None,
           corrector: Callable[[torch.Tensor], torch.Tensor] = corrector_alpha) -> torch.Tensor:
    """Integrate from ``x_0`` at ``t = 0`` to ``t = 1`` in ``steps`` equal steps (NFE = ``steps``),
    with the ``euler`` or the ``corrector`` velocity; ``fixed`` positions keep their tokens."""
    if sampler not in ("euler", "corrector"):
        raise ValueError(f"sampler: expected euler or corrector, got {sampler!r}")
    if steps < 1:
        raise ValueError(f"steps: expected an integer >= 1, got {steps}")
    x = x_0.clone()
    h = 1.0 / steps
    for step in range(steps):
        t = torch.full((x.shape[0],), step * h)
        probs = posterior(x, t)
        if sampler == "corrector" and 0 < step < steps - 1:  # the first and last steps: plain Euler
            velocity = path.corrector_velocity(probs, x, t, corrector(t), h)
        else:
            velocity = path.velocity(probs, x, t, h)
        x = euler_step(velocity, x, h, fixed, generator)
    return x


def cross_entropy_loss(logits: torch.Tensor, x_1: torch.Tensor, x_t: torch.Tensor,
                       only_changed: bool = True) -> torch.Tensor:
    """``-log p_{1|t}(x_1^i | X_t)``, averaged over positions (by default those where ``X_t`` differs
    from ``x_1``: the others are given)."""
    losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2), x_1, reduction="none")
    weight = (x_t != x_1).float() if only_changed else torch.ones_like(losses)
    return (losses * weight).sum() / weight.sum().clamp_min(1)


def generalized_kl_loss(logits: torch.Tensor, x_1: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor,
                        scheduler: Scheduler) -> torch.Tensor:
    """The mixture path's generalised KL (see the module docstring), averaged over positions."""
    t = _per_row(t, x_t)
    weight = scheduler.derivative(t) / (1 - scheduler.kappa(t)).clamp_min(1e-6)
    log_probs = torch.log_softmax(logits, -1)
    log_p_x1 = log_probs.gather(-1, x_1.unsqueeze(-1)).squeeze(-1)
    p_xt = log_probs.gather(-1, x_t.unsqueeze(-1)).squeeze(-1).exp()
    same = (x_t == x_1).float()
    return (-weight * (p_xt - same + (1 - same) * log_p_x1)).mean()
