"""Fast vocabulary transfer (Gee et al. 2022, used in arXiv 2402.01035 section 5): when a model
switches tokenizer, a token both vocabularies share keeps its embedding; a new token's embedding
is the mean of the embeddings of the pieces the old tokenizer splits it into.
"""

from __future__ import annotations

from collections.abc import Callable


def transfer_embeddings(new_vocab: dict[int, str], old_vocab: dict[str, int], old_encode: Callable[[str], list[int]],
                        old_embeddings):
    """Embeddings for ``new_vocab`` (id -> token text), from ``old_embeddings`` (a torch tensor,
    rows indexed by old ids). ``old_vocab`` maps old token text to id."""
    import torch
    rows = torch.empty(max(new_vocab) + 1, old_embeddings.shape[1], dtype=old_embeddings.dtype)
    rows.copy_(old_embeddings.mean(dim=0, keepdim=True).expand_as(rows))  # ids no text maps to
    for index, text in new_vocab.items():
        if text in old_vocab:
            rows[index] = old_embeddings[old_vocab[text]]
        else:
            pieces = old_encode(text)
            if pieces:
                rows[index] = old_embeddings[pieces].mean(dim=0)
    return rows
