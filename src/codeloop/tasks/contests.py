"""Competitive-programming sets: CodeContests, TACO, APPS, and MapCoder's APPS sample.

Each loader reads the upstream schema from JSONL/JSON/parquet files (a file or a directory of
shards), or through ``datasets`` when ``path`` is omitted and the machine is online.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from codeloop.judge import Test, call_test, stdio_test
from codeloop.tasks.records import read_records
from codeloop.tasks.schema import DatasetError, Reference, Task, TaskKind, require

# deepmind/code_contests enums (contest_problem.proto): Language
CC_PYTHON2, CC_CPP, CC_PYTHON3, CC_JAVA = 1, 2, 3, 4
CC_LANGUAGES = {CC_PYTHON2: "python", CC_CPP: "cpp", CC_PYTHON3: "python", CC_JAVA: "java"}
CC_DIFFICULTY = ["UNKNOWN_DIFFICULTY", "EASY", "MEDIUM", "HARD", "HARDER", "HARDEST", "EXTERNAL",
                 *"ABCDEFGHIJKLMNOPQRSTUV"]


def _hub_records(name: str, split: str):
    try:
        import datasets
    except ImportError:
        raise DatasetError(f"no path given and `datasets` is not installed to fetch {name}") from None
    for row, record in enumerate(datasets.load_dataset(name, split=split)):
        yield f"{name}[{split}] row {row}", record


def _records(path: str | Path | None, hub_name: str, split: str):
    return read_records(Path(path), split) if path else _hub_records(hub_name, split)


def _io_tests(block: object, field_name: str, where: str) -> list[Test]:
    """CodeContests ``{"input": [...], "output": [...]}`` as stdio tests."""
    if block is None:
        return []
    if not isinstance(block, dict) or not isinstance(block.get("input"), list) \
            or not isinstance(block.get("output"), list) or len(block["input"]) != len(block["output"]):
        raise DatasetError(f"{where}: field {field_name!r} must be {{input: [str], output: [str]}} of equal length")
    return [stdio_test(i, o) for i, o in zip(block["input"], block["output"], strict=True)]


def parses_as_python3(program: str) -> bool:
    try:
        ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _cc_references(block: object, field_name: str, correct: bool, where: str,
                   counts: dict[str, int]) -> list[Reference]:
    """A ``{"language": [int], "solution": [str]}`` block. Language 1 is Python 2: such a program
    is kept, as Python 3, only when it parses as Python 3 (``print x`` does not); ``counts``
    tallies those kept and dropped."""
    if block is None:
        return []
    if not isinstance(block, dict) or not isinstance(block.get("language"), list) \
            or not isinstance(block.get("solution"), list) or len(block["language"]) != len(block["solution"]):
        raise DatasetError(f"{where}: field {field_name!r} must be {{language: [int], solution: [str]}} "
                           "of equal length")
    references = []
    for code, program in zip(block["language"], block["solution"], strict=True):
        if code not in CC_LANGUAGES or not isinstance(program, str):
            continue
        if code == CC_PYTHON2:
            kept = parses_as_python3(program)
            counts["python2_kept" if kept else "python2_dropped"] += 1
            if not kept:
                continue
        references.append(Reference(program, CC_LANGUAGES[code], correct))
    return references


def load_code_contests(path: str | Path | None = None, split: str = "test") -> list[Task]:
    """CodeContests (Li et al., arXiv 2203.07814): stdin/stdout problems with public, private
    and generated tests, and the correct and incorrect solutions in Python, C++ and Java."""
    tasks = []
    for where, record in _records(path, "deepmind/code_contests", split):
        counts = {"python2_kept": 0, "python2_dropped": 0}
        references = (_cc_references(record.get("solutions"), "solutions", True, where, counts)
                      + _cc_references(record.get("incorrect_solutions"), "incorrect_solutions", False, where, counts))
        python = [r.program for r in references if r.correct and r.language == "python"]
        limit = record.get("time_limit") or None
        seconds = limit["seconds"] + limit.get("nanos", 0) / 1e9 if limit else None
        memory = record.get("memory_limit_bytes") or None
        difficulty = record.get("difficulty", 0)
        tasks.append(Task(
            id=require(record, "name", str, where), prompt=require(record, "description", str, where),
            kind=TaskKind.STDIO,
            public_tests=_io_tests(record.get("public_tests"), "public_tests", where),
            private_tests=_io_tests(record.get("private_tests"), "private_tests", where),
            generated_tests=_io_tests(record.get("generated_tests"), "generated_tests", where),
            time_limit_s=seconds, memory_limit_mb=memory // 2**20 if memory else None, solutions=python,
            other_references=[r for r in references if not (r.correct and r.language == "python")],
            metadata={"source": "code_contests", "split": split, **counts,
                      "difficulty": CC_DIFFICULTY[difficulty] if isinstance(difficulty, int)
                      and difficulty < len(CC_DIFFICULTY) else difficulty,
                      "cf_rating": record.get("cf_rating"), "tags": list(record.get("cf_tags") or [])}))
    return tasks


def _joined(output: object) -> str:
    return "\n".join(map(str, output)) if isinstance(output, list) else str(output)


def input_output_tests(raw: object, where: str) -> tuple[list[Test], str]:
    """TACO/APPS ``input_output`` (a JSON string or its object; verl's code ``ground_truth`` is the
    same) as tests, and the fn_name if call-based."""
    try:
        spec = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as error:
        raise DatasetError(f"{where}: field 'input_output' is not valid JSON ({error.msg})") from None
    if not isinstance(spec, dict):
        raise DatasetError(f"{where}: field 'input_output' is not a JSON object")
    inputs, outputs = spec.get("inputs", []), spec.get("outputs", [])
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise DatasetError(f"{where}: field 'input_output' needs 'inputs' and 'outputs' lists of equal length")
    fn_name = spec.get("fn_name") or ""
    if not isinstance(fn_name, str) or (fn_name and not fn_name.isidentifier()):
        raise DatasetError(f"{where}: field 'fn_name' must be a function's name, got {fn_name!r}")
    if fn_name:
        return [call_test(fn_name, args if isinstance(args, list) else [args], expected)
                for args, expected in zip(inputs, outputs, strict=True)], fn_name
    return [stdio_test(_joined(i), _joined(o)) for i, o in zip(inputs, outputs, strict=True)], ""


def _solutions(record: dict, where: str) -> list[str]:
    raw = record.get("solutions") or "[]"
    try:
        solutions = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as error:
        raise DatasetError(f"{where}: field 'solutions' is not valid JSON ({error.msg})") from None
    return [s for s in solutions if isinstance(s, str)]


def _load_apps_like(path: str | Path | None, split: str, hub_name: str, source: str, id_field: str,
                    limit_field: str | None) -> list[Task]:
    tasks = []
    for where, record in _records(path, hub_name, split):
        tests, fn_name = input_output_tests(record.get("input_output") or "{}", where)
        if not tests:
            continue
        seconds = None
        if limit_field and isinstance(record.get(limit_field), str):
            number = record[limit_field].split()[0]
            seconds = float(number) if number.replace(".", "", 1).isdigit() else None
        tasks.append(Task(
            id=f"{source}/{record.get(id_field, len(tasks))}", prompt=require(record, "question", str, where),
            kind=TaskKind.FUNCTION if fn_name else TaskKind.STDIO, entry_point=fn_name,
            starter_code=record.get("starter_code") or "", public_tests=tests[:1],
            private_tests=tests[1:] or tests, time_limit_s=seconds, solutions=_solutions(record, where),
            metadata={"source": source, "split": split, "difficulty": record.get("difficulty"),
                      "tags": record.get("tags") or record.get("raw_tags"), "url": record.get("url")}))
    return tasks


def load_taco(path: str | Path | None = None, split: str = "test") -> list[Task]:
    """BAAI/TACO: the first test public (as arXiv 2410.08105 does), the rest private."""
    return _load_apps_like(path, split, "BAAI/TACO", "taco", "name", "time_limit")


def load_apps(path: str | Path | None = None, split: str = "test") -> list[Task]:
    """codeparrot/apps, in the same schema as TACO."""
    return _load_apps_like(path, split, "codeparrot/apps", "apps", "problem_id", None)


def load_apps_mapcoder(path: str | Path | None = None, split: str = "test") -> list[Task]:
    """MapCoder's 150-problem APPS sample, its stdin/stdout problems only, each id once.

    Public tests are ``sample_io`` (or the first of ``test_list`` when it has none); private tests
    are ``test_list``, which overlaps the samples (see the data's SOURCE.md). No reference solutions.
    """
    if path is None:
        raise DatasetError("apps_mapcoder has no packaged copy: pass MapCoder's selected150.jsonl "
                           "(--data-path, or path=)")
    tasks, seen = [], set()
    for where, record in read_records(Path(path)):
        problem_id = require(record, "id", int, where)
        if record.get("starter_code") or problem_id in seen:
            continue
        seen.add(problem_id)

        def tests(field_name: str, where: str = where, record: dict = record) -> list[Test]:
            cases = require(record, field_name, list, where)
            if not all(isinstance(c, dict) and "input" in c and "output" in c for c in cases):
                raise DatasetError(f"{where}: field {field_name!r} must hold {{input, output}} objects")
            return [stdio_test(c["input"], _joined(c["output"])) for c in cases]

        private = tests("test_list")
        tasks.append(Task(
            id=f"apps/{record.get('name', problem_id)}", prompt=require(record, "description", str, where),
            kind=TaskKind.STDIO, public_tests=tests("sample_io") or private[:1], private_tests=private,
            metadata={"source": "apps_mapcoder", "split": split, "difficulty": record.get("difficulty")}))
    return tasks
