"""Tokenizers trained here vs GPT-4's cl100k_base on held-out Python: NSL and bytes per token for each
pre-tokenization regex of arXiv 2402.01035 at vocabulary sizes 8k and 32k, and training speed.

Corpus: the standard library's .py files (installed packages left out), split by file (10% held out).
NSL = our tokens / cl100k tokens on the held-out files (below 1: ours is shorter).

    python benchmarks/tokenizer.py [--train-mb 8] [--identity-mb 1]
"""

from __future__ import annotations

import argparse
import sysconfig
import time

from codeloop.models.training import split_files
from codeloop.tokenizer import PATTERNS, cl100k_base, compare, read_corpus, train_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-mb", type=float, default=8.0)
    parser.add_argument("--identity-mb", type=float, default=1.0,
                        help="identity merges across whole files, which trains ~50x slower: a smaller share")
    parser.add_argument("--held-out-mb", type=float, default=2.0)
    args = parser.parse_args()
    train_files, held_files = split_files(sysconfig.get_paths()["stdlib"], 10)
    train_texts, held = list(read_corpus(train_files)), list(read_corpus(held_files))

    def take(texts: list[str], mb: float) -> list[str]:
        out, size = [], 0
        for text in texts:
            if size >= mb * 1e6:
                break
            out.append(text)
            size += len(text.encode())
        return out

    held = take(held, args.held_out_mb)
    reference = cl100k_base()
    print(f"held-out: {len(held)} files, {sum(len(t.encode()) for t in held) / 1e6:.2f} MB")
    print("| pattern | vocab | train MB | train MB/s | bytes/token | cl100k bytes/token | NSL vs cl100k |")
    print("|---|---|---|---|---|---|---|")
    for pattern in PATTERNS:
        texts = take(train_texts, args.identity_mb if pattern == "identity" else args.train_mb)
        size = sum(len(t.encode()) for t in texts) / 1e6
        for vocab in (8192, 32768):
            start = time.perf_counter()
            tokenizer = train_tokenizer(texts, vocab, pattern)
            seconds = time.perf_counter() - start
            result = compare(tokenizer.encode_batch, held, reference)
            print(f"| {pattern} | {vocab} | {size:.1f} | {size / seconds:.2f} | {result['bytes_per_token']:.3f} | "
                  f"{result['reference_bytes_per_token']:.3f} | {result['nsl']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
