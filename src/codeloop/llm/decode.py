"""Batched sampling with a KV cache, each row leaving the batch when its reply ends.

``transformers``' ``generate`` keeps every row of a batch until the last one finishes, so a batch
costs (rows x the longest reply) decoding steps' work. Replies of one batch differ a lot in length
(a small policy's: a 20-token function beside one that rambles to the limit), so ``decode`` drops a
finished row from the cache (``DynamicCache.batch_select_indices``) and goes on with the rest: the
work is the sum of the replies' lengths. Otherwise it is ``generate``'s loop: the left-padded
prompts in one forward, then one token per live row per step, positions counted over the real
tokens (``cumsum(mask) - 1``), and sampling as ``generate`` samples: logits / temperature, then
nucleus filtering (the most likely tokens whose probabilities first reach ``top_p``), then one draw
per row; temperature 0 is the argmax.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def sample(logits: torch.Tensor, temperature: float, top_p: float, generator: torch.Generator | None) -> torch.Tensor:
    """One token per row of ``logits`` [B, V]."""
    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        before = sorted_probs.cumsum(-1) - sorted_probs  # the mass of the more likely tokens
        sorted_probs = sorted_probs.masked_fill(before >= top_p, 0.0)  # the first token always stays
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def decode(model: torch.nn.Module, prompts: list[list[int]], pad_id: int, max_tokens: int, temperature: float,
           top_p: float, seed: int | None, finished: Callable[[int, list[int]], bool]) -> list[list[int]]:
    """Each prompt's reply tokens, at most ``max_tokens``; a row stops after the token for which
    ``finished(row, reply_so_far)`` is true (an end token, a closed code block)."""
    from transformers import DynamicCache
    device = next(model.parameters()).device
    width = max(map(len, prompts))
    ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts], device=device)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=device)
    generator = None
    if seed is not None and temperature > 0:
        generator = torch.Generator(device=device).manual_seed(seed)
    replies: list[list[int]] = [[] for _ in prompts]
    live = list(range(len(prompts)))  # the rows still in the batch, in its order
    cache = DynamicCache(config=model.config)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        for _ in range(max_tokens):
            logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True,
                           logits_to_keep=1).logits[:, -1]  # the prefill's other positions need none
            tokens = sample(logits, temperature, top_p, generator)
            keep = []
            for slot, (row, token) in enumerate(zip(live, tokens.tolist(), strict=True)):
                replies[row].append(token)
                if not finished(row, replies[row]):
                    keep.append(slot)
            if not keep:
                break
            if len(keep) < len(live):
                index = torch.tensor(keep, device=device)
                cache.batch_select_indices(index)
                mask, tokens, positions = mask[index], tokens[index], positions[index]
                live = [live[slot] for slot in keep]
            mask = torch.cat([mask, mask.new_ones(len(live), 1)], dim=-1)
            positions = positions[:, -1:] + 1
            ids = tokens.unsqueeze(-1)
    return replies
