"""``codeloop eval``: tasks x samples x turns, generation and execution overlapped, resumable."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from codeloop.eval.run_spec import RunSpec
from codeloop.eval.store import RunStore
from codeloop.eval.summary import summarize_run
from codeloop.judge import Judge
from codeloop.llm import ChatModel, load_model
from codeloop.loop import run_episode
from codeloop.sandbox.ray_pool import open_sandbox
from codeloop.tasks import Task


def run_eval(spec: RunSpec, run_dir: str | Path, model: ChatModel | None = None, jobs: int | None = None,
             progress: bool = True, ray: str | None = None, python_env: str | None = None,
             preload: Sequence[str] = ()) -> dict[str, float]:
    """Run (or resume) ``spec`` into ``run_dir``; returns the summary of every stored episode.
    ``ray``: judge on a Ray cluster (an address, or "local"); ``python_env``, ``preload``: the
    packages programs may import (``Sandbox``'s)."""
    config = spec.loop_config()
    tasks = spec.tasks()
    with RunStore(run_dir) as store:
        store.bind_config(spec.stored())
        finished = store.finished()
        pending = [(task, sample) for task in tasks for sample in range(spec.samples)
                   if (task.id, sample) not in finished]
        if pending:
            model = model or load_model(spec.model)
            jobs = jobs or max(2, os.cpu_count() or 1)
            with open_sandbox(None, ray, python_env, preload) as sandbox, ThreadPoolExecutor(jobs) as pool:
                judge = Judge(sandbox)

                def episode(task: Task, sample: int) -> None:
                    done = store.turns_of(task.id, sample)
                    result = run_episode(task, model, judge, config, sample, done,
                                         on_turn=lambda turn: store.add_turn(task.id, sample, turn))
                    store.finish_episode(result)

                futures = [pool.submit(episode, task, sample) for task, sample in pending]
                bar = tqdm(total=len(tasks) * spec.samples, initial=len(tasks) * spec.samples - len(pending),
                           desc=f"eval {spec.benchmark}", unit="episode", disable=not progress)
                for future in as_completed(futures):
                    future.result()
                    bar.update()
                bar.close()
        task_ids = {task.id for task in tasks}
        episodes = [e for e in store.episodes() if e.task_id in task_ids]
    return summarize_run(episodes, spec.turns)
