"""The container image (``deploy/build_image.sh``) serving ``codeloop serve`` in a container run
the way a rootless runtime runs it: bubblewrap started as an unprivileged user (uid 10001, no
capabilities, no root anywhere, nothing privileged), the image's root file system read-only, its
own user, pid, IPC and UTS namespaces. Through it: SandboxFusion's contract (the same tests as
``tests/test_serve.py``, its client, verl's scoring) and hostile programs, which must stay inside
their sandbox inside the container."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

requests = pytest.importorskip("requests")

import test_serve  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "build" / "image"
SECRET = "image-test-secret-42"  # in the server's environment: no program may read it
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rootfs() -> Path:
    missing = [tool for tool in ("mmdebstrap", "umoci", "bwrap", "setpriv") if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        pytest.skip(f"building the image needs root and {', '.join(missing) or 'its tools'}: scripts/setup.sh")
    stamp = IMAGE / "source.sha256"  # the image is rebuilt when what goes into it has changed
    if not stamp.is_file() or stamp.read_text() != source_hash():
        subprocess.run(["bash", str(ROOT / "deploy" / "build_image.sh"), str(IMAGE)], check=True, timeout=1200,
                       env={**os.environ, "LANGUAGES": "g++"}, capture_output=True)
        stamp.write_text(source_hash())
    return IMAGE / "rootfs"


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "src").rglob("*.py"), ROOT / "pyproject.toml", ROOT / "deploy" / "build_image.sh"]):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def container(rootfs: Path, *command: str, port: int | None = None) -> list[str]:
    """A rootless container's command line: bwrap as uid 10001 (the image's user)."""
    return ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups", "env", "-i", "PATH=/usr/bin:/bin",
            "bwrap", "--ro-bind", str(rootfs), "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--tmpfs", "/home/codeloop", "--unshare-user", "--uid", "10001", "--gid", "10001", "--unshare-pid",
            "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session",
            "--setenv", "HOME", "/home/codeloop", "--setenv", "CODELOOP_SECRET", SECRET,
            "--chdir", "/home/codeloop", "/opt/codeloop/bin/codeloop", *command]


@pytest.fixture(scope="module")
def served(rootfs: Path):
    port = test_serve.free_port()
    process = subprocess.Popen(container(rootfs, "serve", "--port", str(port), "--jobs", "2"),
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/v1/ping", timeout=1).json() == "pong":
                break
        except requests.ConnectionError:
            time.sleep(0.2)
        if process.poll() is not None:
            raise RuntimeError(f"the container exited: {process.stderr.read()}")
    yield base
    process.terminate()
    process.wait(timeout=60)


def test_the_image_is_an_oci_layout_with_the_service_as_entrypoint(rootfs):
    import json
    index = json.loads((IMAGE / "oci" / "index.json").read_text())
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "latest"
    doctor = subprocess.run(container(rootfs, "doctor"), capture_output=True, text=True, timeout=120).stdout
    for layer in ("namespaces     on", "pid namespace  on", "seccomp        on", "probe run      OK"):
        assert layer in doctor, doctor


def test_sandboxfusion_contract_in_the_container(served):
    test_serve.test_run_code_answers_as_sandboxfusion_does(served)
    test_serve.test_files_go_in_and_come_back_as_bytes(served)
    test_serve.test_the_sandbox_fusion_client_works_unchanged(served)
    test_serve.test_verl_scoring_works_unchanged(served)
    test_serve.test_batch_endpoints_judge_and_evaluate(served)
    test_serve.test_a_runs_leftovers_and_limits_stay_its_own(served)


HOSTILE = {
    "reads the service's environment": "import os\nfor pid in os.listdir('/proc'):\n    try:\n"
                                       "        print(open(f'/proc/{pid}/environ', 'rb').read())\n"
                                       "    except OSError:\n        pass\nprint(os.environ)\n",
    "connects to the service": "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\n",
    "writes outside its directory": "open('/home/codeloop/x', 'w').write('x')\n",
    "reads the service's files": "print(open('/opt/codeloop/pyvenv.cfg').read())\n",
    "kills every process it can": "import os, signal\nos.kill(-1, signal.SIGKILL)\n",
    "forks without end": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_programs_stay_in_their_sandbox_in_the_container(served, name):
    port = served.rsplit(":", 1)[1]
    answer = test_serve.run_code(served, code=HOSTILE[name].replace("{port}", port), language="python", run_timeout=3)
    run = answer["run_result"] or {}
    assert SECRET not in (run.get("stdout") or "") + (run.get("stderr") or "")
    if name != "reads the service's environment":
        assert answer["status"] == "Failed", (name, answer)
    assert requests.get(f"{served}/healthz", timeout=10).json()["status"] == "ok"  # the service is untouched
    after = test_serve.run_code(served, code="print(6 * 7)", language="python")
    assert after["run_result"]["stdout"] == "42\n"


def test_a_program_that_kills_its_slots_helpers_touches_no_other_run(served):
    """Without root in the container, programs share their slot's helpers' uid: ``kill(-1)``
    kills the slot's forker and spawner. That slot then ends and the zygote starts it again; the
    other slot, its runs and a live session in the service's session pool go on untouched."""
    from concurrent.futures import ThreadPoolExecutor
    opened = requests.post(f"{served}/v1/sessions", timeout=30).json()["session_id"]
    cell = f"{served}/v1/sessions/{opened}/run"
    assert requests.post(cell, json={"code": "x = 41"}, timeout=30).json()["error"] == ""

    def one(k: int) -> str:
        if k % 3 == 0:
            return test_serve.run_code(served, code=HOSTILE["kills every process it can"], language="python")["status"]
        answer = test_serve.run_code(served, code=f"print({k} * 2)", language="python")
        return "right" if (answer["run_result"] or {}).get("stdout") == f"{2 * k}\n" else str(answer)

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(one, range(36)))
    assert [o for k, o in enumerate(outcomes) if k % 3] == ["right"] * 24
    assert requests.post(cell, json={"code": "x + 1"}, timeout=30).json()["stdout"] == "42\n"
