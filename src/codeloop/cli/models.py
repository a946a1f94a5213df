"""``codeloop tokenizer train|stats`` and ``codeloop train lm``."""

from __future__ import annotations

import argparse
import json
import sysconfig
import time
from dataclasses import fields
from pathlib import Path

STDLIB = sysconfig.get_paths()["stdlib"]


def register(commands: argparse._SubParsersAction) -> None:
    tokenizer = commands.add_parser("tokenizer", help="train and measure code tokenizers")
    actions = tokenizer.add_subparsers(dest="action", required=True)
    train = actions.add_parser("train", help="train a byte-level BPE tokenizer on a folder of .py files")
    train.add_argument("--corpus", default=STDLIB, help="folder of .py files (default: the standard library)")
    train.add_argument("--vocab-size", type=int, default=8192)
    train.add_argument("--pattern", default="gpt4", help="gpt4 | gpt4_digits2 | punct | identity")
    train.add_argument("--max-mb", type=float, default=None, help="train on at most this many MB")
    train.add_argument("-o", "--output", required=True, metavar="TOKENIZER.json")
    train.set_defaults(handler=tokenizer_train_command)
    stats = actions.add_parser("stats", help="bytes per token and NSL against cl100k_base")
    stats.add_argument("tokenizer", metavar="TOKENIZER.json")
    stats.add_argument("--corpus", default=STDLIB)
    stats.set_defaults(handler=tokenizer_stats_command)

    lm = commands.add_parser("train", help="train models").add_subparsers(dest="what", required=True).add_parser(
        "lm", help="train a multi-token Llama-style LM (progress bar, validation, checkpoints, resume)")
    from codeloop.models.train import TrainConfig
    for field in fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if field.name == "tokenizer":
            lm.add_argument(flag, required=True)
        elif field.name == "corpus":
            lm.add_argument(flag, default=STDLIB)
        else:
            lm.add_argument(flag, type=type(field.default), default=field.default)
    lm.set_defaults(handler=train_lm_command)


def _files(corpus: str) -> list[Path]:
    root = Path(corpus)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: corpus folder not found")
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def tokenizer_train_command(args: argparse.Namespace) -> int:
    from codeloop.tokenizer import read_corpus, train_tokenizer
    texts, size = [], 0
    for text in read_corpus(_files(args.corpus)):
        texts.append(text)
        size += len(text.encode())
        if args.max_mb and size >= args.max_mb * 1e6:
            break
    start = time.perf_counter()
    tokenizer = train_tokenizer(texts, args.vocab_size, args.pattern, progress=True)
    seconds = time.perf_counter() - start
    tokenizer.save(args.output)
    print(f"wrote {args.output}: {tokenizer.vocab_size} tokens, {args.pattern} pattern, trained on {size / 1e6:.1f} MB "
          f"in {seconds:.1f} s ({size / 1e6 / seconds:.2f} MB/s)")
    return 0


def tokenizer_stats_command(args: argparse.Namespace) -> int:
    from codeloop.tokenizer import CodeTokenizer, compare, read_corpus
    tokenizer = CodeTokenizer.load(args.tokenizer)
    result = compare(tokenizer.encode_batch, list(read_corpus(_files(args.corpus))))
    print(f"bytes/token {result['bytes_per_token']:.3f} (cl100k {result['reference_bytes_per_token']:.3f}), "
          f"NSL vs cl100k {result['nsl']:.3f}")
    print(json.dumps(result))
    return 0


def train_lm_command(args: argparse.Namespace) -> int:
    from codeloop.models.train import TrainConfig, train
    config = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})
    if config.heads < 1 or config.steps < 1:
        raise ValueError("--heads and --steps must be >= 1")
    import torch
    if config.device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {config.device}: no CUDA device on this machine (use --device cpu)")
    print(json.dumps(train(config)))
    return 0
