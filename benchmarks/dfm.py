"""Discrete flow matching against an autoregressive model of the same size and token budget.

Both are trained here with codeloop's own trainers (``train lm --heads 1`` and ``train dfm``: same
width, depth, sequence length, batch and steps, same files) on the standard library, then:

- **unconditional samples**: generative perplexity, the per-token perplexity of the decoded samples
  under a larger autoregressive model (the embedded Qwen2.5-Coder-0.5B-Instruct, through
  llama-cpp), and their mean unigram entropy (nats; collapse shows as a low entropy), at NFE 16, 32,
  64, 128 and 256 for the Euler and the corrector samplers; the AR model's own samples (temperature
  1) are the reference line;
- **infilling** on held-out functions: a function's body, its argument list or one line of it
  masked (as many tokens as the original span), filled by the DFM model: the share of files that
  parse (``ast.parse``) and the exact-match rate; and HumanEval: bodies filled given the prompt
  (signature and docstring) as prefix and the end of the file as suffix, pass@1 by codeloop's judge.

Prints the tables, writes ``OUT/dfm_nfe.svg`` (perplexity against NFE), and ends with one JSON line
holding the Euler and corrector figures at equal NFE. ``--quick`` (a 3-block, width-128 pair, 600
steps of 16x128 tokens each, 16 samples per point) runs in under 10 minutes on 2 cores; ``--smoke``
(width 64, 300 steps) in about 2, for the tests; the default is a 4-block, width-256 pair, 3000 steps.

    python benchmarks/dfm.py [--quick | --smoke] [--out runs/dfm-bench]
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import random
import sysconfig
import time
from collections import Counter
from pathlib import Path

import torch

from codeloop.eval.report import line_chart
from codeloop.models.dfm_train import fill, load_dfm, train_dfm
from codeloop.models.training import load_model, split_files, train
from codeloop.models.training_config import DFMConfig, TrainConfig
from codeloop.tokenizer import read_corpus, train_tokenizer

NFES = (16, 32, 64, 128, 256)
SAMPLERS = ("euler", "corrector")


MODES = {
    "smoke": {"dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "seq_len": 64, "batch_size": 16,
              "steps": 300, "max_mb": 1.0, "vocab": 1024, "samples": 4, "functions": 6, "humaneval": 4},
    "quick": {"dim": 128, "n_layers": 3, "n_heads": 4, "n_kv_heads": 2, "seq_len": 128, "batch_size": 16,
              "steps": 600, "max_mb": 2.0, "vocab": 2048, "samples": 16, "functions": 24, "humaneval": 16},
    "full": {"dim": 256, "n_layers": 4, "n_heads": 8, "n_kv_heads": 4, "seq_len": 128, "batch_size": 16,
             "steps": 3000, "max_mb": 8.0, "vocab": 4096, "samples": 32, "functions": 100, "humaneval": 164},
}


def train_pair(out: Path, s: dict) -> tuple[Path, Path, Path]:
    corpus = sysconfig.get_paths()["stdlib"]
    tokenizer_path = out / "tok.json"
    if not tokenizer_path.exists():
        train_files, _ = split_files(corpus, 5, s["max_mb"])
        train_tokenizer(list(read_corpus(train_files)), s["vocab"], "gpt4").save(tokenizer_path)
    common = {k: s[k] for k in ("dim", "n_layers", "n_heads", "n_kv_heads", "seq_len", "batch_size", "steps",
                                "max_mb")}
    common.update(corpus=corpus, tokenizer=str(tokenizer_path), eval_every=max(1, s["steps"] // 4),
                  checkpoint_every=max(1, s["steps"] // 4), warmup=min(50, s["steps"] // 10))
    train(TrainConfig(out=str(out / "ar"), heads=1, **common), progress=True)
    train_dfm(DFMConfig(out=str(out / "dfm"), **common), progress=True)
    return tokenizer_path, out / "ar" / "checkpoint.pt", out / "dfm" / "checkpoint.pt"


@torch.no_grad()
def ar_samples(checkpoint: Path, count: int, length: int, seed: int = 0) -> list[list[int]]:
    model, tokenizer = load_model(checkpoint)
    start = tokenizer.special_tokens.get("<|endoftext|>", 0)
    generator = torch.Generator().manual_seed(seed)
    tokens = torch.full((count, 1), start, dtype=torch.long)
    for _ in range(length):
        logits = model(tokens, heads=1)[0, :, -1]
        tokens = torch.cat([tokens, torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)], 1)
    return tokens[:, 1:].tolist()


def entropy(ids: list[int]) -> float:
    counts = Counter(ids)
    return -sum(c / len(ids) * math.log(c / len(ids)) for c in counts.values())


class Scorer:
    """Per-token perplexity of text under the embedded model (llama-cpp, all logits kept)."""

    def __init__(self) -> None:
        from llama_cpp import Llama

        from codeloop.llm.embedded import verified_model_path
        self.llama = Llama(model_path=str(verified_model_path("default")), n_ctx=1024, logits_all=True,
                           verbose=False)

    def perplexity(self, texts: list[str]) -> float:
        import numpy as np
        total, count = 0.0, 0
        for text in texts:
            tokens = self.llama.tokenize(text.encode(), add_bos=True)[:1000]
            if len(tokens) < 2:
                continue
            self.llama.reset()
            self.llama.eval(tokens)
            logits = np.asarray(self.llama.scores[:len(tokens) - 1], dtype=np.float64)
            log_z = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
            total += float((log_z - logits[np.arange(len(tokens) - 1), tokens[1:]]).sum())
            count += len(tokens) - 1
        return math.exp(total / count) if count else float("nan")


def held_out_functions(count: int, seed: int = 0) -> list[tuple[str, ast.FunctionDef]]:
    _, val_files = split_files(sysconfig.get_paths()["stdlib"], 5, 8.0)
    found = []
    for path in val_files:
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        found += [(source, node) for node in tree.body if isinstance(node, ast.FunctionDef)
                  and 2 <= node.end_lineno - node.body[0].lineno <= 12 and node.args.args]
    random.Random(seed).shuffle(found)
    return found[:count]


def spans(source: str, node: ast.FunctionDef) -> dict[str, tuple[int, int]]:
    """Character spans of the body, the argument list and the body's first line."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def at(line: int, col: int) -> int:
        return starts[line - 1] + len(source.splitlines(keepends=True)[line - 1].encode()[:col].decode())

    body = (starts[node.body[0].lineno - 1], starts[node.end_lineno])
    args = (at(node.args.args[0].lineno, node.args.args[0].col_offset),
            at(node.args.args[-1].end_lineno, node.args.args[-1].end_col_offset))
    first = (starts[node.body[0].lineno - 1], starts[node.body[0].lineno])
    return {"body": body, "arguments": args, "line": first}


