"""Helpers shared by the subcommands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from codeloop.tasks.records import jsonl_records


def read_text(path: str) -> str:
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if file.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a file")
    return file.read_text()


def read_jsonl(path: str) -> Iterator[tuple[str, dict]]:
    """(location, object) for each non-blank line; a bad line raises naming file and line."""
    return jsonl_records(read_text(path).splitlines(), path)
