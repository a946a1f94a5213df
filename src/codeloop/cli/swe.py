"""``codeloop swe evaluate | solve | fixtures``: SWE-bench-format repository tasks without Docker
(``codeloop.swe``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codeloop.cli.common import MODEL_HELP, add_jobs, add_out, add_progress, command
from codeloop.settings import positive_float, positive_int

GRADERS = ("auto", "swebench", "codeloop")


def register(commands: argparse._SubParsersAction) -> None:
    swe = command(commands, "swe", "SWE-bench-format repository tasks: grade predictions, solve with a model")
    actions = swe.add_subparsers(dest="action", required=True, metavar="ACTION")

    evaluate = command(actions, "evaluate", "grade predictions as the official harness does, in codeloop's isolation")
    evaluate.add_argument("instances", metavar="INSTANCES", help="instances (.json list or .jsonl), SWE-bench fields")
    evaluate.add_argument("predictions", metavar="PREDICTIONS",
                          help="predictions (.json or .jsonl): instance_id, model_name_or_path, model_patch")
    _repo_flags(evaluate)
    add_out(evaluate, "DIR", "where logs and reports go: DIR/RUN_ID/MODEL/INSTANCE/ and DIR/MODEL.RUN_ID.json",
            required=True)
    evaluate.add_argument("--run-id", default="codeloop", help="the run's name in the paths (default: codeloop)")
    evaluate.add_argument("--rerun", type=int, default=0, metavar="N",
                          help="run the tests N more times and list tests whose status changes as flaky (default: 0)")
    evaluate.add_argument("--grader", choices=GRADERS, default="auto",
                          help="swebench (the swe extra's own parsers and grading), codeloop (its reimplementation) "
                               "or auto: swebench when installed (default)")
    add_jobs(evaluate, "instances evaluated at once", default="1")
    add_progress(evaluate)
    evaluate.set_defaults(handler=evaluate_command)

    solve = command(actions, "solve", "a model fixes each instance through the agent-computer interface")
    solve.add_argument("instances", metavar="INSTANCES", help="instances (.json list or .jsonl), SWE-bench fields")
    solve.add_argument("--model", default="default", help=MODEL_HELP)
    _repo_flags(solve)
    add_out(solve, "PREDICTIONS.jsonl", "the predictions, appended as instances finish (a rerun skips those done)",
            required=True)
    solve.add_argument("--run-dir", metavar="DIR",
                       help="where trajectories are stored for `codeloop report` (default: PREDICTIONS.run)")
    solve.add_argument("--steps", type=positive_int, default=30, metavar="N",
                       help="commands per instance (default: 30)")
    solve.add_argument("--max-tokens", type=positive_int, default=384, metavar="N",
                       help="tokens per reply (default: 384)")
    solve.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (default: 0, greedy)")
    solve.add_argument("--assets", metavar="DIR", help="local copies of image_assets, by file name (multimodal)")
    solve.add_argument("--no-images", action="store_true",
                       help="give images as alt text even to a backend that accepts images")
    solve.add_argument("--no-grade", action="store_true", help="do not grade each submitted patch")
    solve.add_argument("--instance-id", action="append", default=[], metavar="ID",
                       help="only this instance (repeatable; default: all)")
    add_progress(solve)
    solve.set_defaults(handler=solve_command)

    fixtures = command(actions, "fixtures", "build the four fixture repositories, their instances and predictions")
    add_out(fixtures, "DIR", "where: DIR/repos, DIR/instances.jsonl, DIR/predictions/{gold,empty,breaking}.jsonl",
            required=True)
    fixtures.add_argument("--no-image", action="store_true",
                          help="leave out the repository whose tests run in a Debian OCI image (building it needs "
                               "root, mmdebstrap and Debian's mirror)")
    fixtures.set_defaults(handler=fixtures_command)


def _repo_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repos", required=True, metavar="DIR", help="local git mirrors, DIR/owner__name")
    parser.add_argument("--cache", metavar="DIR", help="environments cache (default: ~/.cache/codeloop/swe)")
    parser.add_argument("--timeout", type=positive_float, default=1800.0, metavar="S",
                        help="seconds for an instance's tests (default: 1800)")
    parser.add_argument("--memory-mb", type=positive_int, default=4096, metavar="N",
                        help="memory for an instance's tests (default: 4096)")


def _settings(args: argparse.Namespace, out: Path, run_id: str = "codeloop"):
    from codeloop.swe.harness import environments
    from codeloop.swe.harness.bwrap import Isolation
    from codeloop.swe.harness.runner import EvalSettings
    repos = Path(args.repos)
    if not repos.is_dir():
        raise FileNotFoundError(f"{repos}: no such folder (--repos: the git mirrors, DIR/owner__name)")
    return EvalSettings(repos=repos, out=out, run_id=run_id,
                        cache=Path(args.cache) if args.cache else environments.default_cache(),
                        limits=Isolation(timeout_s=args.timeout, memory_mb=args.memory_mb),
                        rerun=getattr(args, "rerun", 0), grader=getattr(args, "grader", "auto"))


def evaluate_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from codeloop.swe.harness.instances import load_instances, load_predictions
    from codeloop.swe.harness.runner import evaluate
    if args.rerun < 0:
        args.parser.error(f"--rerun: expected an integer >= 0, got {args.rerun}")
    instances, predictions = load_instances(args.instances), load_predictions(args.predictions)
    settings = _settings(args, Path(args.out), args.run_id)
    with tqdm(total=len(predictions), desc="swe evaluate", unit="instance", disable=args.no_progress,
              file=sys.stderr) as bar:
        def done(result) -> None:
            bar.update()
            bar.write(f"{result.instance_id}: {result.status}" + (f" ({result.message})" if result.message else "")
                      + f" [{result.env_kind or '-'} env {'cached' if result.env_cached else 'built'}"
                      f" {result.env_seconds:.1f}s, tests {result.test_seconds:.1f}s]", file=sys.stderr)
        _, report = evaluate(instances, predictions, settings, jobs=args.jobs or 1, on_result=done)
    print(json.dumps({key: report[key] for key in (
        "total_instances", "submitted_instances", "completed_instances", "resolved_instances", "unresolved_instances",
        "patch_failed_instances", "empty_patch_instances", "error_instances", "grader")}))
    return 0


def solve_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from codeloop.llm import SamplingParams, check_spec, load_model
    from codeloop.swe.agent.solve import SolveSettings, solve_instances
    from codeloop.swe.harness.instances import load_instances
    check_spec(args.model)
    instances = load_instances(args.instances)
    if args.instance_id:
        unknown = sorted(set(args.instance_id) - {i.instance_id for i in instances})
        if unknown:
            raise ValueError(f"{args.instances}: no instance {unknown[0]!r}")
        instances = [i for i in instances if i.instance_id in args.instance_id]
    out = Path(args.out)
    run_dir = Path(args.run_dir) if args.run_dir else out.with_name(out.name + ".run")
    assets = Path(args.assets) if args.assets else None
    if assets is not None and not assets.is_dir():
        raise FileNotFoundError(f"{assets}: no such folder (--assets)")
    settings = SolveSettings(predictions=out, run_dir=run_dir, eval=_settings(args, run_dir / "eval"),
                             steps=args.steps, params=SamplingParams(temperature=args.temperature,
                                                                     max_tokens=args.max_tokens),
                             assets=assets, images=False if args.no_images else None, grade=not args.no_grade)
    model = load_model(args.model)
    resolved = 0
    with tqdm(total=len(instances), desc="swe solve", unit="instance", disable=args.no_progress,
              file=sys.stderr) as bar:
        def done(instance, final) -> None:
            nonlocal resolved
            resolved += final.hidden.get("status") == "resolved"
            bar.update()
            bar.write(f"{instance.instance_id}: {final.hidden.get('status', 'submitted')}", file=sys.stderr)
        written = solve_instances(instances, model, args.model, settings, on_done=done)
    print(json.dumps({"solved_now": len(written), "resolved_now": resolved if settings.grade else None,
                      "predictions": str(out), "run_dir": str(run_dir)}))
    return 0


def fixtures_command(args: argparse.Namespace) -> int:
    from codeloop.swe.harness.fixtures import build_fixtures
    fixtures = build_fixtures(args.out, with_image=not args.no_image)
    print(json.dumps({"instances": str(fixtures.instances), "repos": str(fixtures.repos),
                      "assets": str(fixtures.assets),
                      "predictions": {kind: str(path) for kind, path in fixtures.predictions.items()}}))
    return 0
