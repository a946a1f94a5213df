"""A ``codeloop train lm`` checkpoint as a transformers ``LlamaForCausalLM`` and tokenizer, so that
the RL trainer, peft and ``hf:`` evaluation take codeloop's own models (``codeloop:CHECKPOINT``).

The next-token path of a multi-token model is a Llama: the trunk's blocks, then head 0's block,
head 0's norm and the shared unembedding; the other heads (tokens t+2 ...) are left out.

One difference in layout: codeloop rotates each (even, odd) pair of a head's query/key dims
(Llama 3's reference code), transformers rotates dim i with dim i + head_dim/2. Reordering each
head's rows of W_q and W_k as (0, 2, 4, ..., 1, 3, 5, ...) maps one onto the other, so the scores,
and the logits, are the same.

These are completion models: the chat template writes each message's text on its own line, the
model's replies ended by ``<|endoftext|>``, with nothing between turns (prefix-stable, as the RL
trainer needs).
"""

from __future__ import annotations

from pathlib import Path

import torch

CHAT_TEMPLATE = ("{% for m in messages %}{{ m['content'] }}{% if m['role'] == 'assistant' %}<|endoftext|>"
                 "{% endif %}\n{% endfor %}")


def _pairs_to_halves(weight: torch.Tensor, heads: int) -> torch.Tensor:
    """Rows of each head reordered from interleaved (even, odd) pairs to two halves."""
    head_dim = weight.shape[0] // heads
    return weight.view(heads, head_dim // 2, 2, -1).transpose(1, 2).reshape(weight.shape)


def to_transformers(checkpoint: str | Path) -> tuple[torch.nn.Module, object]:
    """(``LlamaForCausalLM``, ``PreTrainedTokenizerFast``) with the checkpoint's next-token weights."""
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from codeloop.models.training import load_model
    model, tokenizer = load_model(checkpoint)
    args = model.args
    if not args.causal:
        raise ValueError(f"{checkpoint}: not a causal language model")
    blocks = [*model.trunk, model.heads[0]]
    end = tokenizer.special_tokens["<|endoftext|>"]
    config = LlamaConfig(vocab_size=args.vocab_size, hidden_size=args.dim, num_hidden_layers=len(blocks),
                         intermediate_size=blocks[0].feed_forward.w1.out_features, num_attention_heads=args.n_heads,
                         num_key_value_heads=args.kv_heads, rms_norm_eps=args.norm_eps, rope_theta=args.rope_theta,
                         max_position_embeddings=args.max_seq_len, tie_word_embeddings=False, bos_token_id=None,
                         eos_token_id=end, pad_token_id=end)
    state = {"model.embed_tokens.weight": model.tok_embeddings.weight, "model.norm.weight": model.head_norms[0].weight,
             "lm_head.weight": model.output.weight}
    for index, block in enumerate(blocks):
        prefix, attention, mlp = f"model.layers.{index}.", block.attention, block.feed_forward
        state |= {prefix + "self_attn.q_proj.weight": _pairs_to_halves(attention.wq.weight, args.n_heads),
                  prefix + "self_attn.k_proj.weight": _pairs_to_halves(attention.wk.weight, args.kv_heads),
                  prefix + "self_attn.v_proj.weight": attention.wv.weight,
                  prefix + "self_attn.o_proj.weight": attention.wo.weight,
                  prefix + "mlp.gate_proj.weight": mlp.w1.weight, prefix + "mlp.up_proj.weight": mlp.w3.weight,
                  prefix + "mlp.down_proj.weight": mlp.w2.weight,
                  prefix + "input_layernorm.weight": block.attention_norm.weight,
                  prefix + "post_attention_layernorm.weight": block.ffn_norm.weight}
    converted = LlamaForCausalLM(config)
    converted.load_state_dict({name: weight.detach().clone() for name, weight in state.items()}, strict=True)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer.hf, eos_token="<|endoftext|>",
                                      pad_token="<|endoftext|>")
    wrapped.chat_template = CHAT_TEMPLATE
    return converted, wrapped
