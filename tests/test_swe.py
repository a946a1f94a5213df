"""codeloop.swe: the fixture repositories graded end to end in real isolation (bubblewrap, a
cgroup, a Debian OCI image built here), grading against swebench's own, hostile test commands,
the agent-computer interface, and the agent's mechanics (scripted replies) and multimodal prompts."""

import base64
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from codeloop.llm import SamplingParams, ScriptedModel
from codeloop.swe.agent.aci import Workspace
from codeloop.swe.agent.dialogue import TEXT_ONLY_NOTE, parse_command, problem_message
from codeloop.swe.harness import environments, grading
from codeloop.swe.harness.bwrap import Isolation, run
from codeloop.swe.harness.fixtures import build_fixtures
from codeloop.swe.harness.instances import (
    Instance,
    Prediction,
    eval_script,
    instance_from_row,
    load_instances,
    load_predictions,
)
from codeloop.swe.harness.runner import EvalSettings, checkout, evaluate

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is installed by scripts/setup.sh")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    return build_fixtures(tmp_path_factory.mktemp("swe"))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("swe-cache")


@pytest.fixture(scope="module")
def instances(fixtures):
    return {i.instance_id: i for i in load_instances(fixtures.instances)}


@pytest.fixture(scope="module")
def graded(fixtures, cache, tmp_path_factory):
    """Every fixture instance with its gold, empty and breaking prediction, graded once."""
    out = tmp_path_factory.mktemp("swe-out")
    found = load_instances(fixtures.instances)
    results = {}
    for kind, path in fixtures.predictions.items():
        settings = EvalSettings(repos=fixtures.repos, out=out, cache=cache, grader="codeloop")
        results[kind] = evaluate(found, load_predictions(path), settings, jobs=2)
    return out, results


def test_fixtures_are_four_repositories_in_the_published_format(fixtures, instances):
    assert len({i.repo for i in instances.values()}) == 4 and len(instances) == 8
    parsers = {i.repo.split("/")[1]: i.log_parser for i in instances.values()}
    assert parsers == {"textkit": "parse_log_pytest", "intervals": "parse_log_pytest", "tinyqs": "parse_log_jest",
                       "semverlite": "parse_log_tap"}
    for instance in instances.values():
        assert instance.FAIL_TO_PASS and instance.PASS_TO_PASS and instance.patch.startswith("diff --git")
        assert "__pycache__" not in instance.patch + instance.test_patch  # an installed package's byte code
        assert (fixtures.repos / instance.mirror_name / ".git").is_dir()
    assert instances["codeloop-fixtures__tinyqs-2"].image_assets == {
        "problem_statement": ["https://codeloop.invalid/assets/tinyqs-2.png"]}
    assert instances["codeloop-fixtures__intervals-1"].image.startswith("oci:")
    again = build_fixtures(fixtures.instances.parent / "again", with_image=False)  # fixed dates: same commits
    assert {i.instance_id: i.base_commit for i in load_instances(again.instances)} == {
        k: v.base_commit for k, v in instances.items() if not v.image}


def test_gold_resolves_all_empty_and_breaking_none(graded):
    _, results = graded
    assert {r.status for r in results["gold"][0]} == {"resolved"}
    assert results["gold"][1]["resolved_instances"] == 8
    for kind in ("empty", "breaking"):
        assert {r.status for r in results[kind][0]} == {"unresolved"}, kind
        assert results[kind][1]["resolved_instances"] == 0
    for result in results["breaking"][0]:  # the breaking fix passes FAIL_TO_PASS, breaks PASS_TO_PASS
        status = result.report[result.instance_id]["tests_status"]
        assert not status["FAIL_TO_PASS"]["failure"] and status["PASS_TO_PASS"]["failure"], result.instance_id
    for result in results["empty"][0]:
        assert result.report[result.instance_id]["tests_status"]["FAIL_TO_PASS"]["failure"]
    kinds = {r.instance_id.split("__")[1].rsplit("-", 1)[0]: r.env_kind for r in results["gold"][0]}
    assert kinds == {"textkit": "python", "intervals": "image", "tinyqs": "node", "semverlite": "node"}


