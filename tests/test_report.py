"""The report page, opened in headless Chromium: the trajectory browser shows a task's turns."""

import json
import shutil
import subprocess

import pytest

from codeloop.eval.report import write_report
from codeloop.eval.run import run_eval
from codeloop.eval.run_spec import RunSpec
from codeloop.llm import ScriptedModel

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    data = folder / "tasks.jsonl"
    with open(data, "w") as handle:
        for i in range(2):
            handle.write(json.dumps({"text": f"Return {i}.", "code": "", "task_id": 11 + i, "test_setup_code": "",
                                     "test_list": [f"assert f{i}() == {i}"], "challenge_test_list": []}) + "\n")
    replies = ["```python\ndef f0():\n    return 0\n```", "```python\ndef f1():\n    return 5\n```",
               "no code this time", "```python\ndef f1():\n    return 1\n```"]
    spec = RunSpec("mbpp", model="scripted", data_path=str(data), split="all", turns=3)
    run_eval(spec, folder / "run", model=ScriptedModel(replies), jobs=1, progress=False)
    return write_report(folder / "run")


def dump_dom(page, tmp_path) -> str:
    result = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page],
                            capture_output=True, text=True, timeout=120)
    return result.stdout


def test_report_html_has_summary_and_plots(report):
    page = report.read_text()
    assert "final_pass@1" in page and page.count("<svg") == 2
    assert '"MBPP/12"' in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/setup.sh installs it)")
def test_trajectory_browser_shows_turns(report, tmp_path):
    dom = dump_dom(f"file://{report}#MBPP%2F12", tmp_path)
    assert "<h2>MBPP/12</h2>" in dom
    for turn in (1, 2, 3):
        assert f'class="turn" data-turn="{turn}"' in dom
    assert "Your code failed the following tests:" in dom      # feedback of turn 1
    assert "Your answer did not contain a Python code block" in dom  # the invalid turn 2
    assert "return 1" in dom
    first = dump_dom(f"file://{report}", tmp_path)  # no hash: the first task
    assert "<h2>MBPP/11</h2>" in first and 'data-turn="2"' not in first
