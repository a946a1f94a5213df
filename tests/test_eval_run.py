"""``codeloop eval`` runs: SQLite store, resume after ``kill -9``, summary, CLI errors."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from codeloop.eval.run import run_eval
from codeloop.eval.run_spec import RunSpec
from codeloop.eval.store import RunStore
from codeloop.llm import ScriptedModel

WRONG = "```python\ndef nothing():\n    return None\n```"


def write_tasks(path, count=6):
    with open(path, "w") as handle:
        for i in range(count):
            record = {"text": f"Return {i}.", "code": f"def f{i}():\n    return {i}", "task_id": 11 + i,
                      "test_setup_code": "", "test_list": [f"assert f{i}() == {i}"], "challenge_test_list": []}
            handle.write(json.dumps(record) + "\n")


class SlowScripted(ScriptedModel):
    def chat(self, messages, params):
        time.sleep(0.2)
        return super().chat(messages, params)


def test_turns_stored_and_summary(tmp_path):
    data = tmp_path / "tasks.jsonl"
    write_tasks(data, 2)
    right = "```python\ndef f1():\n    return 1\n```"
    spec = RunSpec("mbpp", model="scripted", data_path=str(data), split="all", turns=3)
    model = ScriptedModel([WRONG, WRONG, WRONG, right])  # 2 tasks in order: 3 wrong turns, then 1 right turn
    summary = run_eval(spec, tmp_path / "run", model=model, jobs=1, progress=False)
    assert summary["single_turn_pass@1"] == 0.5 and summary["final_pass@1"] == 0.5
    assert summary["solved_by_turn_1"] == 0.5 and summary["1@3"] == 0.5
    rows = sqlite3.connect(tmp_path / "run" / "run.sqlite").execute(
        "SELECT task_id, turn, public_verdict, hidden_verdict FROM turns ORDER BY task_id, turn").fetchall()
    assert rows == [("MBPP/11", 1, "RE", "RE"), ("MBPP/11", 2, "RE", "RE"), ("MBPP/11", 3, "RE", "RE"),
                    ("MBPP/12", 1, "OK", "OK")]
    again = run_eval(spec, tmp_path / "run", model=ScriptedModel([]), jobs=1, progress=False)
    assert again == summary  # nothing left to do: no model call
    with pytest.raises(ValueError, match="other settings"):
        run_eval(RunSpec("mbpp", model="scripted", data_path=str(data), split="all", turns=2), tmp_path / "run",
                 model=model, progress=False)


def test_store_serves_many_threads_at_once(tmp_path):
    """Reads and writes from 64 threads on the one connection (a batched GPU eval runs hundreds of episodes)."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from codeloop.loop import Turn
    turn = Turn(turn=1, messages=[{"role": "user", "content": "x" * 2000}], reply="r", code=None, program=None,
                public_verdict="RE", public=[], hidden_verdict="RE", hidden=[], feedback="f")

    def work(sample):
        for index in range(1, 11):
            store.turns_of("t", sample)
            store.add_turn("t", sample, replace(turn, turn=index))
        store.episodes()
        return len(store.turns_of("t", sample))

    with RunStore(tmp_path / "run") as store, ThreadPoolExecutor(64) as pool:
        for sample in range(100, 400):  # rows for the readers to walk through while others write
            store.add_turn("t", sample, turn)
        assert list(pool.map(work, range(64))) == [10] * 64
        assert len(store.episodes()) == 364


def test_kill_and_resume_continues_each_episode(tmp_path):
    data = tmp_path / "tasks.jsonl"
    write_tasks(data, 6)
    run_dir = tmp_path / "run"
    script = textwrap.dedent(f"""
        import time
        from codeloop.eval.run import run_eval
        from codeloop.eval.run_spec import RunSpec
        from codeloop.llm import ScriptedModel
        class Slow(ScriptedModel):
            def chat(self, messages, params):
                time.sleep(0.2)
                return super().chat(messages, params)
        spec = RunSpec("mbpp", model="scripted", data_path={str(data)!r}, split="all", turns=3)
        run_eval(spec, {str(run_dir)!r}, model=Slow([{WRONG!r}] * 100), jobs=2, progress=False)
    """)
    process = subprocess.Popen([sys.executable, "-c", script])
    database = run_dir / "run.sqlite"
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and stored < 7:
        time.sleep(0.1)
        if database.exists():
            with contextlib.suppress(sqlite3.OperationalError):
                stored = sqlite3.connect(database).execute("SELECT count(*) FROM turns").fetchone()[0]
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with RunStore(run_dir) as store:
        before = {(e.task_id, e.sample): len(e.turns) for e in store.episodes()}
    assert 7 <= sum(before.values()) < 18
    partial = [key for key, turns in before.items() if 0 < turns < 3]
    model = ScriptedModel([WRONG] * 100)
    spec = RunSpec("mbpp", model="scripted", data_path=str(data), split="all", turns=3)
    summary = run_eval(spec, run_dir, model=model, jobs=1, progress=False)
    assert summary["episodes"] == 6 and summary["final_pass@1"] == 0.0
    assert len(model.calls) == 18 - sum(before.values())  # only the missing turns were generated
    keys = sqlite3.connect(database).execute("SELECT task_id, sample, turn FROM turns").fetchall()
    assert len(keys) == len(set(keys)) == 18  # each turn exactly once
    if partial:  # a resumed episode's next prompt carries its stored dialogue
        assert any(len(call) > 1 for call in model.calls)


def test_cli_errors(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "codeloop", "eval", *args], capture_output=True, text=True)
    missing = run("--model", "default")
    assert missing.returncode == 2 and "--benchmark is required" in missing.stderr
    greedy = run("--benchmark", "humaneval", "--samples", "3", "--out", str(tmp_path / "r"))
    assert greedy.returncode == 2 and "greedy decoding" in greedy.stderr
    config = tmp_path / "c.toml"
    config.write_text('benchmark = "humaneval"\nturnz = 2\n')
    bad = run("--config", str(config))
    assert bad.returncode == 2 and "unknown setting(s) turnz" in bad.stderr
    strategy = run("--benchmark", "humaneval", "--strategy", "telepathy", "--out", str(tmp_path / "r"))
    assert strategy.returncode == 2 and "unknown reasoning prompt 'telepathy'" in strategy.stderr
    model = run("--benchmark", "humaneval", "--model", "nope:x", "--limit", "1", "--out", str(tmp_path / "r2"),
                "--no-progress")
    assert model.returncode == 2 and "unknown model spec 'nope:x'" in model.stderr


def test_grid_runs_every_cell_once(tmp_path):
    from codeloop.eval.grid import format_table, run_grid
    data = tmp_path / "tasks.jsonl"
    write_tasks(data, 1)
    right = "```python\ndef f0():\n    return 0\n```"
    base = RunSpec("mbpp", model="scripted", data_path=str(data), split="all", turns=2)
    model = ScriptedModel([WRONG, right] * 2 + [WRONG, "thinking", right] * 2)  # CoT only from turn 2
    rows = run_grid(base, ["plain", "retry:explain_io"], ["binary", "failed"], tmp_path / "grid", model=model,
                    progress=False)
    assert [(r["strategy"], r["feedback"]) for r in rows] == [
        ("plain", "binary"), ("plain", "failed"), ("retry:explain_io", "binary"), ("retry:explain_io", "failed")]
    assert all(r["final_pass@1"] == 1.0 and r["single_turn_pass@1"] == 0.0 for r in rows)
    assert not model.replies
    assert "retry:explain_io" in format_table(rows)
    assert len(list((tmp_path / "grid").iterdir())) == 4
