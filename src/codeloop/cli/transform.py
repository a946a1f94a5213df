"""``codeloop transform synthesize | apply | compare``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from codeloop.cli.common import MODEL_HELP, add_jobs, add_out, add_progress, command, requires
from codeloop.settings import positive_int

if TYPE_CHECKING:
    from codeloop.transforms.synthesize import Budgets

ATTEMPTS, DESCRIBE_ROUNDS = 4, 2  # codeloop.transforms.synthesize.Budgets' defaults
METHODS = ("rules", "model", "module", "auto")  # codeloop.transforms.methods.METHODS
COMPARE_METHODS = (*METHODS, "direct")              # codeloop.transforms.compare.COMPARE_METHODS


def register(commands: argparse._SubParsersAction) -> None:
    transform = command(commands, "transform", "synthesize code transforms from examples and apply them")
    actions = transform.add_subparsers(dest="action", required=True, metavar="ACTION")

    synth = command(actions, "synthesize", "write a transform module from a spec folder's examples")
    synth.add_argument("spec", metavar="SPEC_DIR", help="spec.toml, train/ and test/ pairs")
    synth.add_argument("--method", choices=METHODS, default="auto",
                       help="rules: anti-unification, no model | model: rules written by the model | module: a "
                            "Python module written by the model | auto: rules, then model, then module (default)")
    synth.add_argument("--model", default="default", help=MODEL_HELP)
    add_out(synth, "T.py", "the transform module (its attempts go to T.py.log.jsonl)", required=True)
    synth.add_argument("--attempts", type=positive_int, default=ATTEMPTS,
                       help=f"transform modules to try (default: {ATTEMPTS})")
    synth.add_argument("--describe-rounds", type=positive_int, default=DESCRIBE_ROUNDS,
                       help=f"description, then refinements (default: {DESCRIBE_ROUNDS})")
    synth.set_defaults(handler=synthesize_command)

    apply = command(actions, "apply", "apply a transform module to Python files, in parallel")
    apply.add_argument("module", metavar="T.py", help="a transform module")
    apply.add_argument("paths", nargs="+", metavar="PATH", help="files or folders of .py files")
    apply.add_argument("--diff", action="store_true", help="dry run: print unified diffs, write nothing")
    apply.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    add_jobs(apply, "processes")
    add_progress(apply)
    apply.set_defaults(handler=apply_command)

    compare = command(actions, "compare", "every synthesis method and direct rewriting, on held-out pairs")
    compare.add_argument("--methods", default=",".join(COMPARE_METHODS),
                       help=f"comma-separated, of {', '.join(COMPARE_METHODS)} (default: all)")
    compare.add_argument("--model", default="default", help=MODEL_HELP)
    compare.add_argument("--specs", help="folder of spec folders (default: the 25 bundled specs)")
    compare.add_argument("--only", help="comma-separated spec names")
    compare.add_argument("--attempts", type=positive_int, default=ATTEMPTS,
                       help=f"rule sets or transform modules the model may write per spec (default: {ATTEMPTS})")
    add_out(compare, "DIR", "where transforms and attempt logs go (default: runs/transform-compare)")
    add_progress(compare)
    compare.set_defaults(handler=compare_command)


def _budgets(args: argparse.Namespace) -> Budgets:
    from codeloop.transforms.synthesize import Budgets
    return Budgets(describe_rounds=getattr(args, "describe_rounds", DESCRIBE_ROUNDS), attempts=args.attempts)


def synthesize_command(args: argparse.Namespace) -> int:
    from codeloop.sandbox import Sandbox
    from codeloop.transforms.spec import load_spec
    requires("transforms", "ast_grep_py")
    spec = load_spec(args.spec)
    model = None
    if args.method != "rules":
        from codeloop.llm import load_model
        model = load_model(args.model)
    from codeloop.transforms.methods import synthesize_with
    with Sandbox() as sandbox:
        outcome = synthesize_with(spec, args.method, model, sandbox, _budgets(args))
    output = Path(args.out)
    output.parent.mkdir(parents=True, exist_ok=True)
    log = output.with_name(output.name + ".log.jsonl")
    log.write_text("\n".join(outcome.log) + "\n")
    if outcome.module is None:
        print(f"no transform came out ({outcome.stage}); the log is in {log}")
        return 1
    output.write_text(outcome.module)
    print(f"wrote {output} ({outcome.stage}{f', {len(outcome.rules)} rules' if outcome.rules else ''}): "
          f"{'every training pair reproduced' if outcome.solved else 'NOT every training pair reproduced: review'}; "
          f"{outcome.model_calls} model calls; log in {log}")
    rules_log = json.loads(outcome.log[0]) if outcome.log and outcome.stage != "module" else {}
    for line in rules_log.get("problems", [])[:5] if not outcome.solved else []:
        print(f"  {line.splitlines()[0]}")
    return 0 if outcome.solved else 1


def apply_command(args: argparse.Namespace) -> int:
    from codeloop.transforms.apply import apply_transform
    dry = args.diff or args.check
    report = apply_transform(args.module, args.paths, write=not dry, diff=args.diff, jobs=args.jobs,
                             progress=not args.no_progress)
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


def compare_command(args: argparse.Namespace) -> int:
    from codeloop.transforms.spec import load_specs
    requires("transforms", "ast_grep_py")
    methods = tuple(m for m in args.methods.split(",") if m)
    unknown = sorted(set(methods) - set(COMPARE_METHODS))
    if unknown or not methods:
        args.parser.error(f"--methods: unknown {', '.join(unknown) or '(none given)'}; expected some of "
                          f"{', '.join(COMPARE_METHODS)}")
    specs = load_specs(args.specs)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {s.name for s in specs}
        if unknown:
            args.parser.error(f"--only: unknown spec(s) {', '.join(sorted(unknown))}")
        specs = [s for s in specs if s.name in wanted]
    model = None
    if set(methods) - {"rules"}:
        from codeloop.llm import load_model
        model = load_model(args.model)
    from codeloop.transforms.compare import format_table, run_compare
    rows = run_compare(specs, methods, model, _budgets(args), Path(args.out or "runs/transform-compare"),
                     progress=not args.no_progress)
    print(format_table(rows, methods))
    print(json.dumps({row.name: {m: r.as_dict() for m, r in row.results.items()} for row in rows}))
    return 0
