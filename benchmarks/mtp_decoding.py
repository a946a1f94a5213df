"""Self-speculative decoding vs greedy decoding with a KV cache, on a 4-head model trained by codeloop.

Prompts are the openings of held-out standard-library files; both decoders run in this process,
interleaved (the order alternates per prompt), on the same prompts; their outputs must be
identical. Prints tokens per second of each, their ratio, and tokens accepted per forward.

    python benchmarks/mtp_decoding.py --train-cpu       # a fresh clone: trains the README's CPU model first
                                                        # (3.2M parameters, 17.5 min on 2 cores), then measures
    python benchmarks/mtp_decoding.py --checkpoint runs/mtp4-gpu4k/checkpoint.pt   # the README's GPU recipe
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

import torch

from codeloop.models import for_decoding, greedy_decode, speculative_decode
from codeloop.models.training import load_model, split_files
from codeloop.tokenizer import read_corpus

CPU_RECIPE = [  # the README's CPU model: tokenizer, then 4000 steps of 1k tokens
    ["tokenizer", "train", "--vocab-size", "4096", "--max-mb", "12", "--out", "runs/tok4k.json"],
    ["train", "lm", "--tokenizer", "runs/tok4k.json", "--out", "runs/mtp4", "--heads", "4", "--steps", "4000",
     "--dim", "128", "--n-layers", "8", "--n-heads", "4", "--n-kv-heads", "2", "--seq-len", "128",
     "--batch-size", "8", "--lr", "3e-3", "--max-mb", "6"],
]


def train_cpu_model() -> str:
    """Train the README's CPU model with codeloop's own commands (resumes if interrupted)."""
    for command in CPU_RECIPE:
        if command[0] == "tokenizer" and Path("runs/tok4k.json").exists():
            continue
        subprocess.run([sys.executable, "-m", "codeloop", *command], check=True)
    return "runs/mtp4/checkpoint.pt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="runs/mtp4-gpu4k/checkpoint.pt",
                        help="a `codeloop train lm` checkpoint")
    parser.add_argument("--train-cpu", action="store_true",
                        help="train the README's CPU model first (~20 min on 2 cores) and measure it")
    parser.add_argument("--prompts", type=int, default=12, help="held-out prompts")
    parser.add_argument("--prompt-tokens", type=int, default=48, help="tokens per prompt")
    parser.add_argument("--max-new", type=int, default=160, help="tokens decoded per prompt")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: least noisy)")
    parser.add_argument("--layout", choices=("decoding", "training"), default="decoding",
                        help="weights as for_decoding() stores them, or as trained (both decoders use the same)")
    args = parser.parse_args()
    if args.train_cpu:
        args.checkpoint = train_cpu_model()
    if not Path(args.checkpoint).is_file():
        sys.exit(f"{args.checkpoint}: no such checkpoint; train one with --train-cpu, or with the README's GPU recipe")
    torch.set_num_threads(args.threads)
    model, tokenizer = load_model(args.checkpoint)
    if args.layout == "decoding":
        model = for_decoding(model)
    config = torch.load(args.checkpoint, map_location="cpu", weights_only=False)["train_config"]
    _, held_out = split_files(config["corpus"], config["val_percent"], config["max_mb"])
    prompts = [ids[: args.prompt_tokens] for ids in tokenizer.encode_batch(list(read_corpus(held_out)))
               if len(ids) >= args.prompt_tokens][: args.prompts]
    greedy_decode(model, prompts[0], 8)  # warm-up
    speculative_decode(model, prompts[0], 8)
    times = {"greedy": 0.0, "speculative": 0.0}
    tokens = {"greedy": 0, "speculative": 0}
    accepted, ratios = [], []
    for index, prompt in enumerate(prompts):
        order = ["greedy", "speculative"] if index % 2 == 0 else ["speculative", "greedy"]
        outputs = {}
        for name in order:
            decode = greedy_decode if name == "greedy" else speculative_decode
            outputs[name], stats = decode(model, prompt, args.max_new)
            times[name] += stats.seconds
            tokens[name] += stats.tokens
            if name == "speculative":
                accepted += stats.accepted[1:]  # the prompt's forward yields one token by construction
                per_prompt = stats
            else:
                greedy_stats = stats
        assert outputs["greedy"] == outputs["speculative"], f"prompt {index}: outputs differ"
        ratios.append(greedy_stats.seconds / per_prompt.seconds)
    greedy_rate, fast_rate = tokens["greedy"] / times["greedy"], tokens["speculative"] / times["speculative"]
    print(f"model: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters, {model.n_future} heads, "
          f"{len(prompts)} held-out prompts x {args.max_new} new tokens, {args.threads} thread(s), "
          f"{args.layout} layout")
    print(f"greedy with KV cache:       {greedy_rate:8.1f} tokens/s")
    print(f"self-speculative (4 heads): {fast_rate:8.1f} tokens/s   outputs identical: yes")
    print(f"speed-up: {fast_rate / greedy_rate:.2f}x (median per prompt {statistics.median(ratios):.2f}x; target "
          f">= 1.5x); tokens accepted per forward: {sum(accepted) / len(accepted):.2f} (target >= 2.0)")


if __name__ == "__main__":
    main()
