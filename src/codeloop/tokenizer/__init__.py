"""Code tokenizers: byte-level BPE with the pre-tokenization regexes of arXiv 2402.01035."""

from codeloop.tokenizer.bpe import CodeTokenizer, bytes_to_unicode, read_corpus, train_tokenizer
from codeloop.tokenizer.metrics import cl100k_base, compare
from codeloop.tokenizer.patterns import PATTERNS
from codeloop.tokenizer.transfer import transfer_embeddings

__all__ = ["PATTERNS", "CodeTokenizer", "bytes_to_unicode", "cl100k_base", "compare", "read_corpus",
           "train_tokenizer", "transfer_embeddings"]