def infilling(model, path, tokenizer, functions, nfe: int) -> dict[str, dict[str, float]]:
    table = {}
    for kind in ("body", "arguments", "line"):
        parsed = exact = 0
        for source, node in functions:
            begin, end = spans(source, node)[kind]
            prefix, middle, suffix = source[:begin], source[begin:end], source[end:]
            ids = fill(model, path, tokenizer.encode(prefix)[-256:], max(1, len(tokenizer.encode(middle))),
                       tokenizer.encode(suffix)[:128], nfe, "corrector")[0]
            filled = tokenizer.decode(ids)
            exact += filled == middle
            try:
                ast.parse(prefix + filled + suffix)
                parsed += 1
            except (SyntaxError, ValueError):
                pass
        table[kind] = {"parses": parsed / len(functions), "exact": exact / len(functions)}
    return table


def humaneval_pass(model, path, tokenizer, count: int, nfe: int) -> float:
    from codeloop.judge import Judge
    from codeloop.sandbox import Sandbox
    from codeloop.tasks import load
    tasks = load("humaneval")[:count]
    passed = 0
    with Sandbox() as sandbox:
        judge = Judge(sandbox)
        for task in tasks:  # as many tokens as the canonical body holds (the span's length is given, as above)
            body = task.solutions[0][len(task.prompt):] if task.solutions else "    pass\n"
            middle = min(max(8, len(tokenizer.encode(body))), 192)
            ids = fill(model, path, tokenizer.encode(task.prompt)[-256:], middle, [], nfe, "corrector")[0]
            passed += judge.judge(task.program(tokenizer.decode(ids)), task.hidden_tests).passed
    return passed / len(tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small, under-10-minute version")
    parser.add_argument("--smoke", action="store_true", help="a tiny pair in about 2 minutes (what the tests run)")
    parser.add_argument("--out", default="runs/dfm-bench", help="run folder (models are reused when present)")
    args = parser.parse_args()
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    s = MODES[mode]
    out = Path(args.out) / mode
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    _, ar_checkpoint, dfm_checkpoint = train_pair(out, s)
    model, path, tokenizer = load_dfm(dfm_checkpoint)
    scorer = Scorer()
    length = s["seq_len"]
    ar = ar_samples(ar_checkpoint, s["samples"], length)
    reference = {"gen_ppl": scorer.perplexity([tokenizer.decode(ids) for ids in ar]),
                 "entropy": sum(map(entropy, ar)) / len(ar)}
    rows = {}
    for sampler in SAMPLERS:
        for nfe in NFES:
            ids = fill(model, path, [], length, [], nfe, sampler, s["samples"], seed=nfe)
            rows[(sampler, nfe)] = {"gen_ppl": scorer.perplexity([tokenizer.decode(i) for i in ids]),
                                    "entropy": sum(map(entropy, ids)) / len(ids)}
    print(f"\n{s['samples']} samples of {length} tokens per point; AR and DFM: dim {s['dim']}, {s['n_layers']} "
          f"blocks, {s['steps']} steps of {s['batch_size']}x{s['seq_len']} tokens")
    print("| sampler | NFE | generative perplexity | entropy |\n|---|---:|---:|---:|")
    for (sampler, nfe), row in rows.items():
        print(f"| {sampler} | {nfe} | {row['gen_ppl']:.1f} | {row['entropy']:.2f} |")
    print(f"| AR (its own samples) | {length} | {reference['gen_ppl']:.1f} | {reference['entropy']:.2f} |")
    top = max(max(r["gen_ppl"] for r in rows.values()), reference["gen_ppl"]) * 1.1
    series = {f"DFM {sampler}": [(nfe, rows[(sampler, nfe)]["gen_ppl"]) for nfe in NFES] for sampler in SAMPLERS}
    series["AR"] = [(NFES[0], reference["gen_ppl"]), (NFES[-1], reference["gen_ppl"])]
    (out / "dfm_nfe.svg").write_text(line_chart(series, "NFE", "generative perplexity", (0.0, top), standalone=True))
    functions = held_out_functions(s["functions"])
    infill = infilling(model, path, tokenizer, functions, 64)
    print(f"\ninfilling {len(functions)} held-out functions (NFE 64, corrector):")
    print("| span | parses | exact match |\n|---|---:|---:|")
    for kind, row in infill.items():
        print(f"| {kind} | {row['parses']:.2f} | {row['exact']:.2f} |")
    humaneval = humaneval_pass(model, path, tokenizer, s["humaneval"], 64)
    print(f"\nHumanEval bodies infilled ({s['humaneval']} problems, NFE 64): pass@1 {humaneval:.3f}")
    print(f"total {time.perf_counter() - started:.0f} s; plot: {out / 'dfm_nfe.svg'}")
    print(json.dumps({"euler": {str(n): rows[("euler", n)] for n in NFES},
                      "corrector": {str(n): rows[("corrector", n)] for n in NFES}, "ar": reference,
                      "infilling": infill, "humaneval_pass@1": humaneval}))


if __name__ == "__main__":
    main()
