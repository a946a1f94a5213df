"""LiveCodeBench's code_generation_lite schema: stdin and functional problems, compressed private
tests decoded without ever running a pickle's code, contest-date filtering."""

import base64
import json
import os
import pickle
import zlib

import pytest

from codeloop.judge import Judge
from codeloop.tasks import DatasetError, TaskKind, load
from codeloop.tasks.livecodebench import decode_private_tests, unpickle_string


def compressed(cases: list) -> str:
    """As LiveCodeBench publishes private tests: base64(zlib(pickle(json string)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(cases)))).decode()


STDIN_RECORD = {
    "question_title": "A+B", "question_content": "Read two integers and print their sum.", "platform": "atcoder",
    "question_id": "abc999_a", "contest_id": "abc999", "contest_date": "2024-08-03T00:00:00", "starter_code": "",
    "difficulty": "easy", "metadata": "{}",
    "public_test_cases": json.dumps([{"input": "2 3\n", "output": "5\n", "testtype": "stdin"}]),
    "private_test_cases": compressed([{"input": "10 -4\n", "output": "6\n", "testtype": "stdin"},
                                      {"input": "0 0\n", "output": "0\n", "testtype": "stdin"}]),
}
LEETCODE_RECORD = {
    "question_title": "Two Sum", "question_content": "Return the indices of the two numbers adding up to target.",
    "platform": "leetcode", "question_id": "1", "contest_id": "weekly-contest-1",
    "contest_date": "2023-05-07T00:00:00", "difficulty": "easy",
    "starter_code": "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        ",
    "metadata": json.dumps({"func_name": "twoSum"}),
    "public_test_cases": json.dumps([{"input": "[2,7,11,15]\n9", "output": "[0, 1]", "testtype": "functional"}]),
    "private_test_cases": json.dumps([{"input": "[3,2,4]\n6", "output": "[1, 2]", "testtype": "functional"}]),
}
TWO_SUM = ("class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
           "        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n"
           "                return [seen[target - x], i]\n            seen[x] = i\n")


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "test.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in (STDIN_RECORD, LEETCODE_RECORD)))
    return path


def test_loads_both_kinds_and_judges_them(sandbox, data_file):
    stdin_task, leetcode = load("livecodebench", path=data_file)
    assert stdin_task.kind == TaskKind.STDIO and len(stdin_task.private_tests) == 2
    assert stdin_task.metadata["contest_date"] == "2024-08-03" and stdin_task.metadata["platform"] == "atcoder"
    assert leetcode.kind == TaskKind.FUNCTION and leetcode.entry_point == "twoSum"
    assert leetcode.starter_code.startswith("from typing import *") and "class Solution" in leetcode.starter_code
    judge = Judge(sandbox)
    assert judge.judge("a, b = map(int, input().split())\nprint(a + b)\n", stdin_task.hidden_tests).passed
    assert judge.judge(leetcode.program(TWO_SUM), leetcode.public_tests + leetcode.hidden_tests).passed
    wrong = leetcode.program(TWO_SUM.replace("[seen[target - x], i]", "[i, seen[target - x]]"))
    assert not judge.judge(wrong, leetcode.hidden_tests).passed


def test_contest_date_filter(data_file):
    assert [t.id for t in load("livecodebench", path=data_file, since="2024-01-01")] == ["abc999_a"]
    assert [t.id for t in load("livecodebench", path=data_file, until="2023-05-07")] == ["1"]
    assert load("livecodebench", path=data_file, since="2024-08-04") == []
    with pytest.raises(ValueError, match="--since: expected a date such as 2024-08-01, got 'last week'"):
        load("livecodebench", path=data_file, since="last week")


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch /tmp/codeloop-pwned",))


@pytest.mark.parametrize("payload", [Exploit(), ["a list"], {"a": 1}, 3])
def test_private_tests_unpickle_nothing_but_a_string(payload, tmp_path):
    blob = base64.b64encode(zlib.compress(pickle.dumps(payload))).decode()
    with pytest.raises(pickle.UnpicklingError, match=r"only a string may be unpickled|expected a pickled string"):
        decode_private_tests(blob)
    assert not os.path.exists("/tmp/codeloop-pwned")
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert unpickle_string(pickle.dumps("[]", protocol=protocol)) == "[]"


def test_malformed_record_names_file_and_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({**STDIN_RECORD, "private_test_cases": "!!not base64 of anything!!"}) + "\n")
    with pytest.raises(DatasetError, match=r"bad.jsonl.*line 1: test cases or metadata not decodable"):
        load("livecodebench", path=path)
    with pytest.raises(DatasetError, match="pass --data-path"):
        load("livecodebench")
