"""``codeloop serve`` as its clients use it: real servers started by the CLI, real HTTP, the
``sandbox-fusion`` client package, verl's SandboxFusion scoring module, and a property-based
API test of the OpenAPI schema (schemathesis)."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

requests = pytest.importorskip("requests")
pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

CODELOOP = str(Path(sys.executable).parent / "codeloop")
ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
VERL_SCORING = Path(sys.prefix) / "extras/verl/verl/utils/reward_score/sandbox_fusion/utils.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(*flags: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([CODELOOP, "serve", "--port", str(port), "--jobs", "2", *flags],
                               env={**os.environ, **(env or {})}, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/v1/ping", timeout=1).json() == "pong":
                return process, base
        except requests.ConnectionError:
            time.sleep(0.1)
        if process.poll() is not None:
            raise RuntimeError(f"codeloop serve exited: {process.stderr.read()}")
    process.kill()
    raise RuntimeError("codeloop serve did not start")


def stop_server(process: subprocess.Popen) -> bool:
    """SIGTERM, as a service manager stops it; whether it went down cleanly (uvicorn, having
    finished, re-raises the signal: the status says SIGTERM, as for any program it ended)."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30) in (0, -signal.SIGTERM)


@pytest.fixture(scope="module")
def served():
    process, base = start_server()
    yield base
    assert stop_server(process)


@pytest.fixture(scope="module")
def guarded():
    """A server with a token, a queue of one, a 2 KB body cap and a 2 s body timeout."""
    process, base = start_server("--queue", "1", "--max-request-mb", "0.002", "--body-timeout-s", "2",
                                 env={"CODELOOP_SERVE_TOKEN": "s3cret"})
    yield base
    assert stop_server(process)


