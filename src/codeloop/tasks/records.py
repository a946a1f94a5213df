"""Reading dataset files: JSONL, JSON arrays and parquet, one record at a time, with a location."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from codeloop.tasks.schema import DatasetError

SUFFIXES = (".jsonl", ".json", ".parquet")


def data_files(path: Path, split: str | None) -> list[Path]:
    """``path`` itself, or the data files in a directory (those naming ``split`` when given)."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES)
    if split:
        files = [p for p in files if split in p.name]
    if not files:
        raise FileNotFoundError(f"{path}: no {'/'.join(SUFFIXES)} files{f' for split {split!r}' if split else ''}")
    return files


def jsonl_records(lines: Iterable[str], source: str | Path) -> Iterator[tuple[str, dict]]:
    """(location, object) for each non-blank JSON line; a bad line raises naming file and line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DatasetError(f"{where}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise DatasetError(f"{where}: expected a JSON object, got {type(record).__name__}")
        yield where, record


def read_records(path: Path, split: str | None = None) -> Iterator[tuple[str, dict]]:
    """(location, record) pairs; the location names file and line (or row) for error messages."""
    for file in data_files(path, split):
        if file.suffix == ".parquet":
            try:
                import pyarrow.parquet as pq
            except ImportError:
                raise DatasetError(f"{file}: reading parquet needs pyarrow (pip install 'codeloop[dev]')") from None
            for row, record in enumerate(pq.read_table(file).to_pylist()):
                yield f"{file} row {row}", record
        elif file.suffix == ".json":
            records = json.loads(file.read_text())
            if not isinstance(records, list):
                raise DatasetError(f"{file}: expected a JSON array of records")
            for row, record in enumerate(records):
                yield f"{file} item {row}", record
        else:
            yield from jsonl_records(file.read_text().splitlines(), file)
