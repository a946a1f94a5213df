"""Fast vocabulary transfer (Gee et al. 2022, used in arXiv 2402.01035 section 5): when a model
switches tokenizer, a token both vocabularies share keeps its embedding; a new token's embedding
is the mean of the embeddings of the pieces the old tokenizer splits it into. Tokens are compared
as byte-level strings, so pieces are exact bytes even inside a multi-byte character.
"""

from __future__ import annotations

from codeloop.tokenizer.bpe import CodeTokenizer


def transfer_embeddings(new: CodeTokenizer, old: CodeTokenizer, old_embeddings):
    """Embeddings for ``new``'s vocabulary (a torch tensor) from ``old_embeddings`` (rows = old ids)."""
    import torch
    old_vocab = old.hf.get_vocab()
    rows = old_embeddings.mean(dim=0, keepdim=True).repeat(new.vocab_size, 1)  # unmatched specials
    for token, index in new.hf.get_vocab().items():
        if token in old_vocab:
            rows[index] = old_embeddings[old_vocab[token]]
        elif index not in new.special_tokens.values():
            pieces = [piece.id for piece in old.hf.model.tokenize(token)]
            rows[index] = old_embeddings[torch.tensor(pieces)].mean(dim=0)
    return rows