def test_reports_are_written_as_swebench_writes_them_and_reused(graded, fixtures, cache):
    out, results = graded
    folder = out / "codeloop" / "gold" / "codeloop-fixtures__textkit-1"
    for name in ("patch.diff", "eval.sh", "test_output.txt", "report.json"):
        assert (folder / name).is_file(), name
    report = json.loads((folder / "report.json").read_text())["codeloop-fixtures__textkit-1"]
    assert report["resolved"] and report["patch_successfully_applied"]
    summary = json.loads((out / "gold.codeloop.json").read_text())
    assert summary["resolved_ids"] == sorted(r.instance_id for r in results["gold"][0])
    assert summary["schema_version"] == 2
    settings = EvalSettings(repos=fixtures.repos, out=out, cache=cache)
    again, _ = evaluate(load_instances(fixtures.instances), load_predictions(fixtures.predictions["gold"]), settings)
    assert all(r.reused for r in again)


# Logs crafted to reach every rule of swebench's grading, beside the fixtures' real logs.
CRAFTED = {
    "no markers": "PASSED tests/a.py::f2p\nPASSED tests/a.py::p2p\n",
    "patch failed marker": ">>>>> Start Test Output\nPASSED tests/a.py::f2p\n>>>>> End Test Output\n"
                           ">>>>> Patch Apply Failed\n",
    "passes": ">>>>> Start Test Output\nPASSED tests/a.py::f2p\nPASSED tests/a.py::p2p\n>>>>> End Test Output\n",
    "forged passes, failing exit": ">>>>> Start Test Output\nPASSED tests/a.py::f2p\nPASSED tests/a.py::p2p\n"
                                   ">>>>> End Test Output\n>>>>> Test Exit Code: 1\n",
    "f2p skipped": ">>>>> Start Test Output\nSKIPPED tests/a.py::f2p\nPASSED tests/a.py::p2p\n>>>>> End Test Output\n",
    "p2p skipped": ">>>>> Start Test Output\nPASSED tests/a.py::f2p\nSKIPPED tests/a.py::p2p\n>>>>> End Test Output\n",
    "xfail and failure message": ">>>>> Start Test Output\nXFAIL tests/a.py::f2p\nFAILED tests/a.py::p2p - boom\n"
                                 ">>>>> End Test Output\n>>>>> Test Exit Code: 1\n",
    "skip summary": ">>>>> Start Test Output\nSKIPPED [1] tests/a.py:3: no\nPASSED tests/a.py::f2p\n"
                    "PASSED tests/a.py::p2p\n>>>>> End Test Output\n",
    "outside markers only": ">>>>> Start Test Output\n>>>>> End Test Output\nPASSED tests/a.py::f2p\n"
                            "PASSED tests/a.py::p2p\n",
    "truncated parametrised id": ">>>>> Start Test Output\nPASSED tests/a.py::f2p[a(1\nPASSED tests/a.py::f2p[a(2)]\n"
                                 "PASSED tests/a.py::p2p\n>>>>> End Test Output\n",
    "nothing ran": ">>>>> Start Test Output\ncollected 0 items\n>>>>> End Test Output\n",
}


def _graded(report: dict) -> dict:
    """A report without swebench's advisory infrastructure-failure triage (``resolved`` never depends on it)."""
    return {key: {k: v for k, v in entry.items() if not k.startswith("infra_failure")}
            for key, entry in report.items()}


@pytest.mark.parametrize("eval_type", ["pass_and_fail", "fail_only"])
@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_codeloop_grading_equals_swebench_on_crafted_logs(name, eval_type, tmp_path):
    pytest.importorskip("swebench.harness.grading", reason="the swe extra (scripts/setup.sh installs it)")
    f2p = "tests/a.py::f2p[a(" if name == "truncated parametrised id" else "tests/a.py::f2p"
    instance = Instance("x__y-1", "x/y", "0" * 40, FAIL_TO_PASS=(f2p,), PASS_TO_PASS=("tests/a.py::p2p",),
                        eval_type=eval_type, test_cmd="pytest")
    prediction = Prediction("x__y-1", "m", "diff")
    log = tmp_path / "log.txt"
    log.write_text(CRAFTED[name])
    assert _graded(grading.codeloop_report(instance, prediction, CRAFTED[name])) == _graded(
        grading.swebench_report(instance, prediction, str(log)))


