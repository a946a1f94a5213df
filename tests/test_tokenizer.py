"""Tokenizers: round trips on hard strings, tiktoken export with identical ids, patterns, metrics, FVT."""

import sysconfig
from pathlib import Path

import pytest

pytest.importorskip("tokenizers")

from codeloop.tokenizer import (
    PATTERNS,
    CodeTokenizer,
    cl100k_base,
    compare,
    read_corpus,
    train_tokenizer,
    transfer_embeddings,
)

HARD = ["héllo wörld — ünïcödé 注释 🚀🚀 \u200b", "\tif x:\r\n\t\treturn  1\r\n", " " * 67 + "x\n\n\n", "",
        "a" * 500, "12345678901234567890 3.14159e-10 0x1F", "'s 're 'll \\n \\t ''' \"\"\" ```", "\x00\x01\x7f\xff"]
CORPUS = list(read_corpus(sorted(Path(sysconfig.get_paths()["stdlib"]).glob("[a-c]*.py"))))[:25]


@pytest.fixture(scope="module", params=sorted(PATTERNS))
def tokenizer(request):
    return train_tokenizer(CORPUS, 600, request.param)


def test_round_trip_hard_strings(tokenizer):
    for text in HARD + CORPUS[:3]:
        assert tokenizer.decode(tokenizer.encode(text)) == text


def test_tiktoken_export_gives_identical_ids(tokenizer):
    encoding = tokenizer.to_tiktoken()
    for text in HARD + CORPUS[:10]:
        assert encoding.encode_ordinary(text) == tokenizer.encode(text)
    assert encoding.encode("<|endoftext|>", allowed_special="all") == [tokenizer.special_tokens["<|endoftext|>"]]


def test_save_and_load(tokenizer, tmp_path):
    tokenizer.save(tmp_path / "tok.json")
    loaded = CodeTokenizer.load(tmp_path / "tok.json")
    assert loaded.pattern == tokenizer.pattern and loaded.vocab_size == tokenizer.vocab_size
    assert loaded.encode(CORPUS[0]) == tokenizer.encode(CORPUS[0])
    with pytest.raises(FileNotFoundError):
        CodeTokenizer.load(tmp_path / "missing.json")


def test_patterns_split_as_documented():
    from tokenizers import Regex, pre_tokenizers

    def pieces(name, text):
        return [p for p, _ in pre_tokenizers.Split(Regex(PATTERNS[name]), "isolated").pre_tokenize_str(text)]
    assert pieces("gpt4", "x = 12345") == ["x", " =", " ", "123", "45"]
    assert pieces("gpt4_digits2", "x = 12345") == ["x", " =", " ", "12", "34", "5"]
    assert pieces("gpt4", "a.append(b)") == ["a", ".append", "(b", ")"]
    assert pieces("punct", "a.append(b)") == ["a", ".", "append", "(", "b", ")"]
    assert PATTERNS["identity"] is None


def test_special_tokens_and_vocab_size():
    tok = train_tokenizer(CORPUS, 700, "gpt4", special_tokens=["<|endoftext|>", "<|pad|>"])
    assert tok.vocab_size == 700 and set(tok.special_tokens) == {"<|endoftext|>", "<|pad|>"}
    with pytest.raises(ValueError, match="unknown pattern"):
        train_tokenizer(CORPUS, 700, "nope")


def test_cl100k_reference_and_metrics(tokenizer):
    reference = cl100k_base()
    assert reference.encode("hello world") == [15339, 1917]
    result = compare(tokenizer.encode_batch, CORPUS[:5], reference)
    assert result["nsl"] == pytest.approx(result["tokens"] / result["reference_tokens"])
    assert result["bytes_per_token"] == pytest.approx(result["bytes"] / result["tokens"])


def test_fast_vocabulary_transfer():
    torch = pytest.importorskip("torch")
    old = train_tokenizer(CORPUS, 400, "gpt4")
    new = train_tokenizer(CORPUS, 700, "gpt4")
    embeddings = torch.randn(old.vocab_size, 8)
    moved = transfer_embeddings(new, old, embeddings)
    assert moved.shape == (700, 8)
    old_vocab, new_vocab = old.hf.get_vocab(), new.hf.get_vocab()
    shared = next(t for t in new_vocab if t in old_vocab and len(t) > 1)
    assert torch.equal(moved[new_vocab[shared]], embeddings[old_vocab[shared]])
    fresh = next(t for t in new_vocab if t not in old_vocab)
    pieces = [p.id for p in old.hf.model.tokenize(fresh)]
    assert len(pieces) > 1 and old.decode(pieces) == new.decode([new_vocab[fresh]])  # the same bytes
    assert torch.allclose(moved[new_vocab[fresh]], embeddings[pieces].mean(0))
