"""Byte-level BPE code tokenizers trained with Hugging Face ``tokenizers``, exportable to tiktoken."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from codeloop.tokenizer.patterns import PATTERNS

DEFAULT_SPECIAL_TOKENS = ("<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>")


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet: each byte as a printable character (the ByteLevel mapping)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    mapping, extra = {b: chr(b) for b in printable}, 0
    for byte in range(256):
        if byte not in mapping:
            mapping[byte] = chr(256 + extra)
            extra += 1
    return mapping


def _pre_tokenizer(pattern: str):
    from tokenizers import Regex, pre_tokenizers
    regex = PATTERNS[pattern]
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    if regex is None:
        return byte_level
    return pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(regex), behavior="isolated"), byte_level])


@dataclass
class CodeTokenizer:
    """A trained tokenizer: ``encode``/``decode``, ``save``/``load``, and ``to_tiktoken``."""

    hf: object  # tokenizers.Tokenizer
    pattern: str

    @property
    def vocab_size(self) -> int:
        return self.hf.get_vocab_size()

    @property
    def special_tokens(self) -> dict[str, int]:
        return {t.content: i for i, t in self.hf.get_added_tokens_decoder().items() if t.special}

    def encode(self, text: str) -> list[int]:
        return self.hf.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.hf.encode_batch(texts, add_special_tokens=False)]

    def decode(self, ids: list[int]) -> str:
        return self.hf.decode(ids, skip_special_tokens=False)

    def save(self, path: str | Path) -> None:
        data = json.loads(self.hf.to_str())
        data["codeloop"] = {"pattern": self.pattern}
        Path(path).write_text(json.dumps(data))

    @classmethod
    def load(cls, path: str | Path) -> CodeTokenizer:
        from tokenizers import Tokenizer
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such tokenizer file")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not a tokenizer JSON file ({error.msg})") from None
        pattern = data.pop("codeloop", {}).get("pattern", "gpt4")
        return cls(Tokenizer.from_str(json.dumps(data)), pattern)

    def mergeable_ranks(self) -> dict[bytes, int]:
        """Every non-special token as bytes, ranked by its id (merge order): tiktoken's format."""
        decode_char = {c: b for b, c in bytes_to_unicode().items()}
        special = set(self.special_tokens.values())
        return {bytes(decode_char[c] for c in token): index
                for token, index in self.hf.get_vocab().items() if index not in special}

    def to_tiktoken(self, name: str = "codeloop"):
        """A ``tiktoken.Encoding`` giving the same ids as this tokenizer."""
        import tiktoken
        regex = PATTERNS[self.pattern]
        return tiktoken.Encoding(name=name, pat_str=regex if regex is not None else r"[\s\S]+",
                                 mergeable_ranks=self.mergeable_ranks(), special_tokens=self.special_tokens)


def train_tokenizer(texts: Iterable[str], vocab_size: int, pattern: str = "gpt4",
                    special_tokens: Iterable[str] = DEFAULT_SPECIAL_TOKENS, progress: bool = False) -> CodeTokenizer:
    """Train byte-level BPE on ``texts`` with the pre-tokenization regex named ``pattern``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; one of {', '.join(PATTERNS)}")
    specials = list(special_tokens)
    if vocab_size < 256 + len(specials):
        raise ValueError(f"vocab_size must be at least {256 + len(specials)} (bytes + special tokens)")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = _pre_tokenizer(pattern)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=progress,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
    return CodeTokenizer(tokenizer, pattern)


def read_corpus(paths: Iterable[Path]) -> Iterator[str]:
    """Each file's text (UTF-8; files that are not are skipped)."""
    for path in paths:
        try:
            yield path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
