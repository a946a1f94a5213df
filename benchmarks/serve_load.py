"""``codeloop serve`` under load, against the in-process sandbox pool, in one run.

Bounded clients (``--clients`` threads, each waiting for its answer before sending the next)
send SandboxFusion ``/run_code`` requests over loopback: a Python program that reads two numbers
and prints their sum, each request its own numbers, so every answer can be checked. The same
programs then go through an in-process ``Sandbox`` at the same concurrency. Reported: sustained
runs/s and runs/s per sandbox slot (a slot is a core: a 64-core node's rate is about 64 times
it), p50 and p99 latency, and the ratio. The batch endpoints next: ``/v1/judge`` (one program on
``--tests`` stdin tests a request: tests/s) and ``/v1/evaluate`` (the 164 HumanEval canonical
solutions in one request: samples/s), each per slot too. Then the served ``/run_code`` run again
while one sandbox worker (a slot's supervisor, process ``cl-slot``) is killed mid-run: every
request must still get its one right answer (none lost, none duplicated, none wrong). Last,
``codeloop evaluate`` on the same 164 solutions with ``--ray`` (a local Ray instance started for
the run) against the local pool: pass@1 and samples/s, whole commands. Two Ray nodes:
``benchmarks/ray_scaleout.py``.

    python benchmarks/serve_load.py [--requests 600] [--clients 8] [--jobs N] [--tests 20] [--no-ray] [--quick]

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from codeloop.sandbox import Limits, Sandbox
from codeloop.sandbox.sandbox import Run

PROGRAM = "a, b = map(int, input().split())\nprint(a + b)\n"
CODELOOP = str(Path(sys.executable).parent / "codeloop")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(jobs: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([CODELOOP, "serve", "--port", str(port), "--jobs", str(jobs)])
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(f"{base}/v1/ping", timeout=1)
            return process, base
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("codeloop serve did not start")


def drive(call: Callable[[int], str], count: int, clients: int) -> tuple[float, list[float], dict[int, list[str]]]:
    """Send ``count`` requests from ``clients`` threads: (seconds, latencies, answers by request)."""
    latencies: list[float] = []
    answers: dict[int, list[str]] = {index: [] for index in range(count)}
    lock = threading.Lock()

    def one(index: int) -> None:
        started = time.perf_counter()
        answer = call(index)
        with lock:
            latencies.append(time.perf_counter() - started)
            answers[index].append(answer)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started, latencies, answers


def served_call(base: str) -> Callable[[int], str]:
    session = threading.local()

    def call(index: int) -> str:
        if not hasattr(session, "http"):
            session.http = requests.Session()
        body = {"code": PROGRAM, "language": "python", "stdin": f"{index} {index}\n", "run_timeout": 5}
        answer = session.http.post(f"{base}/run_code", json=body, timeout=60).json()
        return (answer.get("run_result") or {}).get("stdout") or f"<{answer.get('status')}>"
    return call


def local_call(sandbox: Sandbox) -> Callable[[int], str]:
    def call(index: int) -> str:
        execution = sandbox.execute(Run(PROGRAM, stdin=f"{index} {index}\n", limits=Limits(cpu_s=5, wall_s=5)))
        return execution.stdout if execution.ok else f"<{execution.verdict}>"
    return call


def report(name: str, seconds: float, latencies: list[float], count: int, slots: int, unit: str = "runs") -> float:
    cuts = statistics.quantiles(latencies, n=100)
    rate = count / seconds
    print(f"{name:34s} {rate:8.0f} {unit}/s  {rate / slots:6.0f} per slot   p50 {cuts[49] * 1000:7.1f} ms   "
          f"p99 {cuts[98] * 1000:7.1f} ms")
    return rate


def judge_call(base: str, tests: int) -> Callable[[int], str]:
    """``/v1/judge``: the adding program on ``tests`` stdin tests of its own; "ok" when all pass."""
    session = threading.local()

    def call(index: int) -> str:
        if not hasattr(session, "http"):
            session.http = requests.Session()
        cases = [{"kind": "stdio", "input": f"{index} {k}\n", "output": f"{index + k}\n"} for k in range(tests)]
        answer = session.http.post(f"{base}/v1/judge", json={"program": PROGRAM, "tests": cases}, timeout=120).json()
        return "ok" if answer.get("passed") else f"<{answer.get('verdict')}>"
    return call


def humaneval_samples() -> list[dict]:
    from codeloop.tasks import load
    return [{"task_id": task.id, "program": task.references[0].program} for task in load("humaneval")]


def check(answers: dict[int, list[str]]) -> tuple[int, int, int]:
    """(lost, duplicated, wrong) among the answers."""
    lost = sum(1 for got in answers.values() if not got)
    duplicated = sum(1 for got in answers.values() if len(got) > 1)
    wrong = sum(1 for index, got in answers.items() if got and got[0] != f"{2 * index}\n")
    return lost, duplicated, wrong


def slot_processes(root: int) -> list[int]:
    """The ``cl-slot`` processes under process ``root``."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    text = handle.read()
            except OSError:
                continue
            names[int(entry)] = text[text.index("(") + 1:text.rindex(")")]
            children.setdefault(int(text.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        if names.get(pid) == "cl-slot":
            found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def evaluate_ray_against_local() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        samples = Path(scratch) / "samples.jsonl"
        tasks = humaneval_samples()
        samples.write_text("".join(json.dumps(record) + "\n" for record in tasks))
        for name, extra in (("local pool", []), ("--ray (local instance)", ["--ray"])):
            out = Path(scratch) / f"{len(extra)}.jsonl"
            started = time.perf_counter()
            result = subprocess.run([CODELOOP, "evaluate", str(samples), "--benchmark", "humaneval", "--no-progress",
                                     "--out", str(out), *extra], capture_output=True, text=True, check=True)
            seconds = time.perf_counter() - started
            summary = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"evaluate, 164 canonical, {name:22s} pass@1 {summary['pass@1']:.3f}   {seconds:5.2f} s   "
                  f"{len(tasks) / seconds:5.0f} samples/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per measured run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="sandbox slots, both sides")
    parser.add_argument("--tests", type=int, default=20, help="tests per /v1/judge request")
    parser.add_argument("--no-ray", action="store_true", help="leave out the Ray run of codeloop evaluate")
    parser.add_argument("--quick", action="store_true", help="60 requests, no Ray: a check that it works")
    args = parser.parse_args()
    count = 60 if args.quick else args.requests
    figures: dict[str, object] = {"slots": args.jobs, "requests": count}
    print(f"{count} requests, {args.clients} clients, {args.jobs} sandbox slots, loopback")
    process, base = start_server(args.jobs)
    try:
        drive(served_call(base), 2 * args.clients, args.clients)  # warm-up
        seconds, latencies, answers = drive(served_call(base), count, args.clients)
        served = report("codeloop serve (/run_code)", seconds, latencies, count, args.jobs)
        assert check(answers) == (0, 0, 0), check(answers)
        with Sandbox(workers=args.jobs) as sandbox:
            drive(local_call(sandbox), 2 * args.clients, args.clients)
            seconds, latencies, answers = drive(local_call(sandbox), count, args.clients)
            local = report("in-process Sandbox (same runs)", seconds, latencies, count, args.jobs)
            assert check(answers) == (0, 0, 0), check(answers)
        print(f"served / in-process throughput: {served / local:.2f}")
        figures.update(run_code_runs_s=round(served, 1), run_code_per_slot=round(served / args.jobs, 1),
                       in_process_runs_s=round(local, 1))

        judged = max(count // args.tests * 2, args.clients)
        seconds, latencies, answers = drive(judge_call(base, args.tests), judged, args.clients)
        assert all(got == ["ok"] for got in answers.values()), answers
        rate = report(f"/v1/judge ({args.tests} tests a request)", seconds, [t / args.tests for t in latencies],
                      judged * args.tests, args.jobs, "tests")
        figures.update(judge_tests_s=round(rate, 1), judge_per_slot=round(rate / args.jobs, 1))
        samples = humaneval_samples()
        started = time.perf_counter()
        answer = requests.post(f"{base}/v1/evaluate", json={"benchmark": "humaneval", "samples": samples},
                               timeout=600).json()
        seconds = time.perf_counter() - started
        passed = answer["passed"]
        rate = len(samples) / seconds
        print(f"/v1/evaluate (164 HumanEval canonical)  {rate:6.0f} samples/s {rate / args.jobs:6.0f} per slot   "
              f"{passed}/{len(samples)} passed")
        assert passed == len(samples)
        figures.update(evaluate_samples_s=round(rate, 1), evaluate_per_slot=round(rate / args.jobs, 1))

        killed: list[int] = []

        def kill_one_worker() -> None:
            time.sleep(0.5 if not args.quick else 0.05)
            slots = slot_processes(process.pid)
            if slots:
                os.kill(slots[0], signal.SIGKILL)
                killed.append(slots[0])

        killer = threading.Thread(target=kill_one_worker)
        killer.start()
        seconds, latencies, answers = drive(served_call(base), count, args.clients)
        killer.join()
        lost, duplicated, wrong = check(answers)
        report(f"serve, a worker killed ({len(killed)})", seconds, latencies, count, args.jobs)
        print(f"with a worker killed mid-run: {lost} lost, {duplicated} duplicated, {wrong} wrong of {count}")
        figures["worker_killed"] = {"killed": len(killed), "lost": lost, "duplicated": duplicated, "wrong": wrong}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    if not (args.no_ray or args.quick):
        evaluate_ray_against_local()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
