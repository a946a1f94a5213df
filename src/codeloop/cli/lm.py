"""``codeloop tokenizer train|stats``, ``codeloop train lm|dfm``, ``codeloop generate`` and ``codeloop infill``."""

from __future__ import annotations

import argparse
import json
import sysconfig
import time
from pathlib import Path

from codeloop.cli.common import add_out, add_progress, command, requires
from codeloop.models.training_config import DFMConfig, TrainConfig
from codeloop.settings import add_flags, from_args, positive_float, positive_int

STDLIB = sysconfig.get_paths()["stdlib"]
PATTERNS = ("gpt4", "gpt4_digits2", "punct", "identity")  # codeloop.tokenizer.PATTERNS


def register(commands: argparse._SubParsersAction) -> None:
    tokenizer = command(commands, "tokenizer", "train and measure code tokenizers")
    actions = tokenizer.add_subparsers(dest="action", required=True, metavar="ACTION")
    train = command(actions, "train", "train a byte-level BPE tokenizer on a folder of .py files")
    train.add_argument("--corpus", default=STDLIB, help="folder of .py files (default: the standard library)")
    train.add_argument("--vocab-size", type=positive_int, default=8192, help="tokens in the vocabulary (default: 8192)")
    train.add_argument("--pattern", default="gpt4", choices=PATTERNS,
                       help="the pre-tokenization regex of arXiv 2402.01035 (default: gpt4)")
    train.add_argument("--max-mb", type=positive_float, default=None, help="train on at most this many MB")
    add_out(train, "TOKENIZER.json", "where the tokenizer goes", required=True)
    add_progress(train)
    train.set_defaults(handler=tokenizer_train_command)
    stats = command(actions, "stats", "bytes per token and NSL against cl100k_base")
    stats.add_argument("tokenizer", metavar="TOKENIZER.json", help="a tokenizer from `codeloop tokenizer train`")
    stats.add_argument("--corpus", default=STDLIB, help="folder of .py files (default: the standard library)")
    stats.set_defaults(handler=tokenizer_stats_command)

    what = command(commands, "train", "train models").add_subparsers(dest="what", required=True, metavar="MODEL")
    lm = command(what, "lm", "train a multi-token Llama-style LM (progress bar, validation, checkpoints, resume)")
    add_flags(lm, TrainConfig, custom={"out": _run_dir})
    add_progress(lm)
    lm.set_defaults(handler=train_lm_command)

    flow = command(what, "dfm", "train a discrete flow matching model (non-autoregressive; progress, validation, "
                                "checkpoints, resume)")
    add_flags(flow, DFMConfig, skip=("heads",), custom={"out": _run_dir})
    add_progress(flow)
    flow.set_defaults(handler=train_dfm_command)

    generate = command(commands, "generate", "sample text from a discrete flow matching model, all positions at once")
    generate.add_argument("--model", required=True, help="dfm:CHECKPOINT, from `codeloop train dfm`")
    _sampling_flags(generate)
    generate.add_argument("--length", type=positive_int, default=128, help="tokens per sample (default: 128)")
    generate.add_argument("--samples", type=positive_int, default=1, help="how many samples (default: 1)")
    generate.set_defaults(handler=generate_command)

    infill = command(commands, "infill", "fill lines of a file given the code before and after them")
    infill.add_argument("file", metavar="FILE.py", help="the file")
    infill.add_argument("--line", required=True, metavar="A-B", help="the lines to fill (1-based, inclusive)")
    infill.add_argument("--model", required=True, help="dfm:CHECKPOINT, from `codeloop train dfm`")
    infill.add_argument("--tokens", type=positive_int, help="tokens to fill (default: as many as the lines hold)")
    _sampling_flags(infill)
    add_out(infill, "FILE", "write the filled file here (default: standard output)")
    infill.set_defaults(handler=infill_command)


def _run_dir(parser: argparse.ArgumentParser, flag: str, help_text: str) -> None:
    add_out(parser, "RUN_DIR", help_text)


def _sampling_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nfe", type=positive_int, default=64, help="sampler steps (default: 64)")
    parser.add_argument("--sampler", choices=("euler", "corrector"), default="corrector",
                        help="euler, or corrector sampling (default: corrector)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")


def _dfm(args: argparse.Namespace):
    if not args.model.startswith("dfm:") or len(args.model) == 4:
        args.parser.error(f"--model: expected dfm:CHECKPOINT, got {args.model!r}")
    requires("models", "torch", "tokenizers")
    from codeloop.models.dfm_train import load_dfm
    return load_dfm(args.model[4:])


