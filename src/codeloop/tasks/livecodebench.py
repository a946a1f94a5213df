"""LiveCodeBench code generation (Jain et al., arXiv 2403.07974), ``code_generation_lite`` files
as published: one record per problem with ``question_title``, ``question_content``, ``platform``,
``question_id``, ``contest_id``, ``contest_date``, ``starter_code``, ``difficulty``,
``public_test_cases`` and ``private_test_cases`` (JSON lists of ``{input, output, testtype}``,
``testtype`` ``stdin`` or ``functional``) and ``metadata`` (JSON; ``func_name`` for LeetCode).

Private tests are often stored compressed: base64 of zlib of a *pickle of the JSON string*.
They are decoded by ``decode_private_tests``, whose unpickler accepts a pickle of one string and
nothing else (every opcode is checked first; no class is ever looked up), never ``pickle.loads``.

LeetCode problems (functional tests) become function tasks on ``class Solution``'s method, each
line of a test's input one JSON argument; their starter code gets the imports LeetCode's Python
provides implicitly (``typing``'s ``List``, ``collections``, ...). The others are stdin/stdout.
``since``/``until`` keep problems whose ``contest_date`` falls in that range (inclusive dates).
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import pickle
import pickletools
import zlib
from pathlib import Path

from codeloop.judge import Test, call_test, stdio_test
from codeloop.tasks.records import read_records
from codeloop.tasks.schema import DatasetError, Task, TaskKind, require

LEETCODE_IMPORTS = ("from typing import *\nfrom collections import *\nfrom heapq import *\nfrom bisect import *\n"
                    "from itertools import *\nfrom functools import *\nfrom math import *\n\n")
MAX_DECODED = 1 << 30  # bytes a compressed test block may inflate to
_STRING_OPCODES = {"PROTO", "FRAME", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "MEMOIZE",
                   "BINPUT", "LONG_BINPUT", "PUT", "STOP"}


class _StringOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"refusing {module}.{name}: only a string may be unpickled")

    def persistent_load(self, pid: object):
        raise pickle.UnpicklingError("refusing a persistent id: only a string may be unpickled")


def unpickle_string(data: bytes) -> str:
    """The string a pickle holds; anything else (any other opcode) is refused unexecuted."""
    for opcode, _, _ in pickletools.genops(data):
        if opcode.name not in _STRING_OPCODES:
            raise pickle.UnpicklingError(f"refusing pickle opcode {opcode.name}: only a string may be unpickled")
    value = _StringOnly(io.BytesIO(data)).load()
    if type(value) is not str:
        raise pickle.UnpicklingError(f"expected a pickled string, got {type(value).__name__}")
    return value


def decode_private_tests(text: str) -> list:
    """``private_test_cases``: a JSON list, or base64 -> zlib -> pickle of that JSON as a string."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    inflater = zlib.decompressobj()
    raw = inflater.decompress(base64.b64decode(text, validate=False), MAX_DECODED)
    if inflater.unconsumed_tail:
        raise ValueError(f"compressed tests inflate to more than {MAX_DECODED >> 20} MB")
    return json.loads(unpickle_string(raw))


def _tests(cases: list, func_name: str, where: str, field_name: str) -> list[Test]:
    tests = []
    for case in cases:
        if not isinstance(case, dict) or not isinstance(case.get("input"), str) \
                or not isinstance(case.get("output"), str):
            raise DatasetError(f"{where}: field {field_name!r} must hold {{input: str, output: str, testtype}}")
        if case.get("testtype") == "functional":
            if not func_name:
                raise DatasetError(f"{where}: functional tests but no 'func_name' in 'metadata'")
            try:
                args = [json.loads(line) for line in case["input"].splitlines() if line.strip()]
                expected = json.loads(case["output"])
            except ValueError as error:
                raise DatasetError(f"{where}: field {field_name!r}: a functional test is not JSON ({error})") from None
            tests.append(call_test(func_name, args, expected))
        else:
            tests.append(stdio_test(case["input"], case["output"]))
    return tests


def _date(text: str | None, what: str) -> datetime.date | None:
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(str(text)[:10])
    except ValueError:
        raise ValueError(f"{what}: expected a date such as 2024-08-01, got {text!r}") from None


def load(path: str | Path | None, split: str = "test", since: str | None = None,
         until: str | None = None) -> list[Task]:
    if path is None:
        raise DatasetError("livecodebench: pass --data-path (code_generation_lite JSONL files; no offline copy ships)")
    first, last = _date(since, "--since"), _date(until, "--until")
    tasks = []
    for where, record in read_records(Path(path), split):
        date = _date(require(record, "contest_date", str, where), f"{where}: field 'contest_date'")
        if (first and date < first) or (last and date > last):
            continue
        try:
            metadata = json.loads(record.get("metadata") or "{}")
            public = json.loads(require(record, "public_test_cases", str, where))
            private = decode_private_tests(require(record, "private_test_cases", str, where))
        except (ValueError, pickle.UnpicklingError, zlib.error) as error:
            raise DatasetError(f"{where}: test cases or metadata not decodable ({error})") from None
        func_name = metadata.get("func_name", "") if isinstance(metadata, dict) else ""
        public_tests = _tests(public, func_name, where, "public_test_cases")
        private_tests = _tests(private, func_name, where, "private_test_cases")
        functional = any(test.fn_name for test in public_tests + private_tests)
        starter = record.get("starter_code") or ""
        tasks.append(Task(
            id=require(record, "question_id", str, where), prompt=require(record, "question_content", str, where),
            kind=TaskKind.FUNCTION if functional else TaskKind.STDIO, entry_point=func_name if functional else "",
            starter_code=LEETCODE_IMPORTS + starter if functional and starter else starter,
            completion_prefix=LEETCODE_IMPORTS if functional else "",
            public_tests=public_tests, private_tests=private_tests,
            metadata={"source": "livecodebench", "split": split, "title": record.get("question_title", ""),
                      "platform": record.get("platform", ""), "contest_id": record.get("contest_id", ""),
                      "contest_date": date.isoformat(), "difficulty": record.get("difficulty", "")}))
    return tasks