def test_codeloop_grading_equals_swebench_on_every_fixture_log(graded, instances):
    pytest.importorskip("swebench.harness.grading", reason="the swe extra (scripts/setup.sh installs it)")
    out, _ = graded
    logs = sorted(out.glob("codeloop/*/*/test_output.txt"))
    assert len(logs) == 24
    verdicts = set()
    for log in logs:
        instance = instances[log.parent.name]
        prediction = Prediction(instance.instance_id, log.parent.parent.name, "diff")
        ours = grading.codeloop_report(instance, prediction, log.read_text())
        assert _graded(ours) == _graded(grading.swebench_report(instance, prediction, str(log))), log
        verdicts.add(ours[instance.instance_id]["resolved"])
    assert verdicts == {True, False}


def test_a_patch_that_does_not_apply_is_its_own_status(fixtures, instances, cache, tmp_path):
    instance = instances["codeloop-fixtures__textkit-1"]
    bad = instance.patch.replace("-    out = []", "-    out = ['nothing like this']")
    settings = EvalSettings(repos=fixtures.repos, out=tmp_path, cache=cache)
    results, summary = evaluate([instance], [Prediction(instance.instance_id, "m", bad)], settings)
    assert results[0].status == "patch_failed" and summary["patch_failed_instances"] == 1
    assert "Patch Apply Failed" in results[0].message


def test_rerun_lists_flaky_tests(fixtures, instances, cache, tmp_path):
    """A test that passes on odd runs only: found by --rerun, reported as flaky."""
    instance = instances["codeloop-fixtures__textkit-1"]
    flaky = ("diff --git a/tests/test_flaky.py b/tests/test_flaky.py\nnew file mode 100644\n--- /dev/null\n"
             "+++ b/tests/test_flaky.py\n@@ -0,0 +1,6 @@\n+import pathlib\n+def test_flips():\n"
             "+    marker = pathlib.Path('/testbed/.flip')\n+    flip = not marker.exists()\n"
             "+    marker.touch() if flip else marker.unlink()\n+    assert flip\n")
    settings = EvalSettings(repos=fixtures.repos, out=tmp_path, cache=cache, rerun=1, grader="codeloop")
    results, _ = evaluate([instance], [Prediction(instance.instance_id, "m", instance.patch + flaky)], settings)
    assert results[0].report[instance.instance_id]["flaky_tests"] == ["tests/test_flaky.py::test_flips"]


def _hostile(instances, command: str) -> Instance:
    base = instances["codeloop-fixtures__textkit-1"]
    script = f"#!/bin/bash\ncd /testbed\n: '>>>>> Start Test Output'\n{command}\n: '>>>>> End Test Output'\n"
    return replace(base, instance_id="hostile", eval_script=script, environment={})


