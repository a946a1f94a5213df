"""Models: the Llama 3 architecture, multi-token prediction with self-speculative decoding,
discrete flow matching, and their training. Exports load on first use, so
``codeloop.models.training_config`` imports without torch.

    llama.py            Llama 3: RMSNorm, RoPE, GQA, SwiGLU, KV cache
    mtp.py              n-token prediction heads on a shared trunk; self-speculative decoding
    layout.py           a decoding copy with transposed weights (faster matrix-vector products on a CPU)
    dfm.py, dfm_model.py  discrete flow matching: paths, schedulers, samplers, losses; the model
    training.py         the training loop ``train lm`` and ``train dfm`` share; ``train lm``
    dfm_train.py        ``train dfm``; loading and infilling with a trained model
    training_config.py  both trainers' settings
    to_hf.py            a ``codeloop:`` checkpoint as a transformers Llama
"""

from __future__ import annotations

import importlib

_EXPORTS = {"for_decoding": "layout", "KVCache": "llama", "Llama": "llama", "ModelArgs": "llama",
            "DecodeStats": "mtp", "MultiTokenLM": "mtp", "greedy_decode": "mtp", "speculative_decode": "mtp"}


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'codeloop.models' has no attribute {name!r}")
    return getattr(importlib.import_module(f"codeloop.models.{_EXPORTS[name]}"), name)


__all__ = sorted(_EXPORTS)
