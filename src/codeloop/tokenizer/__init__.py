"""Code tokenizers: byte-level BPE with the pre-tokenization regexes of arXiv 2402.01035.

    patterns.py     the regexes: gpt4, gpt4_digits2, punct, identity
    bpe.py          training and encoding; export to tiktoken
    compression.py  bytes per token and NSL against cl100k_base
    transfer.py     fast vocabulary transfer
"""

from codeloop.tokenizer.bpe import CodeTokenizer, bytes_to_unicode, read_corpus, train_tokenizer
from codeloop.tokenizer.compression import cl100k_base, compare
from codeloop.tokenizer.patterns import PATTERNS
from codeloop.tokenizer.transfer import transfer_embeddings

__all__ = ["PATTERNS", "CodeTokenizer", "bytes_to_unicode", "cl100k_base", "compare", "read_corpus",
           "train_tokenizer", "transfer_embeddings"]
