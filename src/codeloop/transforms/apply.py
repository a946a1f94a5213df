"""Apply a transform module to files, in parallel, like a codemod tool.

Only files whose text changes are written (the rest stay byte-identical, untouched); every output
must parse; idempotence (transforming the output again changes nothing) is checked and reported;
a transform that crashes on one file does not stop the run, and the failures are listed.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import os
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

Transform = Callable[[str], str]


@dataclass
class FileResult:
    path: str
    changed: bool = False
    idempotent: bool = True
    error: str = ""      # the transform raised, or its output does not parse
    diff: str = ""


@dataclass
class ApplyReport:
    results: list[FileResult] = field(default_factory=list)

    @property
    def changed(self) -> list[FileResult]:
        return [r for r in self.results if r.changed and not r.error]

    @property
    def failures(self) -> list[FileResult]:
        return [r for r in self.results if r.error]

    @property
    def not_idempotent(self) -> list[FileResult]:
        return [r for r in self.results if not r.idempotent and not r.error]


def load_transform(path: str | Path) -> Transform:
    """The ``transform`` function of a module file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such transform module")
    spec = importlib.util.spec_from_file_location(f"codeloop_transform_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, "transform", None)
    if not callable(function):
        raise ValueError(f"{path}: defines no transform(source: str) -> str function")
    return function


def python_files(paths: Iterable[str | Path]) -> list[Path]:
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.py") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return files


def transform_text(transform: Transform, source: str, name: str, want_diff: bool) -> tuple[FileResult, str | None]:
    """Transform one file's text: its report, and the new text when it changed (and parses)."""
    result = FileResult(name)
    try:
        output = transform(source)
        if not isinstance(output, str):
            raise TypeError(f"transform returned {type(output).__name__}, expected str")
        ast.parse(output)
        result.changed = output != source
        if result.changed:
            result.idempotent = transform(output) == output
            if want_diff:
                result.diff = "".join(difflib.unified_diff(source.splitlines(keepends=True),
                                                           output.splitlines(keepends=True), f"a/{name}", f"b/{name}"))
    except SyntaxError as error:
        result.error = f"output does not parse: {error.msg} (line {error.lineno})"
        return result, None
    except Exception:
        result.error = traceback.format_exc(limit=-3).strip().splitlines()[-1]
        return result, None
    return result, output if result.changed else None


_worker_transform: Transform | None = None


def _init_worker(module_path: str) -> None:
    global _worker_transform
    _worker_transform = load_transform(module_path)


def _apply_one(job: tuple[str, bool, bool]) -> FileResult:
    path, write, want_diff = job
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # newline="": keep CRLF files as they are
            source = handle.read()
        ast.parse(source)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as error:
        return FileResult(path, error=f"input skipped: {type(error).__name__}: {error}")
    result, output = transform_text(_worker_transform, source, path, want_diff)
    if write and output is not None:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(output)
    return result


def apply_transform(module_path: str | Path, paths: Iterable[str | Path], write: bool = True, diff: bool = False,
                    jobs: int | None = None, progress: bool = False) -> ApplyReport:
    """Transform every Python file under ``paths`` with ``jobs`` processes."""
    load_transform(module_path)  # fail early, in this process, on a broken module
    files = python_files(paths)
    jobs = jobs or os.cpu_count() or 1
    report = ApplyReport()
    work = [(str(f), write, diff) for f in files]
    if jobs == 1:
        _init_worker(str(module_path))
        results = map(_apply_one, work)
    else:
        pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(str(module_path),))
        results = pool.map(_apply_one, work, chunksize=max(1, len(work) // (jobs * 8)))
    if progress:
        from tqdm import tqdm
        results = tqdm(results, total=len(work), desc="transform", unit="file")
    report.results = list(results)
    if jobs != 1:
        pool.shutdown()
    return report
