"""Models: the Llama 3 architecture and multi-token prediction with self-speculative decoding.

Exports load on first use, so ``codeloop.models.config`` imports without torch."""

from __future__ import annotations

import importlib

_EXPORTS = {"for_decoding": "layout", "KVCache": "llama", "Llama": "llama", "ModelArgs": "llama",
            "DecodeStats": "mtp", "MultiTokenLM": "mtp", "greedy_decode": "mtp", "speculative_decode": "mtp"}


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'codeloop.models' has no attribute {name!r}")
    return getattr(importlib.import_module(f"codeloop.models.{_EXPORTS[name]}"), name)


__all__ = sorted(_EXPORTS)
