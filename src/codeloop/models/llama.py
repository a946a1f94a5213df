"""The Llama 3 architecture (Llama Team, arXiv 2407.21783, section 3.2), small enough for a CPU.

A decoder-only transformer: token embeddings; blocks of pre-normalized (RMSNorm) grouped-query
attention with rotary position embeddings and a SwiGLU feed-forward layer, each with a residual;
a final RMSNorm and the unembedding. Incremental decoding keeps a per-layer key/value cache.

    RMSNorm(x)   = x / sqrt(mean(x^2) + eps) * g
    RoPE         rotates each (even, odd) pair of a head's query/key dims at position p by the angle
                 p * theta^(-2i / head_dim), i = pair index; theta = 500000 in Llama 3. Scores
                 q_m . k_n then depend on positions only through m - n.
    GQA          n_kv_heads key/value heads, each shared by n_heads / n_kv_heads query heads
    SwiGLU(x)    = W2 (silu(W1 x) * W3 x), hidden width 2/3 * 4 * dim rounded up to multiple_of
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelArgs:
    dim: int = 256
    n_layers: int = 4
    n_heads: int = 8
    n_kv_heads: int | None = None  # None: as many as n_heads (plain multi-head attention)
    vocab_size: int = 8192
    multiple_of: int = 64
    ffn_dim_multiplier: float | None = None
    norm_eps: float = 1e-5
    rope_theta: float = 500000.0
    max_seq_len: int = 512
    causal: bool = True  # False: every position attends to every other (discrete flow matching)

    @property
    def kv_heads(self) -> int:
        return self.n_kv_heads or self.n_heads

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normed = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        return normed.type_as(x) * self.weight


def rope_tables(head_dim: int, max_len: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of p * theta^(-2i/head_dim), shape (max_len, head_dim / 2)."""
    inverse = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.outer(torch.arange(max_len, dtype=torch.float64), inverse)
    return angles.cos(), angles.sin()


def register_rope(module: nn.Module, args: ModelArgs) -> None:
    """Give ``module`` the RoPE tables as (non-saved) buffers ``rope_cos`` and ``rope_sin``."""
    cos, sin = rope_tables(args.head_dim, args.max_seq_len, args.rope_theta)
    module.register_buffer("rope_cos", cos, persistent=False)
    module.register_buffer("rope_sin", sin, persistent=False)


def rope_window(module: nn.Module, start: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The tables for positions start .. start + length - 1 of a module set up by ``register_rope``."""
    if start + length > module.args.max_seq_len:
        raise ValueError(f"sequence of {start + length} tokens exceeds max_seq_len {module.args.max_seq_len}")
    return module.rope_cos[start:start + length], module.rope_sin[start:start + length]


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate (even, odd) pairs of the last dim of x (batch, seq, heads, head_dim)."""
    even, odd = x[..., 0::2], x[..., 1::2]
    cos, sin = cos[None, :, None, :].to(x.dtype), sin[None, :, None, :].to(x.dtype)
    rotated = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)
    return rotated.flatten(-2)


@dataclass
class KVCache:
    """Keys and values of one attention layer for positions [0, max_len)."""

    k: torch.Tensor  # (batch, max_len, kv_heads, head_dim)
    v: torch.Tensor

    @classmethod
    def empty(cls, args: ModelArgs, batch: int, max_len: int, dtype: torch.dtype, device=None) -> KVCache:
        shape = (batch, max_len, args.kv_heads, args.head_dim)
        return cls(torch.zeros(shape, dtype=dtype, device=device), torch.zeros(shape, dtype=dtype, device=device))


class Attention(nn.Module):
    def __init__(self, args: ModelArgs) -> None:
        super().__init__()
        if args.n_heads % args.kv_heads:
            raise ValueError("n_heads must be a multiple of n_kv_heads")
        self.n_heads, self.kv_heads, self.head_dim = args.n_heads, args.kv_heads, args.head_dim
        self.causal = args.causal
        self.wq = nn.Linear(args.dim, args.n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(args.dim, self.kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(args.dim, self.kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(args.n_heads * self.head_dim, args.dim, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, start: int,
                cache: KVCache | None, last_only: bool = False) -> torch.Tensor:
        """Attention output at every position, or with ``last_only`` at the last one (keys and
        values are still made, and cached, for all)."""
        batch, length, _ = x.shape
        queries = x[:, -1:] if last_only else x
        q = apply_rope(self.wq(queries).view(batch, queries.shape[1], self.n_heads, self.head_dim),
                       cos[-queries.shape[1]:], sin[-queries.shape[1]:])
        k = apply_rope(self.wk(x).view(batch, length, self.kv_heads, self.head_dim), cos, sin)
        v = self.wv(x).view(batch, length, self.kv_heads, self.head_dim)
        if cache is not None:
            cache.k[:batch, start:start + length] = k
            cache.v[:batch, start:start + length] = v
            k, v = cache.k[:batch, :start + length], cache.v[:batch, :start + length]
        # query i (absolute position start + i) sees keys 0 .. start + i; a last query sees them all
        visible = None if q.shape[1] == 1 or not self.causal else torch.ones(
            length, k.shape[1], dtype=torch.bool, device=x.device).tril(diagonal=start)
        out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                             attn_mask=visible, enable_gqa=self.kv_heads != self.n_heads)
        return self.wo(out.transpose(1, 2).reshape(batch, q.shape[1], -1))


class FeedForward(nn.Module):
    def __init__(self, args: ModelArgs) -> None:
        super().__init__()
        hidden = int(2 * 4 * args.dim / 3)
        if args.ffn_dim_multiplier is not None:
            hidden = int(args.ffn_dim_multiplier * hidden)
        hidden = args.multiple_of * math.ceil(hidden / args.multiple_of)
        self.w1 = nn.Linear(args.dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, args.dim, bias=False)
        self.w3 = nn.Linear(args.dim, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, args: ModelArgs) -> None:
        super().__init__()
        self.attention_norm = RMSNorm(args.dim, args.norm_eps)
        self.attention = Attention(args)
        self.ffn_norm = RMSNorm(args.dim, args.norm_eps)
        self.feed_forward = FeedForward(args)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, start: int,
                cache: KVCache | None = None, last_only: bool = False) -> torch.Tensor:
        residual = x[:, -1:] if last_only else x
        h = residual + self.attention(self.attention_norm(x), cos, sin, start, cache, last_only)
        return h + self.feed_forward(self.ffn_norm(h))


class Llama(nn.Module):
    def __init__(self, args: ModelArgs) -> None:
        super().__init__()
        self.args = args
        self.tok_embeddings = nn.Embedding(args.vocab_size, args.dim)
        self.layers = nn.ModuleList(Block(args) for _ in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.output = nn.Linear(args.dim, args.vocab_size, bias=False)
        register_rope(self, args)

    def new_caches(self, batch: int = 1, max_len: int | None = None) -> list[KVCache]:
        weight = self.tok_embeddings.weight
        return [KVCache.empty(self.args, batch, max_len or self.args.max_seq_len, weight.dtype, weight.device)
                for _ in self.layers]

    def forward(self, tokens: torch.Tensor, start: int = 0, caches: list[KVCache] | None = None) -> torch.Tensor:
        """Logits (batch, seq, vocab) for ``tokens`` at positions start .. start + seq - 1."""
        cos, sin = rope_window(self, start, tokens.shape[1])
        h = self.tok_embeddings(tokens)
        for index, layer in enumerate(self.layers):
            h = layer(h, cos, sin, start, caches[index] if caches is not None else None)
        return self.output(self.norm(h))
