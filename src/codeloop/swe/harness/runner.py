"""``codeloop swe evaluate``: predictions graded as the official SWE-bench harness grades them,
without Docker.

Per prediction: a checkout of ``base_commit`` from the local mirror ``REPOS/owner__name``; the
instance's environment (``environments``), built from that pristine checkout; the model patch
applied, inside the isolation, with the official harness's chain (``git apply --verbose``,
``--3way``, ``--reject``, then ``patch --batch --forward --fuzz=5 -p1``; a patch already applied
counts); its eval script run at ``/testbed`` in the isolation (``bwrap``); the log graded
(``grading``). Files as swebench writes them, under ``OUT/RUN_ID/MODEL/INSTANCE/``:
``patch.diff``, ``eval.sh``, ``test_output.txt``, ``report.json``. A finished instance is reused
when the run is repeated (one that ended in an error is run again). ``rerun`` runs the eval
script again and lists tests whose status changed as ``flaky_tests`` in the report.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from codeloop.swe.harness import environments, grading
from codeloop.swe.harness.bwrap import Isolation, run
from codeloop.swe.harness.instances import Instance, Prediction, eval_script

# swebench's chain: each command in turn, the tree restored after a failed one (--reject leaves a
# partial state), then a reverse check: a patch that is already applied counts as applied
APPLY_SCRIPT = """
for command in "git apply --verbose" "git apply --verbose --3way" "git apply --verbose --reject" \\
               "patch --batch --forward --fuzz=5 -p1 -i"; do
    echo "+ $command /patch.diff"
    $command /patch.diff 2>&1 && exit 0
    git checkout -- . 2>/dev/null; git clean -fdq 2>/dev/null
