"""Models: the Llama 3 architecture and multi-token prediction with self-speculative decoding."""

from codeloop.models.layout import for_decoding
from codeloop.models.llama import KVCache, Llama, ModelArgs
from codeloop.models.mtp import DecodeStats, MultiTokenLM, greedy_decode, speculative_decode

__all__ = ["DecodeStats", "KVCache", "Llama", "ModelArgs", "MultiTokenLM", "for_decoding", "greedy_decode",
           "speculative_decode"]