def generate_command(args: argparse.Namespace) -> int:
    model, path, tokenizer = _dfm(args)
    from codeloop.models.dfm_train import fill
    rows = fill(model, path, [], min(args.length, model.args.max_seq_len), [], args.nfe, args.sampler, args.samples,
                args.seed)
    for index, ids in enumerate(rows, 1):
        print(f"# ---- sample {index} ({args.sampler}, NFE {args.nfe}) ----")
        print(tokenizer.decode(ids))
    return 0


def infill_command(args: argparse.Namespace) -> int:
    from codeloop.cli.common import read_text
    text = read_text(args.file)
    lines = text.splitlines(keepends=True)
    try:
        first, last = (int(part) for part in args.line.split("-", 1)) if "-" in args.line else (int(args.line),) * 2
    except ValueError:
        args.parser.error(f"--line: expected A-B (1-based line numbers), got {args.line!r}")
    if not 1 <= first <= last <= len(lines):
        args.parser.error(f"--line: {args.line} is not within {args.file}'s {len(lines)} lines")
    model, path, tokenizer = _dfm(args)
    from codeloop.models.dfm_train import fill
    prefix, span, suffix = "".join(lines[:first - 1]), "".join(lines[first - 1:last]), "".join(lines[last:])
    middle = args.tokens or max(1, len(tokenizer.encode(span)))
    ids = fill(model, path, tokenizer.encode(prefix), middle, tokenizer.encode(suffix), args.nfe, args.sampler, 1,
               args.seed)[0]
    filled = tokenizer.decode(ids)
    result = prefix + filled + ("" if filled.endswith("\n") or not suffix else "\n") + suffix
    if args.out:
        Path(args.out).write_text(result)
        print(f"wrote {args.out}: lines {first}-{last} filled with {middle} tokens")
    else:
        print(result, end="")
    return 0


def _files(corpus: str) -> list[Path]:
    root = Path(corpus)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: corpus folder not found")
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def tokenizer_train_command(args: argparse.Namespace) -> int:
    requires("models", "tokenizers")
    from codeloop.tokenizer import read_corpus, train_tokenizer
    texts, size = [], 0
    for text in read_corpus(_files(args.corpus)):
        texts.append(text)
        size += len(text.encode())
        if args.max_mb and size >= args.max_mb * 1e6:
            break
    start = time.perf_counter()
    tokenizer = train_tokenizer(texts, args.vocab_size, args.pattern, progress=not args.no_progress)
    seconds = time.perf_counter() - start
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(args.out)
    print(f"wrote {args.out}: {tokenizer.vocab_size} tokens, {args.pattern} pattern, trained on {size / 1e6:.1f} MB "
          f"in {seconds:.1f} s ({size / 1e6 / seconds:.2f} MB/s)")
    return 0


def tokenizer_stats_command(args: argparse.Namespace) -> int:
    requires("models", "tokenizers", "tiktoken")
    from codeloop.tokenizer import CodeTokenizer, compare, read_corpus
    tokenizer = CodeTokenizer.load(args.tokenizer)
    result = compare(tokenizer.encode_batch, list(read_corpus(_files(args.corpus))))
    print(f"bytes/token {result['bytes_per_token']:.3f} (cl100k {result['reference_bytes_per_token']:.3f}), "
          f"NSL vs cl100k {result['nsl']:.3f}")
    print(json.dumps(result))
    return 0


def train_dfm_command(args: argparse.Namespace) -> int:
    config = from_args(args, DFMConfig, skip=("heads",), corpus=STDLIB)
    requires("models", "torch", "tokenizers")
    import torch

    from codeloop.models.dfm_train import train_dfm
    if config.device.startswith("cuda") and not torch.cuda.is_available():
        args.parser.error(f"--device {config.device}: no CUDA device on this machine (use --device cpu)")
    print(json.dumps(train_dfm(config, progress=not args.no_progress)))
    return 0


def train_lm_command(args: argparse.Namespace) -> int:
    config = from_args(args, TrainConfig, corpus=STDLIB)
    requires("models", "torch", "tokenizers")
    import torch

    from codeloop.models.training import train
    if config.device.startswith("cuda") and not torch.cuda.is_available():
        args.parser.error(f"--device {config.device}: no CUDA device on this machine (use --device cpu)")
    print(json.dumps(train(config, progress=not args.no_progress)))
    return 0
