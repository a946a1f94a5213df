"""Multi-token prediction and self-speculative decoding (Gloeckle et al., arXiv 2404.19737).

Architecture (section 2): a shared trunk (embedding and ``n_layers - 1`` Llama blocks) feeds
``n`` heads, each one transformer block plus a norm, all sharing the unembedding. Head ``i``
(0-based) at position ``t`` predicts token ``t + i + 1``; head 0 is the ordinary next-token model,
so with n = 1 this is exactly a plain ``Llama`` of ``n_layers`` blocks.

    loss = sum_{i=0}^{n-1} CrossEntropy(head_i(trunk(x_{<=t})), x_{t+i+1})

Memory-efficient training (section 2, figure 2): the trunk runs forward once; then for each head
in turn its forward and backward run from a detached copy of the trunk output, accumulating that
copy's gradient, so only one head's logits exist at a time; last, the trunk runs backward with
the accumulated gradient. The gradients equal those of the summed loss.

Self-speculative decoding (section 3.2, after Stern et al. 2018's blockwise parallel decoding):
heads 1..n-1 draft the tokens after the next one; a single forward over (last token + drafts)
lets head 0 verify them, and the longest prefix of drafts that head 0 agrees with is accepted,
plus head 0's own token after it. Every accepted token is head 0's greedy choice given the exact
prefix, so the output is token-identical to greedy decoding with head 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from codeloop.models.llama import Block, KVCache, ModelArgs, RMSNorm, register_rope, rope_window


class MultiTokenLM(nn.Module):
    def __init__(self, args: ModelArgs, n_future: int = 4) -> None:
        super().__init__()
        if args.n_layers < 1 or n_future < 1:
            raise ValueError("need n_layers >= 1 and n_future >= 1")
        self.args, self.n_future = args, n_future
        self.tok_embeddings = nn.Embedding(args.vocab_size, args.dim)
        self.trunk = nn.ModuleList(Block(args) for _ in range(args.n_layers - 1))
        self.heads = nn.ModuleList(Block(args) for _ in range(n_future))
        self.head_norms = nn.ModuleList(RMSNorm(args.dim, args.norm_eps) for _ in range(n_future))
        self.output = nn.Linear(args.dim, args.vocab_size, bias=False)  # shared unembedding
        register_rope(self, args)

    # --- forward ------------------------------------------------------------------------------
    def new_caches(self, batch: int = 1, max_len: int | None = None) -> list[KVCache]:
        """One cache per trunk block, then one per head."""
        weight = self.tok_embeddings.weight
        return [KVCache.empty(self.args, batch, max_len or self.args.max_seq_len, weight.dtype, weight.device)
                for _ in range(len(self.trunk) + self.n_future)]

    def trunk_forward(self, tokens: torch.Tensor, start: int = 0, caches: list[KVCache] | None = None) -> torch.Tensor:
        cos, sin = rope_window(self, start, tokens.shape[1])
        h = self.tok_embeddings(tokens)
        for index, block in enumerate(self.trunk):
            h = block(h, cos, sin, start, caches[index] if caches is not None else None)
        return h

    def head_hidden(self, index: int, trunk_out: torch.Tensor, start: int = 0,
                    caches: list[KVCache] | None = None, last_only: bool = False) -> torch.Tensor:
        """Head ``index``'s normalized output (at the last position only, with ``last_only``),
        before the shared unembedding."""
        cos, sin = rope_window(self, start, trunk_out.shape[1])
        cache = caches[len(self.trunk) + index] if caches is not None else None
        return self.head_norms[index](self.heads[index](trunk_out, cos, sin, start, cache, last_only))

    def head_forward(self, index: int, trunk_out: torch.Tensor, start: int = 0,
                     caches: list[KVCache] | None = None) -> torch.Tensor:
        return self.output(self.head_hidden(index, trunk_out, start, caches))

    def forward(self, tokens: torch.Tensor, start: int = 0, caches: list[KVCache] | None = None,
                heads: int | None = None) -> torch.Tensor:
        """Logits of the first ``heads`` heads (default all): (heads, batch, seq, vocab)."""
        trunk_out = self.trunk_forward(tokens, start, caches)
        return torch.stack([self.head_forward(i, trunk_out, start, caches) for i in range(heads or self.n_future)])

    # --- training -----------------------------------------------------------------------------
    def head_loss(self, index: int, trunk_out: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of head ``index`` predicting token t + index + 1 at every position t."""
        shift = index + 1
        logits = self.head_forward(index, trunk_out)[:, :-shift]
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, shift:].reshape(-1))

    def loss(self, tokens: torch.Tensor) -> torch.Tensor:
        """The summed multi-token loss, built in one graph (the naive way)."""
        trunk_out = self.trunk_forward(tokens)
        return sum(self.head_loss(i, trunk_out, tokens) for i in range(self.n_future))

    def sequential_backward(self, tokens: torch.Tensor) -> list[float]:
        """Backward of the summed loss one head at a time; returns each head's loss."""
        trunk_out = self.trunk_forward(tokens)
        detached = trunk_out.detach().requires_grad_()
        losses = []
        for index in range(self.n_future):
            loss = self.head_loss(index, detached, tokens)
            loss.backward()  # frees this head's graph; gradients add up in detached.grad
            losses.append(loss.item())
        trunk_out.backward(detached.grad)
        return losses