def _processes_running(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("attack", ["fork bomb", "sleep", "background"])
def test_hostile_test_commands_are_contained(attack, fixtures, instances, cache, tmp_path):
    commands = {"fork bomb": "bomb() { bomb | bomb & }; bomb; sleep 60 # codeloop-hostile",
                "sleep": "sleep 300 # codeloop-hostile",
                "background": "nohup sleep 300 >/dev/null 2>&1 & disown; setsid sleep 301 & echo PASSED tests/x::y"}
    instance = _hostile(instances, commands[attack])
    limits = Isolation(timeout_s=4, processes=64, memory_mb=256)
    settings = EvalSettings(repos=fixtures.repos, out=tmp_path, cache=cache, limits=limits)
    start = time.monotonic()
    results, _ = evaluate([instance], [Prediction("hostile", "m", "")], settings)
    assert time.monotonic() - start < 30
    if attack != "background":
        assert results[0].status == "error" and "timed out" in results[0].message
    time.sleep(0.5)
    assert not _processes_running("sleep 30"), "a process outlived its run"
    assert not _processes_running("codeloop-hostile")


def test_no_network_and_a_memory_cap(fixtures, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    python = str(Path(sys.base_prefix) / "bin" / "python3")  # the venv's interpreter lives in a hidden folder
    network = run([python, "-c", "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)"],
                  tree, Isolation(ro_binds=environments.host_python_binds(), timeout_s=20))
    assert network.exit_code != 0 and "unreachable" in network.output.lower()
    hog = run([python, "-c", "x = bytearray(1 << 30); x[::4096] = b'1' * (len(x) // 4096)"], tree,
              Isolation(ro_binds=environments.host_python_binds(), timeout_s=30, memory_mb=128))
    assert hog.exit_code != 0 and hog.oom_killed


def test_isolation_sees_the_image_root_and_nothing_of_the_host(instances, cache, tmp_path):
    instance = instances["codeloop-fixtures__intervals-1"]
    rootfs, _ = environments.image_rootfs(instance.image, cache)
    again, cached = environments.image_rootfs(instance.image, cache)
    assert again == rootfs and cached
    tree = tmp_path / "tree"
    tree.mkdir()
    probe = ("import os, sys, pytest; print(sys.executable, pytest.__version__, os.path.exists('/work'), "
             "os.path.exists('/root/.cache'), os.environ.get('TZ'), os.environ.get('PYTHONHASHSEED'))")
    outcome = run(["python3", "-c", probe], tree, Isolation(rootfs=str(rootfs), timeout_s=30))
    assert outcome.exit_code == 0, outcome.output
    executable, version, work, cache_seen, tz, seed = outcome.output.split()
    assert executable == "/usr/bin/python3" and version.startswith("7.")  # Debian bookworm's pytest
    assert (work, cache_seen, tz, seed) == ("False", "False", "UTC", "0")


def test_eval_script_built_like_the_official_ones(instances):
    instance = instances["codeloop-fixtures__textkit-1"]
    script = eval_script(instance)
    assert script.startswith("#!/bin/bash\nset -uxo pipefail\ncd /testbed")
    start, end = script.index(": '>>>>> Start Test Output'"), script.index(": '>>>>> End Test Output'")
    assert start < script.index(instance.test_cmd) < end
    assert f"git checkout {instance.base_commit} -- tests/test_slug.py" in script
    assert 'echo ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"' in script


def test_bad_instance_files_get_one_line_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instance_id": "a", "repo": "x/y", "base_commit": "c", "test_cmd": "t"}\n{not json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not valid JSON"):
        load_instances(bad)
    with pytest.raises(ValueError, match="missing field 'base_commit'"):
        instance_from_row({"instance_id": "a", "repo": "x/y"}, "f:1")
    with pytest.raises(ValueError, match="field 'FAIL_TO_PASS'"):
        instance_from_row({"instance_id": "a", "repo": "x/y", "base_commit": "c", "test_cmd": "t",
                           "FAIL_TO_PASS": "not json"}, "f:1")
    row = {"instance_id": "a", "repo": "x/y", "base_commit": "c", "test_cmd": "t", "FAIL_TO_PASS": '["t1"]'}
    assert instance_from_row(row, "f:1").FAIL_TO_PASS == ("t1",)  # the Hub's JSON-string form
    with pytest.raises(FileNotFoundError, match=r"nope\.json: no such file"):
        load_predictions(tmp_path / "nope.json")


def test_cli_evaluate_ends_with_one_json_line_and_errors_are_one_line(fixtures, cache, tmp_path):
    codeloop = [sys.executable, "-m", "codeloop"]
    done = subprocess.run([*codeloop, "swe", "evaluate", str(fixtures.instances), str(fixtures.predictions["gold"]),
                           "--repos", str(fixtures.repos), "--out", str(tmp_path / "o"), "--cache", str(cache),
                           "--no-progress", "--jobs", "2"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["resolved_instances"] == 8 and summary["total_instances"] == 8
    missing = subprocess.run([*codeloop, "swe", "evaluate", "nope.jsonl", "p.jsonl", "--repos", str(tmp_path),
                              "--out", "o"], capture_output=True, text=True, cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0 and "nope.jsonl" in missing.stderr
    usage = subprocess.run([*codeloop, "swe", "evaluate", "a", "b", "--repos", ".", "--out", "o", "--jobs", "0"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert usage.returncode == 2


# --- the agent-computer interface -------------------------------------------------------------------
@pytest.fixture
def workspace(fixtures, instances, cache, tmp_path):
    instance = instances["codeloop-fixtures__tinyqs-1"]
    tree = tmp_path / "testbed"
    checkout(instance, fixtures.repos, tree)
    env = environments.prepare(instance, tree, cache, Isolation(timeout_s=60))
    return Workspace(tree, env.isolation)


def test_aci_views_searches_and_refuses_to_leave_the_repository(workspace):
    shown = workspace.execute("open src/index.js 5").text
    assert shown.startswith("[File: src/index.js (") and "7:function parse(query) {" in shown
    assert "Error" in workspace.execute("open ../../etc/passwd").text
    assert "Error" in workspace.execute("open .git/config").text
    assert "1 matches in src/index.js" in workspace.execute("search_file decodeURIComponent").text
    assert "src/index.js (1)" in workspace.execute("search_dir decodeURIComponent").text
    assert workspace.execute("find_file index.test.js").text == "Found 1 files:\ntest/index.test.js"
    assert "unknown command" in workspace.execute("rm -rf /").text
    assert "[File: src/index.js" in workspace.execute("goto 20").text


def test_aci_edit_refuses_broken_syntax_and_submit_gives_the_diff(workspace):
    workspace.execute("open src/index.js")
    before = (workspace.root / "src/index.js").read_text()
    refused = workspace.execute("edit 4:4\n  return decodeURIComponent(text.replace(/\\+/g, ' ');\nend_of_edit").text
    assert refused.startswith("Your edit was not applied") and (workspace.root / "src/index.js").read_text() == before
    applied = workspace.execute("edit 4:4\n  return decodeURIComponent(text.replace(/\\+/g, ' '));\nend_of_edit").text
    assert applied.startswith("File updated.")
    tests = workspace.execute("run ./node_modules/.bin/jest --ci 2>&1 | tail -5").text
    assert "Tests:" in tests and "[exit status 0]" in tests
    marker = Path(f"/tmp/codeloop-fsmonitor-{os.getpid()}")
    workspace.execute(f"run git config core.fsmonitor 'touch {marker}'")  # would run wherever git reads the repo
    diff = workspace.execute("submit")
    assert diff.submitted and "+  return decodeURIComponent(text.replace(/\\+/g, ' '));" in diff.text
    assert "node_modules" not in diff.text
    assert not marker.exists(), "the host ran git in a repository the agent's commands could change"


def test_aci_python_syntax_check(tmp_path):
    (tmp_path / "m.py").write_text("x = 1\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    space = Workspace(tmp_path, Isolation())
    space.execute("open m.py")
    assert "syntax error" in space.execute("edit 1:1\ndef f(:\nend_of_edit").text
    assert space.execute("edit 1:1\ndef f():\n    return 2\nend_of_edit").text.startswith("File updated.")
    assert "+def f():" in space.execute("submit").text


def test_parse_command_takes_the_last_block_or_a_command_line():
    assert parse_command("look\n```\nopen a.py 3\n```") == "open a.py 3"
    assert parse_command("```bash\nfind_file x\n```\nthen\n```\nsubmit\n```") == "find_file x"  # one step at a time
    assert parse_command("edit 1:2\nnew\nend_of_edit\n") == "edit 1:2\nnew\nend_of_edit"
    assert parse_command("I think so.") is None


def test_agent_mechanics_with_a_scripted_model_store_a_trajectory_that_report_shows(
        fixtures, instances, cache, tmp_path):
    """Scripted replies (mechanics only, not a result): open, a broken edit, a fix, tests, submit."""
    from codeloop.eval.report import write_report
    from codeloop.eval.store import RunStore
    from codeloop.swe.agent.solve import SolveSettings, solve_instances
    instance = instances["codeloop-fixtures__textkit-2"]
    replies = ["Look first.\n```\nopen textkit/wrap.py\n```",
               "```\nedit 10:10\n    return text[:width - len(ELLIPSIS) + ELLIPSIS\nend_of_edit\n```",
               "```\nedit 10:10\n    return text[:max(width - len(ELLIPSIS), 0)] + ELLIPSIS\nend_of_edit\n```",
               "no command here",
               "```\nrun python -m pytest -q -p no:cacheprovider tests\n```",
               "```\nsubmit\n```"]
    model = ScriptedModel(replies)
    predictions = tmp_path / "preds.jsonl"
    settings = SolveSettings(predictions=predictions, run_dir=tmp_path / "run",
                             eval=EvalSettings(repos=fixtures.repos, out=tmp_path / "eval", cache=cache), steps=10)
    written = solve_instances([instance], model, "scripted", settings)
    assert [row["instance_id"] for row in written] == [instance.instance_id]
    assert "+    return text[:max(width - len(ELLIPSIS), 0)] + ELLIPSIS" in written[0]["model_patch"]
    with RunStore(tmp_path / "run") as store:
        (episode,) = store.episodes()
    feedback = [turn.feedback for turn in episode.turns]
    assert feedback[1].startswith("Your edit was not applied") and feedback[2].startswith("File updated.")
    assert "Your reply had no command" in feedback[3] and "passed" in feedback[4]
    assert episode.turns[-1].code == "submit" and episode.passed  # graded by the harness: resolved
    assert solve_instances([instance], ScriptedModel([]), "scripted", settings) == []  # resumes: nothing left
    assert "textkit-2" in write_report(tmp_path / "run").read_text()


def test_budget_exhausted_submits_the_changes(fixtures, instances, cache, tmp_path):
    from codeloop.swe.agent.dialogue import solve
    instance = instances["codeloop-fixtures__textkit-1"]
    tree = tmp_path / "testbed"
    checkout(instance, fixtures.repos, tree)
    space = Workspace(tree, Isolation())
    model = ScriptedModel(["```\ncreate NOTES.md\n```", "```\nedit 1:0\nnotes\nend_of_edit\n```"])
    patch, turns = solve(instance, model, space, 2, SamplingParams())
    assert len(turns) == 2 and "+notes" in patch


def _recording_server(requests: list) -> HTTPServer:
    """A stand-in OpenAI endpoint that keeps each request's JSON and answers ``submit``."""
    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append(body)
            reply = {"id": "1", "object": "chat.completion", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": "```\nsubmit\n```"}}],
                     "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return HTTPServer(("127.0.0.1", 0), Recorder)


def test_multimodal_images_reach_the_openai_backend_as_content_parts(fixtures, instances):
    pytest.importorskip("openai")
    from codeloop.llm import load_model
    instance = instances["codeloop-fixtures__tinyqs-2"]
    requests: list = []
    server = _recording_server(requests)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        model = load_model(f"openai:http://127.0.0.1:{server.server_port}/v1#vision", retries=0)
        message = problem_message(instance, fixtures.assets, images=model.accepts_images)
        model.chat([message], SamplingParams())
    finally:
        server.shutdown()
    sent = requests[-1]["messages"][0]["content"]
    assert sent[0]["type"] == "text" and "tag=a&tag=b" in sent[0]["text"]
    png = (fixtures.assets / "tinyqs-2.png").read_bytes()
    assert sent[1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(
        png).decode()}}


def test_text_only_models_get_the_alt_text_and_a_note(fixtures, instances):
    message = problem_message(instances["codeloop-fixtures__tinyqs-2"], fixtures.assets, images=False)
    assert isinstance(message["content"], str)
    assert "[image: screenshot: the filter page shows only the tag b]" in message["content"]
    assert TEXT_ONLY_NOTE in message["content"] and "codeloop.invalid" not in message["content"]
    plain = problem_message(instances["codeloop-fixtures__tinyqs-1"], fixtures.assets, images=True)
    assert isinstance(plain["content"], str) and TEXT_ONLY_NOTE not in plain["content"]


@pytest.mark.slow
def test_embedded_model_works_through_the_interface(fixtures, cache, tmp_path):
    """The real embedded model drives `codeloop swe solve` for a few steps; whatever it does is stored."""
    from codeloop.llm import embedded
    if not embedded.model_path("default").exists():
        pytest.skip("the embedded model is installed by scripts/setup.sh")
    out = tmp_path / "preds.jsonl"
    done = subprocess.run([sys.executable, "-m", "codeloop", "swe", "solve", str(fixtures.instances), "--repos",
                           str(fixtures.repos), "--cache", str(cache), "--out", str(out), "--steps", "3",
                           "--instance-id", "codeloop-fixtures__textkit-2", "--no-progress"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["solved_now"] == 1
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["instance_id"] == "codeloop-fixtures__textkit-2" and isinstance(row["model_patch"], str)


def test_cli_solve_through_an_openai_server_sends_the_screenshot(fixtures, cache, tmp_path):
    """`codeloop swe solve` end to end against a stand-in OpenAI endpoint (it answers `submit`)."""
    pytest.importorskip("openai")
    requests: list = []
    server = _recording_server(requests)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = tmp_path / "preds.jsonl"
    try:
        done = subprocess.run([sys.executable, "-m", "codeloop", "swe", "solve", str(fixtures.instances),
                               "--model", f"openai:http://127.0.0.1:{server.server_port}/v1#vision",
                               "--repos", str(fixtures.repos), "--cache", str(cache), "--assets", str(fixtures.assets),
                               "--instance-id", "codeloop-fixtures__tinyqs-2", "--out", str(out), "--no-progress"],
                              capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "solved_now": 1, "resolved_now": 0, "predictions": str(out), "run_dir": str(out) + ".run"}
    first = requests[0]["messages"][1]["content"]
    assert [part["type"] for part in first] == ["text", "image_url"]
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row == {"instance_id": "codeloop-fixtures__tinyqs-2", "model_name_or_path": "vision", "model_patch": ""}


def test_output_is_capped(tmp_path):
    flood = run(["/bin/sh", "-c", "yes codeloop | head -c 100000"], tmp_path, Isolation(output_bytes=1000))
    assert flood.truncated and len(flood.output) == 1000 and flood.exit_code == 0


def _patch_of(fixtures, instance: Instance, path: str, text: str, tmp_path: Path) -> str:
    tree = tmp_path / "edit"
    checkout(instance, fixtures.repos, tree)
    (tree / path).write_text(text)
    return subprocess.run(["git", "diff"], cwd=tree, capture_output=True, text=True, check=True).stdout


FORGED = ("import atexit\n"
          "atexit.register(lambda: print('PASSED tests/test_slug.py::test_slugify_collapses_separators'))\n")


@pytest.mark.parametrize("grader", ["codeloop", "swebench"])
def test_reward_hack_forged_pass_lines_with_a_failing_exit_are_rejected(grader, fixtures, instances, cache, tmp_path):
    """A patch that leaves the bug and prints the FAIL_TO_PASS test's PASSED line when the test process
    exits: the log's last word on the test is PASSED, but the recorded exit status is 1 with no failure
    left in the log, so the log is unusable (swebench's cross-check): unresolved."""
    if grader == "swebench":
        pytest.importorskip("swebench.harness.grading", reason="the swe extra (scripts/setup.sh installs it)")
    instance = instances["codeloop-fixtures__textkit-1"]
    source = (fixtures.repos / instance.mirror_name / "textkit/slug.py").read_text()
    patch = _patch_of(fixtures, instance, "textkit/slug.py", FORGED + source, tmp_path)
    settings = EvalSettings(repos=fixtures.repos, out=tmp_path / "out", cache=cache, grader=grader)
    results, _ = evaluate([instance], [Prediction(instance.instance_id, "hack", patch)], settings)
    log = (tmp_path / "out/codeloop/hack" / instance.instance_id / "test_output.txt").read_text()
    assert "PASSED tests/test_slug.py::test_slugify_collapses_separators" in log and "Test Exit Code: 1" in log
    assert results[0].status == "unresolved"
    assert not results[0].report[instance.instance_id]["resolved"]
