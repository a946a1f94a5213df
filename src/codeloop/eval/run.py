"""``codeloop eval``: tasks x samples x turns, generation and execution overlapped, resumable."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from codeloop.eval.store import RunStore
from codeloop.eval.summary import summarize_run
from codeloop.judge import Judge
from codeloop.llm import ChatModel, SamplingParams, load_model
from codeloop.loop import LoopConfig, parse_strategy, run_episode
from codeloop.sandbox import Limits
from codeloop.sandbox.languages import language as sandbox_language
from codeloop.sandbox.ray_pool import open_sandbox
from codeloop.tasks import Task, TaskKind, load


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines a run; stored in the run directory and checked on resume."""

    benchmark: str
    model: str = "default"
    turns: int = 3
    samples: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int = 0
    feedback: str = "failed"
    strategy: str = "plain"
    limit: int | None = None
    split: str = "test"
    data_path: str | None = None
    time_limit: float | None = None
    retry_temperature: float | None = None
    language: str = "python"
    since: str | None = None  # livecodebench: contest dates, inclusive
    until: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", sandbox_language(self.language).name)
        if self.samples < 1 or (self.limit is not None and self.limit < 1):
            raise ValueError("--samples and --limit must be >= 1")
        if self.temperature == 0 and self.samples > 1:
            raise ValueError("greedy decoding (temperature 0) gives identical samples: "
                             "use --samples 1 or a temperature above 0")

    def loop_config(self) -> LoopConfig:
        params = SamplingParams(self.temperature, self.top_p, self.max_tokens,
                                seed=self.seed if self.temperature > 0 else None)
        limits = Limits(cpu_s=self.time_limit) if self.time_limit else None
        return LoopConfig(self.turns, self.feedback, parse_strategy(self.strategy), params, limits,
                          self.retry_temperature, self.language)

    def tasks(self) -> list[Task]:
        tasks = load(self.benchmark, split=self.split, path=self.data_path, since=self.since, until=self.until)
        tasks = tasks[: self.limit] if self.limit else tasks
        if self.language != "python" and any(task.kind != TaskKind.STDIO for task in tasks):
            raise ValueError(f"--language {self.language}: {self.benchmark} has function-call tasks, which are "
                             "Python only; other languages answer stdin/stdout tasks (code_contests, apps, taco, ...)")
        return tasks

    def stored(self) -> dict:
        """The settings as the run directory records them; those added since the first runs are
        left out at their defaults, so that such runs still resume."""
        settings = asdict(self)
        for name, default in (("language", "python"), ("since", None), ("until", None)):
            if settings[name] == default:
                del settings[name]
        return settings


def run_eval(spec: RunSpec, run_dir: str | Path, model: ChatModel | None = None, jobs: int | None = None,
             progress: bool = True, ray: str | None = None) -> dict[str, float]:
    """Run (or resume) ``spec`` into ``run_dir``; returns the summary of every stored episode.
    ``ray``: judge on a Ray cluster (an address, or "local")."""
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
            with open_sandbox(None, ray) as sandbox, ThreadPoolExecutor(jobs) as pool:
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
