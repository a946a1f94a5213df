"""``codeloop swe solve``: a model works on each instance through the agent-computer interface;
its patches become predictions in swebench's format.

Every step is stored as a turn in a run directory's SQLite store, as ``codeloop eval`` stores its
turns (``codeloop report RUN_DIR`` shows the trajectories): the conversation sent, the reply, the
command (``code``) and the observation (``feedback``). A final turn holds the submitted patch
(``program``) and, unless grading is off, the harness's verdict on it (``hidden_verdict`` OK when
resolved, with the swebench report). Predictions are appended as each instance finishes; a rerun
skips the instances already in the predictions file.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from codeloop.eval.store import RunStore
from codeloop.llm import ChatModel, SamplingParams
from codeloop.loop import Episode, Turn
from codeloop.sandbox import Verdict
from codeloop.swe.agent import dialogue
from codeloop.swe.agent.aci import Workspace
from codeloop.swe.harness import environments
from codeloop.swe.harness.instances import Instance, Prediction
from codeloop.swe.harness.runner import EvalSettings, checkout, evaluate_instance


@dataclass(frozen=True)
class SolveSettings:
    predictions: Path
    run_dir: Path
    eval: EvalSettings               # repos, cache, limits; its ``out`` holds the grading logs
    steps: int = 30
    params: SamplingParams = field(default_factory=lambda: SamplingParams(max_tokens=384))
    assets: Path | None = None
    images: bool | None = None       # None: as the backend says (``accepts_images``)
    grade: bool = True


def done_ids(predictions: Path) -> set[str]:
    if not predictions.exists():
        return set()
    return {json.loads(line)["instance_id"] for line in predictions.read_text().splitlines() if line.strip()}


def solve_instances(instances: list[Instance], model: ChatModel, model_spec: str, settings: SolveSettings,
                    on_done: Callable[[Instance, Turn], None] | None = None) -> list[dict]:
    """Solve what is not solved yet; the predictions written now."""
    written = []
    skip = done_ids(settings.predictions)
    settings.predictions.parent.mkdir(parents=True, exist_ok=True)
    with RunStore(settings.run_dir) as store:
        store.bind_config({"benchmark": "swe", "model": model_spec, "turns": settings.steps, "strategy": "aci",
                           "temperature": settings.params.temperature, "max_tokens": settings.params.max_tokens})
        stored = [episode.task_id for episode in store.episodes()]  # unfinished attempts keep their numbers
        for instance in instances:
            if instance.instance_id in skip:
                continue
            sample = stored.count(instance.instance_id)
            patch, turns = _solve_one(instance, model, settings, functools.partial(
                store.add_turn, instance.instance_id, sample))
            final = Turn(turn=len(turns) + 1, messages=[], reply="", code="submit", program=patch,
                         feedback="submitted")
            if settings.grade:
                result = evaluate_instance(instance, Prediction(instance.instance_id, model.name, patch),
                                           replace(settings.eval, run_id=settings.run_dir.name or "solve"))
                final.hidden_verdict = Verdict.OK if result.status == "resolved" else Verdict.WA
                final.hidden = {"status": result.status, "report": result.report}
            store.add_turn(instance.instance_id, sample, final)
            store.finish_episode(Episode(instance.instance_id, sample, [*turns, final]))
            row = {"instance_id": instance.instance_id, "model_name_or_path": model.name, "model_patch": patch}
            with settings.predictions.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            written.append(row)
            if on_done:
                on_done(instance, final)
    return written


def _solve_one(instance: Instance, model: ChatModel, settings: SolveSettings,
               on_turn: Callable[[Turn], None]) -> tuple[str, list[Turn]]:
    with tempfile.TemporaryDirectory(prefix="codeloop-swe-solve-") as scratch:
        tree = Path(scratch) / "testbed"
        checkout(instance, settings.eval.repos, tree)
        env = environments.prepare(instance, tree, settings.eval.cache, settings.eval.limits)
        workspace = Workspace(tree, env.isolation)
        return dialogue.solve(instance, model, workspace, settings.steps, settings.params, settings.assets,
                           settings.images, on_turn)
