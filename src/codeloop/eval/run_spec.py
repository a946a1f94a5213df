"""``RunSpec``: everything that defines a ``codeloop eval`` run, one flag and one ``--config`` key
per field (``codeloop.settings``). Light to import: the CLI builds its flags from it at start-up;
what a run needs (tasks, the loop's config) is imported when asked for."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from codeloop.settings import positive_float, positive_int, setting

if TYPE_CHECKING:
    from codeloop.loop import LoopConfig
    from codeloop.tasks import Task

LANGUAGE_HELP = ("the language the model answers in: python (default), cpp, java, nodejs, rust or go (or an "
                 "alias: c++, cpp17, js, ...); other than Python, stdin/stdout tasks only")


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines a run; stored in the run directory and checked on resume."""

    benchmark: str = setting(help_text="the benchmark (required, here or in --config)")
    model: str = setting("default", "the model (default: default)")
    turns: int = setting(3, "turns per episode (default: 3)", type=positive_int)
    samples: int = setting(1, "episodes per task (default: 1)", type=positive_int)
    temperature: float = setting(0.0, "sampling temperature (default: 0, greedy)")
    top_p: float = setting(1.0, "nucleus sampling (default: 1.0)")
    max_tokens: int = setting(1024, "tokens per reply (default: 1024)", type=positive_int)
    seed: int = setting(0, "sampling seed (default: 0)")
    feedback: str = setting("failed", "feedback granularity (default: failed)")
    strategy: str = setting("plain", "the prompt strategy (default: plain)")
    limit: int | None = setting(None, "first K tasks only", type=positive_int)
    split: str = setting("test", "dataset split (default: test)")
    data_path: str | None = setting(None, "dataset file or directory (default: the copy codeloop ships)")
    time_limit: float | None = setting(None, "CPU seconds per test (default: the task's, else 10)",
                                       type=positive_float)
    retry_temperature: float | None = setting(None, "sample turns 2.. at this temperature (default: as turn 1)")
    language: str = setting("python", LANGUAGE_HELP)
    since: str | None = setting(None, "livecodebench: problems from contests on or after", metavar="YYYY-MM-DD")
    until: str | None = setting(None, "livecodebench: problems from contests on or before", metavar="YYYY-MM-DD")

    def __post_init__(self) -> None:
        from codeloop.sandbox.languages import language
        object.__setattr__(self, "language", language(self.language).name)
        if self.samples < 1 or (self.limit is not None and self.limit < 1):
            raise ValueError("--samples and --limit must be >= 1")
        if self.temperature == 0 and self.samples > 1:
            raise ValueError("greedy decoding (temperature 0) gives identical samples: "
                             "use --samples 1 or a temperature above 0")

    def loop_config(self) -> LoopConfig:
        from codeloop.llm import SamplingParams
        from codeloop.loop import LoopConfig, parse_strategy
        from codeloop.sandbox import Limits
        params = SamplingParams(self.temperature, self.top_p, self.max_tokens,
                                seed=self.seed if self.temperature > 0 else None)
        limits = Limits(cpu_s=self.time_limit) if self.time_limit else None
        return LoopConfig(self.turns, self.feedback, parse_strategy(self.strategy), params, limits,
                          self.retry_temperature, self.language)

    def tasks(self) -> list[Task]:
        from codeloop.tasks import TaskKind, load
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