def run_code(base: str, **request: object) -> dict:
    response = requests.post(f"{base}/run_code", json=request, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_run_code_answers_as_sandboxfusion_does(served):
    ok = run_code(served, code=ADD, stdin="2 3\n", language="python")
    assert ok["status"] == "Success" and ok["compile_result"] is None
    assert ok["run_result"]["status"] == "Finished" and ok["run_result"]["return_code"] == 0
    assert ok["run_result"]["stdout"] == "5\n"
    cpp = "#include <cstdio>\nint main(){int a,b;scanf(\"%d %d\",&a,&b);printf(\"%d\\n\",a+b);}\n"
    compiled = run_code(served, code=cpp, stdin="2 3", language="cpp")
    assert compiled["status"] == "Success" and compiled["compile_result"]["status"] == "Finished"
    assert compiled["run_result"]["stdout"] == "5\n"
    broken = run_code(served, code="int main(){", language="cpp")
    assert broken["status"] == "Failed" and broken["run_result"] is None
    assert broken["compile_result"]["return_code"] == 1 and "expected" in broken["compile_result"]["stderr"]
    slow = run_code(served, code="while True:\n    pass\n", language="python", run_timeout=1)
    assert slow["status"] == "Failed" and slow["run_result"]["status"] == "TimeLimitExceeded"
    failed = run_code(served, code="raise SystemExit(3)", language="python")
    assert failed["status"] == "Failed" and failed["run_result"]["return_code"] == 3
    assert requests.post(f"{served}/run_code", json={"code": "1", "language": "cobol"}, timeout=10).status_code == 422


def test_files_go_in_and_come_back_as_bytes(served):
    data = bytes(range(256))
    program = "data = open('in/data.bin', 'rb').read()\nopen('out.bin', 'wb').write(data[::-1])\n"
    answer = run_code(served, code=program, language="python", files={"in/data.bin": base64.b64encode(data).decode()},
                      fetch_files=["out.bin", "missing.txt"])
    assert answer["status"] == "Success"
    assert base64.b64decode(answer["files"]["out.bin"]) == data[::-1] and "missing.txt" not in answer["files"]
    escape = requests.post(f"{served}/run_code", json={"code": "1", "language": "python", "fetch_files": ["../x"]},
                           timeout=10)
    assert escape.status_code == 422 and escape.json()["detail"][0]["loc"] == ["body", "fetch_files", 0]
    bad = requests.post(f"{served}/run_code", json={"code": "1", "language": "python", "files": {"a": "%%"}},
                        timeout=10)
    assert bad.status_code == 400 and "not base64" in bad.json()["detail"]


def test_the_sandbox_fusion_client_works_unchanged(served):
    from sandbox_fusion import RunCodeRequest, RunStatus, run_code

    answer = run_code(RunCodeRequest(code=ADD, stdin="20 22\n", language="python"), endpoint=served)
    assert answer.status == RunStatus.Success and answer.run_result.stdout == "42\n"


def test_verl_scoring_works_unchanged(served):
    """verl's own SandboxFusion scoring (``check_correctness``), loaded from verl's wheel as it
    ships (setup.sh installs the wheel alone; importing the ``verl`` package would need its
    training stack)."""
    if not VERL_SCORING.is_file():
        pytest.skip(f"{VERL_SCORING} missing: run scripts/setup.sh")
    spec = importlib.util.spec_from_file_location("verl_sandbox_fusion_utils", VERL_SCORING)
    verl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(verl)
    cases = {"inputs": ["1 2\n", "3 4\n", "10 -4\n"], "outputs": ["3\n", "7\n", "6\n"]}
    results, _ = verl.check_correctness(f"{served}/run_code", cases, ADD, timeout=10)
    assert results == [True, True, True]
    results, _ = verl.check_correctness(f"{served}/run_code", cases, "print(3)\n", timeout=10)
    assert results == [True, False, False]
    results, _ = verl.check_correctness(f"{served}/run_code", cases, ADD.replace("int", "int("), timeout=10)
    assert all(result is not True for result in results)


def test_batch_endpoints_judge_and_evaluate(served):
    tests = [{"kind": "stdio", "input": "1 2\n", "output": "3\n"},
             {"kind": "stdio", "input": "5 5\n", "output": "10\n"}]
    judged = requests.post(f"{served}/v1/judge", json={"program": ADD, "tests": tests}, timeout=60).json()
    assert judged["passed"] and [t["verdict"] for t in judged["tests"]] == ["OK", "OK"]
    wrong = requests.post(f"{served}/v1/judge", json={"program": "print(3)", "tests": tests}, timeout=60).json()
    assert not wrong["passed"] and wrong["verdict"] == "WA"
    samples = [{"task_id": "HumanEval/0", "completion": "    return False\n"},
               {"task_id": "HumanEval/2", "completion": "    return number % 1.0\n"}]
    evaluated = requests.post(f"{served}/v1/evaluate", json={"benchmark": "humaneval", "samples": samples},
                              timeout=60).json()
    assert evaluated["total"] == 2 and [r["passed"] for r in evaluated["results"]] == [False, True]
    unknown = requests.post(f"{served}/v1/evaluate", json={"benchmark": "humaneval", "samples": [{"task_id": "x"}]},
                            timeout=60)
    assert unknown.status_code == 400 and "samples[0]" in unknown.json()["detail"]


def test_health_and_metrics(served):
    assert requests.get(f"{served}/healthz", timeout=5).json()["status"] == "ok"
    run_code(served, code="print(1)", language="python")
    text = requests.get(f"{served}/metrics", timeout=5).text
    assert 'codeloop_runs_total{endpoint="/run_code",outcome="Success"}' in text
    assert "codeloop_queue_depth" in text and "codeloop_request_seconds_bucket" in text


def test_token_body_cap_and_queue(guarded):
    headers = {"Authorization": "Bearer s3cret"}
    body = {"code": "import time\ntime.sleep(1.5)\nprint('done')", "language": "python"}
    assert requests.post(f"{guarded}/run_code", json=body, timeout=10).status_code == 401
    assert requests.post(f"{guarded}/run_code", json=body, headers={"Authorization": "Bearer no"},
                         timeout=10).status_code == 401
    assert requests.get(f"{guarded}/healthz", timeout=5).status_code == 200  # probes need no token
    too_big = requests.post(f"{guarded}/run_code", json={**body, "code": "#" * 4000}, headers=headers, timeout=10)
    assert too_big.status_code == 413
    answers: list[requests.Response] = []
    slow = threading.Thread(target=lambda: answers.append(
        requests.post(f"{guarded}/run_code", json=body, headers=headers, timeout=30)))
    slow.start()
    time.sleep(0.5)
    refused = requests.post(f"{guarded}/run_code", json=body, headers=headers, timeout=10)
    slow.join()
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert answers[0].status_code == 200 and answers[0].json()["run_result"]["stdout"] == "done\n"


def test_sigterm_lets_running_requests_finish():
    process, base = start_server()
    answers: list[requests.Response] = []
    body = {"code": "import time\ntime.sleep(1)\nprint('finished')", "language": "python"}
    running = threading.Thread(target=lambda: answers.append(requests.post(f"{base}/run_code", json=body, timeout=30)))
    running.start()
    time.sleep(0.4)
    assert stop_server(process)
    running.join()
    assert answers[0].json()["run_result"]["stdout"] == "finished\n"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/v1/ping", timeout=2)


def test_listening_beyond_loopback_needs_a_token():
    result = subprocess.run([CODELOOP, "serve", "--host", "0.0.0.0"], capture_output=True, text=True, timeout=30,
                            env={key: value for key, value in os.environ.items() if key != "CODELOOP_SERVE_TOKEN"})
    assert result.returncode == 2 and "loopback only" in result.stderr


def test_api_conforms_to_its_schema(served):
    """Generated requests (valid and invalid) to every operation of the OpenAPI schema: no 500,
    and every response as the schema documents it. Requests valid by the schema but not in
    meaning (a task id the benchmark lacks, a call test run as C++) get 400, so schemathesis's
    "valid data is accepted" check is left out. (Driven per operation: schemathesis's own pytest
    plugin does not run under pytest 9.)"""
    from hypothesis import given

    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /run_code", "POST /v1/judge", "POST /v1/evaluate"}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(timeout=120, excluded_checks=[schemathesis.checks.positive_data_acceptance])

        check()


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=20)