done
git apply --check --reverse /patch.diff 2>/dev/null && echo "already applied" && exit 0
exit 1
"""
STATUSES = ("resolved", "unresolved", "patch_failed", "error")


@dataclass(frozen=True)
class EvalSettings:
    repos: Path
    out: Path
    run_id: str = "codeloop"
    cache: Path = field(default_factory=environments.default_cache)
    limits: Isolation = field(default_factory=Isolation)
    rerun: int = 0
    grader: str = "auto"


@dataclass
class InstanceResult:
    instance_id: str
    status: str              # one of STATUSES
    report: dict
    env_kind: str = ""
    env_cached: bool = True
    env_seconds: float = 0.0
    test_seconds: float = 0.0
    seconds: float = 0.0
    message: str = ""
    reused: bool = False


def checkout(instance: Instance, repos: Path, dest: Path) -> None:
    """A private clone of the mirror at ``base_commit`` (objects copied: the tests may write there)."""
    mirror = repos / instance.mirror_name
    if not (mirror / ".git").exists() and not (mirror / "HEAD").exists():
        raise FileNotFoundError(f"{mirror}: no git mirror of {instance.repo} (expected --repos DIR/owner__name)")
    result = subprocess.run(["git", "clone", "-q", "--no-hardlinks", "--no-checkout", str(mirror), str(dest)],
                            capture_output=True, text=True)
    if result.returncode == 0:  # no code of the repository has run yet: git on the host is safe
        result = subprocess.run(["git", "-c", "advice.detachedHead=false", "checkout", "-q", instance.base_commit],
                                cwd=dest, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{instance.instance_id}: checkout of {instance.base_commit[:12]} failed: "
                           f"{result.stderr.strip().splitlines()[-1:] or ''}")


def apply_patch(tree: Path, patch_file: Path) -> tuple[bool, str]:
    """(applied, log) with the official harness's chain of apply commands, run in the isolation:
    a patch is untrusted input, and the host never runs git or patch on it."""
    isolation = Isolation(extra_binds=((str(patch_file), "/patch.diff"),), timeout_s=300)
    outcome = run(["/bin/bash", "-c", APPLY_SCRIPT], tree, isolation)
    return outcome.exit_code == 0, outcome.output


def _run_dir(settings: EvalSettings, prediction: Prediction) -> Path:
    return settings.out / settings.run_id / prediction.model_name_or_path.replace("/", "__") / prediction.instance_id


def _finish(directory: Path, result: InstanceResult) -> InstanceResult:
    (directory / "report.json").write_text(json.dumps(result.report, indent=4))
    (directory / "result.json").write_text(json.dumps(result.__dict__, indent=1))
    return result


def evaluate_instance(instance: Instance, prediction: Prediction, settings: EvalSettings) -> InstanceResult:
    directory = _run_dir(settings, prediction)
    if (directory / "result.json").exists():  # finished before: reused, unless it was an error (retried)
        result = InstanceResult(**json.loads((directory / "result.json").read_text()))
        if result.status != "error":
            result.reused = True
            return result
    directory.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    result = InstanceResult(instance.instance_id, "error", {instance.instance_id: {}})
    with tempfile.TemporaryDirectory(prefix="codeloop-swe-") as scratch:
        tree = Path(scratch) / "testbed"
        try:
            checkout(instance, settings.repos, tree)
        except (OSError, RuntimeError) as error:
            result.message = str(error)
            return _finish(directory, result)
        try:  # from the pristine checkout: the model's patch never reaches the install steps
            env = environments.prepare(instance, tree, settings.cache, settings.limits)
        except (OSError, RuntimeError) as error:
            result.message = f"environment: {error}"
            return _finish(directory, result)
        result.env_kind, result.env_cached, result.env_seconds = env.kind, env.cached, env.seconds
        patch_file = directory / "patch.diff"
        patch_file.write_text(prediction.model_patch or "")
        if prediction.model_patch:
            applied, apply_log = apply_patch(tree, patch_file.resolve())
            (directory / "patch_apply.log").write_text(apply_log)
            if not applied:
                result.status, result.message = "patch_failed", ">>>>> Patch Apply Failed"
                result.report = {instance.instance_id: {"patch_is_None": False, "patch_exists": True,
                                                        "patch_successfully_applied": False, "resolved": False}}
                result.seconds = time.monotonic() - start
                return _finish(directory, result)
        script = directory / "eval.sh"
        script.write_text(eval_script(instance))
        binds = (*env.isolation.extra_binds, (str(script.resolve()), "/eval.sh"))
        isolation = replace(env.isolation, extra_binds=binds)
        runs = []
        for _ in range(1 + settings.rerun):
            outcome = run(["/bin/bash", "/eval.sh"], tree, isolation)
            runs.append(outcome)
            result.test_seconds += outcome.seconds
        first = runs[0]
        log_path = directory / "test_output.txt"
        text = first.output
        if first.truncated:
            text += f"\n[codeloop: output cut at {settings.limits.output_bytes} bytes]\n"
        if first.timed_out:
            text += f"\n\nTimeout error: {settings.limits.timeout_s:g} seconds exceeded.\n>>>>> Tests Timed Out\n"
        log_path.write_text(text)
        for index, outcome in enumerate(runs[1:], 1):
            (directory / f"test_output.rerun{index}.txt").write_text(outcome.output)
        report, used = grading.grade(instance, prediction, str(log_path), settings.grader)
        entry = report[instance.instance_id]
        entry["grader"] = used
        if settings.rerun:
            entry["flaky_tests"] = flaky_tests(instance, runs)
        result.report = report
        if first.timed_out or first.oom_killed:
            result.status = "error"
            result.message = "tests timed out" if first.timed_out else "tests ran out of memory"
        else:
            result.status = "resolved" if entry.get("resolved") else "unresolved"
    result.seconds = time.monotonic() - start
    return _finish(directory, result)


def flaky_tests(instance: Instance, runs: list) -> list[str]:
    """Tests whose parsed status differs between runs of the same eval script."""
    if instance.log_parser not in grading.PARSERS:
        from swebench.harness.log_parsers import PARSER_REGISTRY  # the swe extra: any named parser
        parse = lambda text: PARSER_REGISTRY[instance.log_parser](text, None)  # noqa: E731
    else:
        parse = grading.PARSERS[instance.log_parser]
    maps = [parse(outcome.output) for outcome in runs]
    names = set().union(*maps)
    return sorted(name for name in names if len({m.get(name) for m in maps}) > 1)


def summary(instances: list[Instance], predictions: list[Prediction], results: list[InstanceResult],
            grader: str) -> dict:
    """The run report in swebench's ``make_run_report`` layout, with codeloop's patch-failed count."""
    by_status = {status: sorted(r.instance_id for r in results if r.status == status) for status in STATUSES}
    empty = sorted(p.instance_id for p in predictions if not p.model_patch)
    completed = sorted(r.instance_id for r in results if r.status in ("resolved", "unresolved"))
    submitted = sorted(p.instance_id for p in predictions)
    return {
        "total_instances": len(instances), "submitted_instances": len(predictions),
        "completed_instances": len(completed), "resolved_instances": len(by_status["resolved"]),
        "unresolved_instances": len(by_status["unresolved"]), "patch_failed_instances": len(by_status["patch_failed"]),
        "empty_patch_instances": len(empty), "error_instances": len(by_status["error"]),
        "completed_ids": completed, "incomplete_ids": sorted(set(i.instance_id for i in instances) - set(submitted)),
        "empty_patch_ids": empty, "submitted_ids": submitted, "resolved_ids": by_status["resolved"],
        "unresolved_ids": by_status["unresolved"], "patch_failed_ids": by_status["patch_failed"],
        "error_ids": by_status["error"], "grader": grader, "schema_version": 2}


def evaluate(instances: list[Instance], predictions: list[Prediction], settings: EvalSettings, jobs: int = 1,
             on_result: Callable[[InstanceResult], None] | None = None) -> tuple[list[InstanceResult], dict]:
    """Grade every prediction whose instance is known; (results in prediction order, run summary)."""
    by_id = {instance.instance_id: instance for instance in instances}
    unknown = [p.instance_id for p in predictions if p.instance_id not in by_id]
    if unknown:
        raise ValueError(f"predictions name instances not in the instance file: {', '.join(unknown[:3])}")

    def one(prediction: Prediction) -> InstanceResult:
        result = evaluate_instance(by_id[prediction.instance_id], prediction, settings)
        if on_result:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, predictions))
    grader = "swebench" if settings.grader == "swebench" or (
        settings.grader == "auto" and grading.swebench_available()) else "codeloop"
    report = summary(instances, predictions, results, grader)
    settings.out.mkdir(parents=True, exist_ok=True)
    models = sorted({p.model_name_or_path.replace("/", "__") for p in predictions}) or ["none"]
    (settings.out / f"{models[0]}.{settings.run_id}.json").write_text(json.dumps(report, indent=4))
    return results, report
