"""Helpers shared by the subcommands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def read_text(path: str) -> str:
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if file.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a file")
    return file.read_text()


def read_jsonl(path: str) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; a bad line raises naming file and line."""
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} line {number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise ValueError(f"{path} line {number}: expected a JSON object, got {type(record).__name__}")
        yield number, record
