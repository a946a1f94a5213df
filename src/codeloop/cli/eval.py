"""``codeloop eval``, ``codeloop report`` and ``codeloop grid``."""

from __future__ import annotations

import argparse
import json

from codeloop.cli.common import (
    BENCHMARKS,
    FEEDBACKS,
    MODEL_HELP,
    STRATEGY_HELP,
    add_jobs,
    add_out,
    add_packages,
    add_progress,
    add_ray,
    command,
    packages,
    requires,
)
from codeloop.eval.run_spec import RunSpec
from codeloop.settings import add_flags, from_args, positive_int


def _add_run_flags(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    add_flags(parser, RunSpec, skip=skip, custom={
        "benchmark": lambda parser, flag, help_text: parser.add_argument(flag, choices=BENCHMARKS, help=help_text),
        "model": lambda parser, flag, help_text: parser.add_argument(flag, help=MODEL_HELP),
        "feedback": lambda parser, flag, help_text: parser.add_argument(flag, choices=FEEDBACKS, help=help_text),
        "strategy": lambda parser, flag, help_text: parser.add_argument(flag, help=STRATEGY_HELP)})
    add_jobs(parser, "episodes in flight")
    add_progress(parser)
    parser.set_defaults(spec_skip=skip)  # the RunSpec settings this command does not take


def register(commands: argparse._SubParsersAction) -> None:
    run = command(commands, "eval", "multi-turn generation with execution feedback on a benchmark")
    _add_run_flags(run)
    run.add_argument("--batch", type=positive_int, metavar="N",
                     help="hf: models only: generate up to N concurrent replies in one batch, with N episodes "
                          "in flight unless --jobs says otherwise (default: one reply at a time)")
    add_ray(run)
    add_packages(run)
    add_out(run, "RUN_DIR", "run directory (default: runs/BENCHMARK-MODEL-tTURNS)")
    run.set_defaults(handler=eval_command)

    report = command(commands, "report", "write RUN_DIR/report.html")
    report.add_argument("run_dir", metavar="RUN_DIR", help="a run directory of codeloop eval")
    report.set_defaults(handler=report_command)

    grid = command(commands, "grid", "strategies x feedback granularities, as a table")
    _add_run_flags(grid, skip=("feedback", "strategy"))
    grid.add_argument("--strategies", default="plain,retry:explain_io,nl_solution+step_by_step",
                      help=f"comma-separated strategies, each {STRATEGY_HELP}")
    grid.add_argument("--feedbacks", default="binary,failed,all",
                      help=f"comma-separated feedback granularities, of {', '.join(FEEDBACKS)}")
    add_out(grid, "DIR", "one run directory per cell goes here (default: runs/grid)")
    grid.set_defaults(handler=grid_command)


def spec_from_args(args: argparse.Namespace) -> RunSpec:
    """The run's settings from --config and the flags; anything wrong with them is a usage error."""
    from codeloop.judge import Granularity
    from codeloop.llm import check_spec
    from codeloop.loop import parse_strategy
    spec = from_args(args, RunSpec, skip=args.spec_skip)
    try:
        if (spec.since or spec.until) and spec.benchmark != "livecodebench":
            raise ValueError("--since/--until filter livecodebench's contest dates only")
        parse_strategy(spec.strategy)  # fail now on an unknown strategy or model
        Granularity(spec.feedback)
        check_spec(spec.model)
    except (ValueError, TypeError) as error:
        args.parser.error(" ".join(str(error).split()))
    return spec


def _print_summary(summary: dict) -> None:
    for key in ("single_turn_pass@1", "final_pass@1"):
        if key in summary:
            print(f"{key}: {summary[key]:.4f}")
    for key, value in summary.items():
        if "@" in key and not key.endswith("pass@1") and "ci95" not in key:
            print(f"{key}: {value:.4f}")
    print(json.dumps(summary))


def eval_command(args: argparse.Namespace) -> int:
    from codeloop.eval.run import run_eval
    spec = spec_from_args(args)
    out = args.out or f"runs/{spec.benchmark}-{spec.model.replace('/', '_').replace(':', '_')}-t{spec.turns}"
    if args.ray is not None:
        requires("ray", "ray")
    model = None
    if args.batch:
        if not spec.model.startswith("hf:"):
            args.parser.error(f"--batch applies to hf: models only, not {spec.model!r}")
        from codeloop.llm import load_model
        model = load_model(spec.model, max_batch=args.batch)
    summary = run_eval(spec, out, model=model, jobs=args.jobs or args.batch, progress=not args.no_progress,
                       ray=args.ray, **packages(args))
    print(f"run stored in {out}/run.sqlite; `codeloop report {out}` writes its page")
    _print_summary(summary)
    return 0


def report_command(args: argparse.Namespace) -> int:
    from codeloop.eval.report import write_report
    path = write_report(args.run_dir)
    print(f"wrote {path}")
    return 0


def grid_command(args: argparse.Namespace) -> int:
    from codeloop.eval.grid import format_table, run_grid
    from codeloop.judge import Granularity
    base = spec_from_args(args)
    strategies = [s for s in args.strategies.split(",") if s]
    feedbacks = [Granularity(f).value for f in args.feedbacks.split(",") if f]
    rows = run_grid(base, strategies, feedbacks, args.out or "runs/grid", jobs=args.jobs,
                    progress=not args.no_progress)
    print(format_table(rows))
    print(json.dumps(rows))
    return 0
