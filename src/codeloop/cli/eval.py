"""``codeloop eval``, ``codeloop report`` and ``codeloop grid``."""

from __future__ import annotations

import argparse
import json
import tomllib
from dataclasses import fields
from pathlib import Path

from codeloop.eval.run import RunSpec, run_eval
from codeloop.judge import Granularity
from codeloop.loop import parse_strategy
from codeloop.tasks import LOADERS


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--benchmark", choices=sorted(LOADERS))
    parser.add_argument("--model", help="default | gguf:PATH | openai:URL#MODEL | hf:PATH (default: default)")
    parser.add_argument("--turns", type=int)
    parser.add_argument("--samples", type=int, help="episodes per task")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--top-p", type=float, dest="top_p")
    parser.add_argument("--max-tokens", type=int, dest="max_tokens")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--retry-temperature", type=float, dest="retry_temperature",
                        help="sample turns 2.. at this temperature (default: as turn 1)")
    parser.add_argument("--limit", type=int, help="first K tasks only")
    parser.add_argument("--split")
    parser.add_argument("--data-path", dest="data_path")
    parser.add_argument("--time-limit", type=float, dest="time_limit", help="CPU seconds per test")
    parser.add_argument("--config", help="a TOML file with any of these settings (flags override it)")
    parser.add_argument("--jobs", type=int, help="episodes in flight (default: max(2, cores))")
    parser.add_argument("--no-progress", action="store_true")


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("eval", help="multi-turn generation with execution feedback on a benchmark")
    _add_run_flags(run)
    run.add_argument("--feedback", choices=[g.value for g in Granularity])
    run.add_argument("--strategy", help="plain | REASONING[+INSTRUCTION] | retry:REASONING (see docs)")
    run.add_argument("--out", metavar="RUN_DIR", help="run directory (default: runs/BENCHMARK-MODEL-...)")
    run.set_defaults(handler=eval_command)

    report = commands.add_parser("report", help="write RUN_DIR/report.html")
    report.add_argument("run_dir", metavar="RUN_DIR")
    report.set_defaults(handler=report_command)

    grid = commands.add_parser("grid", help="strategies x feedback granularities, as a table")
    _add_run_flags(grid)
    grid.add_argument("--strategies", default="plain,retry:explain_io,nl_solution+step_by_step")
    grid.add_argument("--feedbacks", default="binary,failed,all")
    grid.add_argument("--out", metavar="DIR", default="runs/grid")
    grid.set_defaults(handler=grid_command)


def spec_from_args(args: argparse.Namespace) -> RunSpec:
    settings: dict = {}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such config file")
        try:
            settings = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: not valid TOML ({error})") from None
        known = {f.name for f in fields(RunSpec)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"{path}: unknown setting(s) {', '.join(unknown)}; "
                             f"expected some of {', '.join(sorted(known))}")
    for name in (f.name for f in fields(RunSpec)):
        value = getattr(args, name, None)
        if value is not None:
            settings[name] = value
    if "benchmark" not in settings:
        raise ValueError("--benchmark is required (on the command line or in --config)")
    spec = RunSpec(**settings)
    parse_strategy(spec.strategy)  # fail now on an unknown strategy
    Granularity(spec.feedback)
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
    spec = spec_from_args(args)
    out = args.out or f"runs/{spec.benchmark}-{spec.model.replace('/', '_').replace(':', '_')}-t{spec.turns}"
    summary = run_eval(spec, out, jobs=args.jobs, progress=not args.no_progress)
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
    base = spec_from_args(args)
    strategies = [s for s in args.strategies.split(",") if s]
    feedbacks = [Granularity(f).value for f in args.feedbacks.split(",") if f]
    rows = run_grid(base, strategies, feedbacks, args.out, jobs=args.jobs, progress=not args.no_progress)
    print(format_table(rows))
    print(json.dumps(rows))
    return 0