@dataclass
class DecodeStats:
    forwards: int = 0
    tokens: int = 0
    seconds: float = 0.0
    accepted: list[int] = field(default_factory=list)  # new tokens per forward after the prompt's

    @property
    def tokens_per_forward(self) -> float:
        return sum(self.accepted) / len(self.accepted) if self.accepted else 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def next_logits(model: MultiTokenLM, tokens: list[int], start: int, caches: list[KVCache], heads: int) -> torch.Tensor:
    """Feed ``tokens`` at positions ``start ..`` through the trunk and the first ``heads`` heads
    (filling their caches); logits (heads, vocab) at the last position only."""
    trunk_out = model.trunk_forward(torch.tensor([tokens]), start, caches)
    hidden = torch.stack([model.head_hidden(i, trunk_out, start, caches, last_only=True)[0, -1]
                          for i in range(heads)])
    return model.output(hidden)


@torch.inference_mode()
def greedy_decode(model: MultiTokenLM, prompt: list[int], max_new: int, stop: int | None = None
                  ) -> tuple[list[int], DecodeStats]:
    """Plain greedy decoding with head 0 and a KV cache: one token per forward."""
    stats, start_time = DecodeStats(), time.perf_counter()
    caches = model.new_caches(1, len(prompt) + max_new + 1)
    logits = next_logits(model, prompt, 0, caches, heads=1)
    out, position = [], len(prompt)
    stats.forwards += 1
    while len(out) < max_new:
        token = int(logits[0].argmax())
        out.append(token)
        stats.accepted.append(1)
        if token == stop or len(out) == max_new:
            break
        logits = next_logits(model, [token], position, caches, heads=1)
        position += 1
        stats.forwards += 1
    stats.tokens, stats.seconds = len(out), time.perf_counter() - start_time
    return out, stats


@torch.inference_mode()
def speculative_decode(model: MultiTokenLM, prompt: list[int], max_new: int, stop: int | None = None
                       ) -> tuple[list[int], DecodeStats]:
    """Self-speculative greedy decoding: heads 1.. draft, head 0 verifies (identical to greedy)."""
    stats, start_time = DecodeStats(), time.perf_counter()
    caches = model.new_caches(1, len(prompt) + max_new + model.n_future + 1)
    first, *drafts = next_logits(model, prompt, 0, caches, model.n_future).argmax(-1).tolist()
    stats.forwards += 1
    out = [first]
    stats.accepted.append(1)
    fed = len(prompt)  # tokens in the cache; out[-1] is accepted but not yet fed
    while len(out) < max_new and out[-1] != stop:
        block = torch.tensor([[out[-1], *drafts]])
        trunk_out = model.trunk_forward(block, fed, caches)
        verified = model.head_forward(0, trunk_out, fed, caches)[0].argmax(-1).tolist()
        stats.forwards += 1
        agreed = 0  # head 0's token after block position j is verified[j]; draft j guesses it
        while agreed < len(drafts) and drafts[agreed] == verified[agreed]:
            agreed += 1
        new = verified[: agreed + 1]
        if stop in new:
            new = new[: new.index(stop) + 1]
        new = new[: max_new - len(out)]
        out += new
        stats.accepted.append(len(new))
        # the draft heads cache keys and values of the accepted positions only (the rest is stale;
        # the next block overwrites it in every cache), and compute and unembed the last of them
        accepted = trunk_out[:, : agreed + 1]
        hidden = torch.stack([model.head_hidden(i, accepted, fed, caches, last_only=True)[0, -1]
                              for i in range(1, model.n_future)])
        drafts = model.output(hidden).argmax(-1).tolist()
        fed += agreed + 1  # block positions 0..agreed hold accepted tokens
    stats.tokens, stats.seconds = len(out), time.perf_counter() - start_time
    return out, stats
