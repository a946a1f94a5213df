"""RLEF at scale (Gehring et al., arXiv 2410.02089; issue #13's item 5), in one process: the
embedded Qwen2.5-Coder-0.5B-Instruct (its GGUF loaded into transformers) evaluated greedily on
HumanEval and MBPP's test split, then codeloop's PPO on MBPP's train split, then evaluated again.

Each evaluation is ``codeloop eval``'s (3 turns, failed-test feedback, greedy), so one run gives
both columns: single turn (the first turn's pass@1) and 1@3 (pass after up to 3 turns). Replies
are generated in batches (``--batch``: concurrent episodes, ``codeloop.llm.batching``).

``--budget SECONDS`` bounds the whole run's wall time: PPO stops early, after a whole step, when
the time left is no more than the first evaluation took plus a step, so that the second evaluation
still fits. ``--steps 0`` only evaluates. Results go to ``OUT/results.json`` after each evaluation,
the PPO metrics to ``OUT/rl/metrics.jsonl``, the trained policy to ``OUT/rl/checkpoint/policy``
(unless ``--no-save``).

    python benchmarks/rlef_at_scale.py --device cuda [--model default] [--steps 200] [--budget 480]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from codeloop.eval.run import run_eval
from codeloop.eval.run_spec import RunSpec
from codeloop.judge import Judge
from codeloop.llm.hf import TransformersModel
from codeloop.rl.trainer import Trainer, load_policy
from codeloop.rl.trainer_config import RLConfig
from codeloop.sandbox.ray_pool import open_sandbox
from codeloop.tasks import load


def evaluate(model: torch.nn.Module, tokenizer: object, label: str, args: argparse.Namespace) -> dict:
    """``codeloop eval`` on each benchmark with the model in memory; its summary and wall time."""
    backend = TransformersModel.from_loaded(model, tokenizer, name=label, max_batch=args.batch)
    model.eval()
    results = {}
    for benchmark in args.benchmarks.split(","):
        spec = RunSpec(benchmark, model=label, turns=3, max_tokens=args.max_tokens, limit=args.limit)
        start = time.perf_counter()
        summary = run_eval(spec, Path(args.out) / f"{label}-{benchmark}", model=backend, jobs=args.batch)
        results[benchmark] = {"single_turn": summary["single_turn_pass@1"], "1@3": summary["final_pass@1"],
                              "tasks": summary["tasks"], "seconds": round(time.perf_counter() - start, 1),
                              "completion_tokens": summary["completion_tokens"]}
        print(label, benchmark, json.dumps(results[benchmark]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="hf:PATH, gguf:PATH or an embedded name (default: default)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--benchmarks", default="humaneval,mbpp", help="evaluated before and after (test splits)")
    parser.add_argument("--limit", type=int, default=None, help="the first N tasks of each benchmark only")
    parser.add_argument("--steps", type=int, default=200, help="PPO steps at most (0: evaluate only)")
    parser.add_argument("--episodes-per-step", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-6)
    parser.add_argument("--max-tokens", type=int, default=512, help="tokens per reply")
    parser.add_argument("--batch", type=int, default=256, help="episodes in flight while evaluating")
    parser.add_argument("--budget", type=float, default=None, help="wall-clock seconds for the whole run")
    parser.add_argument("--save", action=argparse.BooleanOptionalAction, default=True,
                        help="write the trained policy to OUT/rl/checkpoint (default: on)")
    parser.add_argument("--out", default="runs/rlef-at-scale")
    args = parser.parse_args()
    started, out = time.perf_counter(), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.backends.cuda.matmul.allow_tf32 = True
    model, tokenizer = load_policy(args.model, args.device)
    report = {"model": args.model, "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
              "parameters": sum(p.numel() for p in model.parameters()),
              "load_seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(report), flush=True)

    def save() -> None:
        (out / "results.json").write_text(json.dumps(report, indent=1))

    evaluated = time.perf_counter()
    report["before"] = evaluate(model, tokenizer, "before", args)
    eval_seconds = time.perf_counter() - evaluated
    save()
    if args.steps == 0:
        print_table(report, ["before"])
        return
    config = RLConfig(model=args.model, out=str(out / "rl"), steps=args.steps, episodes_per_step=args.episodes_per_step,
                      batch=args.episodes_per_step, max_tokens=args.max_tokens, lr=args.lr, device=args.device,
                      checkpoint_every=args.steps)
    with open_sandbox(None, None) as sandbox:
        trainer = Trainer(config, load("mbpp", split="train"), Judge(sandbox), model, tokenizer)
        history: list[dict] = []
        while trainer.step_index < config.steps:
            left = args.budget - (time.perf_counter() - started) if args.budget else float("inf")
            if history and left < eval_seconds + 1.5 * history[-1]["seconds"]:
                break
            history.append(trainer.step())
            print(json.dumps(history[-1]), flush=True)
        if args.save:
            trainer.save()
    report["rl"] = {"steps": len(history), "episodes_per_step": config.episodes_per_step, "lr": config.lr,
                    "seconds_per_step": round(sum(m["seconds"] for m in history) / max(len(history), 1), 1),
                    "train_final_pass": [round(m["final_pass"], 3) for m in history]}
    save()
    report["after"] = evaluate(trainer.model, tokenizer, "after", args)
    report["seconds"] = round(time.perf_counter() - started, 1)
    save()
    print_table(report, ["before", "after"])
    print(f"{len(history)} PPO steps of {config.episodes_per_step} episodes; {report['seconds'] / 60:.1f} min")


def print_table(report: dict, labels: list[str]) -> None:
    print("| model | " + " | ".join(f"{b} single turn | {b} 1@3" for b in report["before"]) + " |")
    for label in labels:
        print(f"| {label} RL | " + " | ".join(f"{r['single_turn']:.3f} | {r['1@3']:.3f}"
                                           for r in report[label].values()) + " |")


if __name__ == "__main__":
    main()
