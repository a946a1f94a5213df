"""The trainer's forward pass, split at the lowest trained block (``RLConfig.train_layers``).

A PPO step runs each episode through the network four times: pi_old and the turn values, pi_ref,
then the update's forward and backward. With only the top N of L blocks trained, blocks 0..L-N-1
are the same in all of them, so ``trunk`` runs them once per episode (no gradient) and ``head``
runs the rest from the trunk's output: for the policy (with or without gradient) and for the
reference (a frozen copy of the top blocks, or the policy with its adapters switched off). And the
output layer, a [vocabulary x width] product per position (49,152 x 576 in SmolLM2), is applied
only where a policy token is predicted (``logprobs``), about a third of an episode's positions.

For decoders built as Llama's (``model.get_decoder()`` with ``embed_tokens``, ``rotary_emb``,
``layers`` and ``norm``: Llama, Qwen2, Mistral); ``tests/test_rl_train.py`` checks the split pass
against the model's own forward.
"""

from __future__ import annotations

import torch


def trunk(model: torch.nn.Module, ids: torch.Tensor, split: int) -> torch.Tensor:
    """The input of block ``split``: embeddings, then blocks 0..split-1, without gradient below a
    split (those blocks are frozen); at split 0, the embeddings themselves, which are trained."""
    decoder = model.get_decoder()
    with torch.set_grad_enabled(torch.is_grad_enabled() and split == 0):
        return blocks(decoder, decoder.embed_tokens(ids), decoder.layers[:split])


def blocks(decoder: torch.nn.Module, hidden: torch.Tensor, layers: torch.nn.ModuleList) -> torch.Tensor:
    """``hidden`` [1, L, D] through ``layers``, causally, positions 0..L-1 (one unpadded sequence)."""
    from transformers.masking_utils import create_causal_mask
    positions = torch.arange(hidden.shape[1], device=hidden.device).unsqueeze(0)
    mask = create_causal_mask(config=decoder.config, inputs_embeds=hidden, attention_mask=None, cache=None,
                              position_ids=positions)
    rotary = decoder.rotary_emb(hidden, position_ids=positions)
    for layer in layers:
        hidden = layer(hidden, attention_mask=mask, position_ids=positions, position_embeddings=rotary)
    return hidden


def head(model: torch.nn.Module, hidden: torch.Tensor, split: int, top: torch.nn.ModuleList | None = None,
         norm: torch.nn.Module | None = None) -> torch.Tensor:
    """The last hidden state (after the final norm) from block ``split``'s input, through the
    model's own top blocks, or through ``top`` and ``norm`` (the reference's copies)."""
    decoder = model.get_decoder()
    hidden = blocks(decoder, hidden, decoder.layers[split:] if top is None else top)
    return (decoder.norm if norm is None else norm)(hidden)


def logprobs(model: torch.nn.Module, hidden: torch.Tensor, ids: torch.Tensor, where: torch.Tensor) -> torch.Tensor:
    """log pi(ids[i + 1] | ids[:i + 1]) at the positions i where ``where`` [L - 1] is true, 0
    elsewhere: ``ppo.token_logprobs``'s [L - 1] layout, the output layer applied only where needed."""
    index = where.nonzero().squeeze(-1)
    logits = model.get_output_embeddings()(hidden[0, index]).float()
    picked = torch.log_softmax(logits, dim=-1).gather(-1, ids[0, index + 1].unsqueeze(-1)).squeeze(-1)
    return torch.zeros(ids.shape[1] - 1, dtype=picked.dtype, device=ids.device).index_put((index,), picked)
