"""Sandboxes on Ray: a local cluster the test starts on 127.0.0.1 (``ray start --head``) and
stops; ``codeloop evaluate --ray``, ``run_eval(ray=...)`` and a sandbox actor killed mid-run."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from codeloop.eval.run import run_eval  # noqa: E402
from codeloop.eval.run_spec import RunSpec  # noqa: E402
from codeloop.llm import ScriptedModel  # noqa: E402
from codeloop.sandbox import Limits  # noqa: E402
from codeloop.sandbox.ray_pool import RaySandbox  # noqa: E402
from codeloop.sandbox.sandbox import Run  # noqa: E402
from codeloop.tasks import load  # noqa: E402

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    """A one-node cluster on loopback, without Ray's token auth (a test cluster; a real one's
    clients read the token from ~/.ray/auth_token)."""
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_AUTH_MODE", "disabled")  # for this process and the commands it starts
        subprocess.run([str(BIN / "ray"), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
                        "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"],
                       check=True, capture_output=True, timeout=120)
        try:
            yield f"127.0.0.1:{port}"
        finally:
            subprocess.run([str(BIN / "ray"), "stop", "--force"], capture_output=True, timeout=120)


def test_evaluate_on_ray_passes_every_canonical_solution(cluster, tmp_path):
    samples = tmp_path / "samples.jsonl"
    with open(samples, "w") as handle:
        for task in load("humaneval")[:24]:
            handle.write(json.dumps({"task_id": task.id, "program": task.references[0].program}) + "\n")
    result = subprocess.run([str(BIN / "codeloop"), "evaluate", str(samples), "--benchmark", "humaneval",
                             "--ray", cluster, "--no-progress", "--out", str(tmp_path / "results.jsonl")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["pass@1"] == 1.0 and summary["samples"] == 24


def test_a_killed_actor_is_replaced_and_no_run_is_lost_or_counted_twice(cluster):
    program = "a, b = map(int, input().split())\nprint(a + b)\n"
    with RaySandbox(cluster) as sandbox:
        assert sandbox.workers == 2

        def one(index: int) -> str:
            if index == 20:
                ray.kill(sandbox._nodes[0].actor)  # mid-run: runs in flight on it are sent again
            return sandbox.execute(Run(program, stdin=f"{index} {index}\n", limits=Limits(cpu_s=5))).stdout

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(one, range(80)))
        assert answers == [f"{2 * index}\n" for index in range(80)]
        assert sandbox.replaced == 1


def test_multi_turn_eval_judges_on_ray(cluster, tmp_path):
    data = tmp_path / "tasks.jsonl"
    with open(data, "w") as handle:
        for i in range(2):
            record = {"text": f"Return {i}.", "code": f"def f{i}():\n    return {i}", "task_id": 11 + i,
                      "test_setup_code": "", "test_list": [f"assert f{i}() == {i}"], "challenge_test_list": []}
            handle.write(json.dumps(record) + "\n")
    wrong, right = "```python\ndef f0():\n    return 5\n```", "```python\ndef f0():\n    return 0\n```"
    spec = RunSpec("mbpp", model="scripted", data_path=str(data), split="all", turns=2)
    model = ScriptedModel([wrong, right, "```python\ndef f1():\n    return 1\n```"])
    summary = run_eval(spec, tmp_path / "run", model=model, jobs=1, progress=False, ray=cluster)
    assert summary["single_turn_pass@1"] == 0.5 and summary["final_pass@1"] == 1.0


def test_rl_training_judges_on_ray(cluster, tmp_path):
    """``codeloop rl train --ray``: the RLEF environment's episodes are judged by the cluster."""
    pytest.importorskip("transformers")
    from test_rl_trl import tiny_model

    tiny_model(tmp_path / "model")
    (tmp_path / "rl.toml").write_text(f'model = "hf:{tmp_path / "model"}"\nsteps = 1\nepisodes_per_step = 1\n'
                                      'max_tokens = 8\nturns = 1\nlimit = 2\n')
    done = subprocess.run([sys.executable, "-m", "codeloop", "rl", "train", "--config", str(tmp_path / "rl.toml"),
                           "--ray", cluster, "--out", str(tmp_path / "run"), "--no-progress"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "1 steps; metrics in" in done.stdout
    port = cluster.rsplit(":", 1)[1]
    assert "Connecting to existing Ray cluster at address" in done.stderr and f":{port}" in done.stderr


def test_the_two_node_scaleout_benchmark_runs():
    """``benchmarks/ray_scaleout.py --quick``: two ``ray start`` nodes, a node killed mid-run
    with no answer lost, duplicated or wrong (its own cluster: the fixture's is stopped first)."""
    subprocess.run([str(BIN / "ray"), "stop", "--force"], capture_output=True, timeout=120)
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "ray_scaleout.py"
    done = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["killed_node"] == {"lost": 0, "duplicated": 0, "wrong": 0}
    assert result["nodes_after_kill"] == 1 and result["two_nodes_runs_s"] > 0
