"""The discrete flow matching model: ``codeloop.models.llama``'s trunk without the causal mask, and
a time embedding; it predicts ``p_{1|t}(x^i | X_t)`` at every position at once (x1-prediction).

The vocabulary is the tokenizer's plus one mask token (the last id), the mask source's ``MASK``.
Time enters as a sinusoidal embedding of ``t`` (Vaswani et al. 2017's frequencies) through a small
MLP, added to every position's embedding before the first block.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from codeloop.models.llama import Block, ModelArgs, RMSNorm, register_rope, rope_window


def time_features(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """(batch,) times -> (batch, dim): cos and sin at geometrically spaced frequencies."""
    half = dim // 2
    frequencies = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    angles = 1000 * t.float().unsqueeze(-1) * frequencies.to(t.device)
    return torch.cat([angles.cos(), angles.sin()], -1)


class DFMTransformer(nn.Module):
    def __init__(self, args: ModelArgs) -> None:
        super().__init__()
        if args.causal:
            raise ValueError("a discrete flow matching model attends both ways: ModelArgs(causal=False)")
        self.args = args
        self.tok_embeddings = nn.Embedding(args.vocab_size, args.dim)
        self.time_mlp = nn.Sequential(nn.Linear(args.dim, args.dim), nn.SiLU(), nn.Linear(args.dim, args.dim))
        self.layers = nn.ModuleList(Block(args) for _ in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.output = nn.Linear(args.dim, args.vocab_size, bias=False)
        register_rope(self, args)

    @property
    def mask_token(self) -> int:
        return self.args.vocab_size - 1

    def forward(self, tokens: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Logits of ``p_{1|t}`` (batch, seq, vocab) for ``X_t = tokens`` at times ``t`` (batch,)."""
        cos, sin = rope_window(self, 0, tokens.shape[1])
        h = self.tok_embeddings(tokens) + self.time_mlp(time_features(t, self.args.dim)).unsqueeze(1)
        for layer in self.layers:
            h = layer(h, cos, sin, 0)
        logits = self.output(self.norm(h))
        return logits.index_fill(-1, torch.tensor([self.mask_token], device=logits.device), float("-inf"))

    @torch.no_grad()
    def posterior(self, tokens: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``p_{1|t}`` as probabilities, for ``dfm.sample``."""
        return torch.softmax(self.forward(tokens, t).float(), -1)
