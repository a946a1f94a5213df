"""Pre-tokenization regexes compared in "Getting the most out of your tokenizer" (Dagan et al.,
arXiv 2402.01035, section 3.3).

- ``gpt4``: the GPT-4 (cl100k_base) pattern, also Llama 3's: letters with an optional leading
  non-letter, numbers of 1 to 3 digits, punctuation runs, newlines and spaces.
- ``gpt4_digits2``: the same with numbers of at most 2 digits.
- ``punct``: our reconstruction of the paper's "Punct": GPT-4's pattern except that a word may
  only be preceded by a space, never by punctuation (``.append`` splits as ``.`` + ``append``).
  The paper describes it but does not print it.
- ``identity``: no pre-tokenization (BPE merges may cross any boundary).
"""

from __future__ import annotations

GPT4 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
        r"|\s*[\r\n]+|\s+(?!\S)|\s+")
PATTERNS: dict[str, str | None] = {
    "gpt4": GPT4,
    "gpt4_digits2": GPT4.replace(r"\p{N}{1,3}", r"\p{N}{1,2}"),
    "punct": GPT4.replace(r"[^\r\n\p{L}\p{N}]?\p{L}+", r" ?\p{L}+"),
    "identity": None,
}
CL100K_PATTERN = GPT4