def status_of(sock: socket.socket) -> int:
    """The status code of the answer on ``sock`` (a socket timeout if none comes)."""
    head = b""
    while b"\r\n" not in head:
        data = sock.recv(4096)
        if not data:
            raise ConnectionError(f"closed after {head!r}")
        head += data
    return int(head.split(b" ", 2)[1])


def post_head(path: str, length: int, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}"
            f"Content-Length: {length}\r\n\r\n").encode()


def test_tokenless_clients_are_refused_before_their_bodies_and_the_queue(guarded):
    """A client without the token gets 401 from its headers alone: its body is neither waited for
    nor read (a 15 MB one announced, one byte sent), and it takes no place in the queue (of one
    here), so a client with the token still gets in."""
    sockets = [connect(guarded) for _ in range(3)]
    try:
        for sock, length in zip(sockets, (100, 15 << 20, 100), strict=True):
            sock.sendall(post_head("/run_code", length) + b"{")
        assert [status_of(sock) for sock in sockets] == [401, 401, 401]
        answer = requests.post(f"{guarded}/run_code", json={"code": "print(1)", "language": "python"},
                               headers={"Authorization": "Bearer s3cret"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["run_result"]["stdout"] == "1\n"
    finally:
        for sock in sockets:
            sock.close()


def test_a_body_that_does_not_arrive_gets_408_and_frees_its_place(guarded):
    with connect(guarded) as sock:
        sock.sendall(post_head("/run_code", 100, "s3cret") + b"{")
        for _ in range(200):  # until it is admitted: it holds the queue's one place
            if requests.get(f"{guarded}/healthz", timeout=5).json()["admitted"] == 1:
                break
            time.sleep(0.05)
        assert requests.get(f"{guarded}/healthz", timeout=5).json()["admitted"] == 1
        assert status_of(sock) == 408  # after the fixture's 2 s body timeout
    assert requests.get(f"{guarded}/healthz", timeout=5).json()["admitted"] == 0
    answer = requests.post(f"{guarded}/run_code", json={"code": "print(2)", "language": "python"},
                           headers={"Authorization": "Bearer s3cret"}, timeout=30)
    assert answer.status_code == 200 and answer.json()["run_result"]["stdout"] == "2\n"


def test_a_chunked_body_over_the_cap_gets_413(guarded):
    head = post_head("/run_code", 0, "s3cret").replace(b"Content-Length: 0", b"Transfer-Encoding: chunked")
    chunk = b"3e8\r\n" + b" " * 1000 + b"\r\n"  # 1000 bytes a chunk, 3000 in all: over the 2 KB cap
    with connect(guarded) as sock:
        sock.sendall(head + chunk * 3 + b"0\r\n\r\n")
        assert status_of(sock) == 413


def test_evaluate_checks_the_split_before_loading_it(served):
    sample = {"task_id": "HumanEval/0", "completion": "    return False\n"}
    other = requests.post(f"{served}/v1/evaluate", json={"benchmark": "humaneval", "split": "train",
                                                          "samples": [sample]}, timeout=60)
    assert other.status_code == 400 and other.json()["detail"].startswith("split: humaneval has test")
    unknown = requests.post(f"{served}/v1/evaluate", json={"benchmark": "humaneval", "split": "x" * 1000,
                                                            "samples": [sample]}, timeout=60)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "split"]
    mbpp = requests.post(f"{served}/v1/evaluate", json={"benchmark": "mbpp", "split": "validation", "samples": [
        {"task_id": "MBPP/511", "program": "pass"}]}, timeout=60)
    assert mbpp.status_code == 200 and mbpp.json()["results"][0]["verdict"] != "SE"


def peak_rss_mb(process: subprocess.Popen) -> float:
    with open(f"/proc/{process.pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def test_responses_stay_under_the_cap_and_verdicts_do_not_change():
    """10 tests whose program writes 16 MB to stderr, half of them 16 MB more to stdout after the
    right answer (lines: escapes in JSON): 400 MB echoed in full. Under a 24 MB cap the response
    is cut, flagged, and the verdicts are still those of the whole output; the server holds about
    a chunk and a response."""
    cap = 24 << 20
    process, base = start_server("--max-response-mb", "24")
    try:
        printer = ("import sys\nn = int(input())\nsys.stderr.write('e' * n)\nprint(5)\nif n % 2:\n"
                   "    print('x\\n' * (n // 2))\n")
        tests = [{"input": f"{16_000_000 + i}\n", "output": "5\n"} for i in range(10)]
        before = peak_rss_mb(process)
        answer = requests.post(f"{base}/v1/judge", json={"program": printer, "tests": tests,
                                                          "limits": {"output_bytes": 17 << 20}}, timeout=300)
        assert answer.status_code == 200 and len(answer.content) <= cap
        judged = answer.json()
        assert [test["verdict"] for test in judged["tests"]] == ["OK", "WA"] * 5 and judged["verdict"] == "WA"
        first, last = judged["tests"][0]["execution"], judged["tests"][-1]
        assert len(first["stderr"]) == 16_000_000 and "stderr_cut" not in first
        assert last["got_cut"] and last["execution"]["stdout_cut"] and last["execution"]["stderr_cut"]
        assert peak_rss_mb(process) - before < 700  # it grew by 1.6 GB when it echoed everything

        writer = ("import sys\nfor name in 'abc':\n    open(name, 'wb').write(bytes(10 << 20))\n"
                  "sys.stdout.write('o' * 900_000)\n")
        ran = requests.post(f"{base}/run_code", json={"code": writer, "language": "python",
                                                      "fetch_files": ["a", "b", "c"]}, timeout=120)
        assert ran.status_code == 200 and len(ran.content) <= cap
        body = ran.json()
        assert body["status"] == "Success" and len(body["run_result"]["stdout"]) == 900_000
        assert body["files_cut"] and [len(base64.b64decode(data)) for data in body["files"].values()] == [10 << 20]
    finally:
        assert stop_server(process)


def test_bad_input_is_refused_up_front(served):
    """Input no run can take gets a one-line 400 naming the field, not a SandboxError after two
    runs: a lone surrogate (JSON's "\\ud800"), files that collide or that the working directory
    cannot hold."""
    lone = "\ud800"
    cases = [
        ("/run_code", {"code": "print(1)", "language": "python", "stdin": lone}, "stdin: "),
        ("/run_code", {"code": f"# {lone}", "language": "python"}, "code: "),
        ("/run_code", {"code": "1", "language": "python", "files": {"./b": "", "b": ""}}, "files: './b' and 'b'"),
        ("/run_code", {"code": "1", "language": "python", "files": {"x": "", "x/y": ""}}, "files['x']: a file, but"),
        ("/run_code", {"code": "1", "language": "python", "files": {"solution.py": ""}}, "files['solution.py']: "),
        ("/run_code", {"code": "int main(){}", "language": "cpp", "files": {"main/x": ""}}, "files['main/x']: "),
        ("/run_code", {"code": "1", "language": "python", "files": {f"d{i}/f": "" for i in range(2100)}},
         "files: more than 4000"),
        ("/v1/judge", {"program": "print(1)", "tests": [{"input": lone, "output": "1"}]}, "tests[0]['input']: "),
        ("/v1/evaluate", {"benchmark": "humaneval", "samples": [{"task_id": "HumanEval/0", "completion": lone}]},
         "samples[0]['completion']: "),
    ]
    for path, body, detail in cases:
        answer = requests.post(f"{served}{path}", json=body, timeout=60)
        assert answer.status_code == 400, (detail, answer.text[:300])
        assert answer.json()["detail"].startswith(detail) and "\n" not in answer.json()["detail"], answer.text
    path = requests.post(f"{served}/run_code", json={"code": "1", "language": "python", "files": {lone: ""}},
                         timeout=10)
    assert path.status_code == 422 and path.json()["detail"][0]["input"] == lone  # the schema's, echoed as sent


def test_one_requests_test_code_never_reaches_another_requests_verdicts(sandbox):
    """A /v1/judge request whose set-up replaces json.dumps (every report would read as a pass)
    runs in harness servers of its own: the next request's wrong programs still fail."""
    from fastapi.testclient import TestClient

    from codeloop.serve import ServeConfig, create_app

    client = TestClient(create_app(ServeConfig(), sandbox=sandbox))
    poison = "import json\njson.dumps = lambda *a, **k: '{\"outcome\": \"pass\", \"equal\": true}'\n"
    wrong = "def add(a, b):\n    return a - b\n"
    for _ in range(2 * sandbox.workers):
        client.post("/v1/judge", json={"program": wrong, "tests": [
            {"kind": "expr", "input": "add(1, 2)", "output": "3", "setup": poison}] * 4})
    answer = client.post("/v1/judge", json={"program": wrong, "tests": [
        {"kind": "expr", "input": "add(2, 2)", "output": "4"}]}).json()
    assert answer["verdict"] == "WA"
    samples = [{"task_id": f"HumanEval/{index}", "completion": "    return None\n"} for index in range(4)]
    answer = client.post("/v1/evaluate", json={"benchmark": "humaneval", "samples": samples}).json()
    assert answer["passed"] == 0


def test_a_runs_leftovers_and_limits_stay_its_own(served):
    """SysV shared memory is refused; a run at 1024 MB leaves no limit behind for a 256 MB one; a
    program too large to compile on the host compiles in its run, under its time limit."""
    shm = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
           "print(libc.shmget(0x1234, 200 << 20, 0o1666), ctypes.get_errno())\n")
    answer = run_code(served, code=shm, language="python")
    assert answer["run_result"]["stdout"].split()[0] == "-1", answer
    hog = "x = bytearray({mb} << 20)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\nprint('held')\n"
    assert run_code(served, code=hog.format(mb=600), language="python", memory_limit_MB=1024,
                    run_timeout=10)["status"] == "Success"
    assert run_code(served, code=hog.format(mb=300), language="python", memory_limit_MB=256,
                    run_timeout=10)["status"] == "Failed"
    assert run_code(served, code=hog.format(mb=120), language="python", memory_limit_MB=256,
                    run_timeout=10)["status"] == "Success"
    fstring = "a = 1\nx = f\"" + "{a}" * 120_000 + "\"\n"
    answer = run_code(served, code=fstring, language="python", run_timeout=1)
    assert answer["run_result"]["status"] == "TimeLimitExceeded", answer["run_result"]


def test_a_path_the_file_system_refuses_is_a_400(sandbox):
    from fastapi.testclient import TestClient

    from codeloop.serve import ServeConfig, create_app

    client = TestClient(create_app(ServeConfig(), sandbox=sandbox), raise_server_exceptions=False)
    for field, value, named in (("files", {"a" * 300: ""}, "files: "), ("fetch_files", ["b" * 300], "fetch: ")):
        answer = client.post("/run_code", json={"code": "print(1)", "language": "python", field: value})
        assert answer.status_code == 400 and answer.json()["detail"].startswith(named), answer.text


def test_the_serve_load_benchmark_runs():
    """``benchmarks/serve_load.py --quick``: /run_code, /v1/judge and /v1/evaluate under load,
    figures per slot, and a slot killed mid-run with no answer lost, duplicated or wrong."""
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "serve_load.py"
    done = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["worker_killed"] == {"killed": 1, "lost": 0, "duplicated": 0, "wrong": 0}
    assert result["run_code_per_slot"] > 0 and result["judge_per_slot"] > 0 and result["evaluate_per_slot"] > 0
