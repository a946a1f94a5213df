"""``codeloop run``, ``judge`` and ``doctor`` as a user calls them."""

import json
import subprocess
import sys


def codeloop(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "codeloop", *args], capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_run_json(tmp_path):
    program = tmp_path / "p.py"
    program.write_text("print(input()[::-1])")
    feed = tmp_path / "in.txt"
    feed.write_text("abc\n")
    result = codeloop("run", str(program), "--stdin", str(feed), "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["verdict"] == "OK" and report["stdout"] == "cba\n"
    assert {"exit_code", "stderr", "cpu_s", "wall_s", "max_rss_mb"} <= report.keys()


def test_run_time_limit(tmp_path):
    program = tmp_path / "p.py"
    program.write_text("while True: pass")
    result = codeloop("run", str(program), "--time-limit", "0.5", "--json")
    assert result.returncode == 1 and json.loads(result.stdout)["verdict"] == "TLE"


def test_judge(tmp_path):
    program = tmp_path / "p.py"
    program.write_text("print(sum(map(int, input().split())))")
    tests = tmp_path / "tests.jsonl"
    tests.write_text('{"input": "1 2", "output": "3"}\n{"input": "2 2", "output": "4"}\n')
    result = codeloop("judge", str(program), str(tests))
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "verdict: OK"
    tests.write_text('{"input": "1 2", "output": "4"}\n')
    result = codeloop("judge", str(program), str(tests), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["verdict"] == "WA" and report["tests"][0]["verdict"] == "WA"


def test_bad_input_one_line_errors(tmp_path):
    program = tmp_path / "p.py"
    program.write_text("print(1)")
    missing = codeloop("run", str(tmp_path / "missing.py"))
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0
    assert "missing.py: no such file" in missing.stderr
    negative = codeloop("run", str(program), "--time-limit", "-1")
    assert negative.returncode == 2 and "expected a number > 0" in negative.stderr
    tests = tmp_path / "tests.jsonl"
    tests.write_text('{"input": "1", "output": "1"}\nnot json\n')
    broken = codeloop("judge", str(program), str(tests))
    assert broken.returncode == 1 and "tests.jsonl line 2: not valid JSON" in broken.stderr
    tests.write_text('{"input": 1, "output": "1"}\n')
    wrong_field = codeloop("judge", str(program), str(tests))
    assert "line 1: field 'input' must be a string" in wrong_field.stderr


def test_doctor_lists_layers():
    result = codeloop("doctor")
    assert result.returncode == 0
    for layer in ("namespaces", "pid namespace", "seccomp", "cgroups", "rlimits", "filesystem"):
        assert layer in result.stdout
    assert "swe " in result.stdout and "grader " in result.stdout  # codeloop swe's tools
