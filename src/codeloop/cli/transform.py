"""``codeloop transform synthesize | apply | bench``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codeloop.transforms.spec import load_spec, load_specs
from codeloop.transforms.synthesize import Budgets


def register(commands: argparse._SubParsersAction) -> None:
    transform = commands.add_parser("transform", help="synthesize code transforms from examples and apply them")
    actions = transform.add_subparsers(dest="action", required=True)

    synth = actions.add_parser("synthesize", help="write a transform module from a spec folder's examples")
    synth.add_argument("spec", metavar="SPEC_DIR")
    synth.add_argument("--model", default="default")
    synth.add_argument("-o", "--output", required=True, metavar="T.py")
    synth.add_argument("--attempts", type=int, default=Budgets.attempts, help="transform modules to try")
    synth.add_argument("--describe-rounds", type=int, default=Budgets.describe_rounds)
    synth.set_defaults(handler=synthesize_command)

    apply = actions.add_parser("apply", help="apply a transform module to Python files, in parallel")
    apply.add_argument("module", metavar="T.py")
    apply.add_argument("paths", nargs="+", metavar="PATH")
    apply.add_argument("--diff", action="store_true", help="dry run: print unified diffs, write nothing")
    apply.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    apply.add_argument("--jobs", type=int, default=None)
    apply.set_defaults(handler=apply_command)

    bench = actions.add_parser("bench", help="synthesized transforms vs direct rewriting on held-out pairs")
    bench.add_argument("--model", default="default")
    bench.add_argument("--specs", help="folder of spec folders (default: the bundled benchmark)")
    bench.add_argument("--only", help="comma-separated spec names")
    bench.add_argument("--attempts", type=int, default=Budgets.attempts)
    bench.add_argument("--out", default="runs/transform-bench", help="where modules and attempt logs go")
    bench.set_defaults(handler=bench_command)


def _budgets(args: argparse.Namespace) -> Budgets:
    if args.attempts < 1 or getattr(args, "describe_rounds", 1) < 1:
        raise ValueError("--attempts and --describe-rounds must be >= 1")
    return Budgets(describe_rounds=getattr(args, "describe_rounds", Budgets.describe_rounds), attempts=args.attempts)


def synthesize_command(args: argparse.Namespace) -> int:
    from codeloop.llm import load_model
    from codeloop.sandbox import Sandbox
    from codeloop.transforms.synthesize import synthesize
    spec = load_spec(args.spec)
    budgets = _budgets(args)
    model = load_model(args.model)
    with Sandbox() as sandbox:
        result = synthesize(spec, model, sandbox, budgets)
    output = Path(args.output)
    log = output.with_name(output.name + ".log.jsonl")
    log.write_text("\n".join(result.log_lines()) + "\n")
    if result.module is None:
        print(f"no transform module came out of {budgets.attempts} attempts; the log is in {log}")
        return 1
    output.write_text(result.module)
    best = max((a.passed for a in result.attempts if a.stage == "transform"), default=0)
    print(f"wrote {output}: {best}/{len(spec.train)} training pairs reproduced"
          f"{'' if result.solved else ' (not all: review before applying)'}; attempts logged in {log}")
    return 0 if result.solved else 1


def apply_command(args: argparse.Namespace) -> int:
    from codeloop.transforms.apply import apply_transform
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
    dry = args.diff or args.check
    report = apply_transform(args.module, args.paths, write=not dry, diff=args.diff, jobs=args.jobs)
    for result in report.changed:
        if args.diff:
            print(result.diff, end="")
        else:
            print(f"{'would change' if args.check else 'changed'}: {result.path}")
    for result in report.not_idempotent:
        print(f"not idempotent (a second pass changes it again): {result.path}")
    print(f"{len(report.changed)} changed, {len(report.results) - len(report.changed) - len(report.failures)} "
          f"unchanged, {len(report.failures)} failed, {len(report.not_idempotent)} not idempotent"
          f"{' (dry run: nothing written)' if dry else ''}")
    for result in report.failures:
        print(f"failed: {result.path}: {result.error}")
    if report.failures:
        return 1
    return 1 if args.check and report.changed else 0


def bench_command(args: argparse.Namespace) -> int:
    from codeloop.llm import load_model
    from codeloop.transforms.bench import format_table, run_bench, total
    specs = load_specs(args.specs)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {s.name for s in specs}
        if unknown:
            raise ValueError(f"--only: unknown spec(s) {', '.join(sorted(unknown))}")
        specs = [s for s in specs if s.name in wanted]
    rows = run_bench(specs, load_model(args.model), _budgets(args), Path(args.out))
    print(format_table(rows))
    print(json.dumps({method: {mode: total(rows, method, mode).as_dict() for mode in ("exact", "ast")}
                      for method in ("synthesized", "direct")}))
    return 0
