"""Scale-out over a Ray cluster of two local nodes (two ``ray start`` processes), in one run.

A head node and a worker node, each offering ``--cpus`` CPUs, on 127.0.0.1. The same runs (a
Python program that spends ``--work-ms`` of CPU, then adds its two input numbers, each run its
own numbers, so every answer can be checked) go through ``RaySandbox`` first with the head
alone, then with both nodes: runs/s, runs/s per core, and the two-node / one-node ratio. Then
the worker node is killed (its raylet, SIGKILL) in the middle of a run of requests: every
request must still get its one right answer (none lost, none duplicated, none wrong); requests go
on until Ray has declared the node dead and its actor is dropped.

    python benchmarks/ray_scaleout.py [--runs 200] [--work-ms 50] [--cpus 1] [--clients 8] [--quick]

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from codeloop.sandbox import Limits
from codeloop.sandbox.ray_pool import RaySandbox
from codeloop.sandbox.sandbox import Run

PROGRAM = """import time
a, b = map(int, input().split())
end = time.process_time() + {work_s}
while time.process_time() < end:
    pass
print(a + b)
"""
RAY = str(Path(sys.executable).parent / "ray")
ENV = {**os.environ, "RAY_AUTH_MODE": "disabled"}  # a loopback test cluster


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raylets() -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as handle:
                    if handle.read().strip() == "raylet":
                        found.add(int(entry))
            except OSError:
                continue
    return found


def ray_start(*flags: str) -> None:
    """``ray start``; its daemons' own output (the raylet's log lines) goes nowhere."""
    subprocess.run([RAY, "start", "--node-ip-address=127.0.0.1", "--disable-usage-stats", *flags],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180, env=ENV)


def drive(sandbox: RaySandbox, program: str, runs: int, clients: int, start: int = 0,
          midway: threading.Event | None = None) -> tuple[float, dict[int, list[str]]]:
    """Requests ``start`` .. ``start + runs - 1`` from ``clients`` threads: (seconds, answers by request)."""
    answers: dict[int, list[str]] = {index: [] for index in range(start, start + runs)}
    lock = threading.Lock()

    def one(index: int) -> None:
        if midway is not None and index == start + runs // 4:
            midway.set()
        execution = sandbox.execute(Run(program, stdin=f"{index} {index}\n", limits=Limits(cpu_s=5)))
        with lock:
            answers[index].append(execution.stdout if execution.ok else f"<{execution.verdict}>")

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, answers))
    return time.perf_counter() - began, answers


def check(answers: dict[int, list[str]]) -> dict[str, int]:
    return {"lost": sum(not got for got in answers.values()),
            "duplicated": sum(len(got) > 1 for got in answers.values()),
            "wrong": sum(bool(got) and got[0] != f"{2 * index}\n" for index, got in answers.items())}


def measure(address: str, program: str, runs: int, clients: int, name: str, cores: int) -> float:
    with RaySandbox(address) as sandbox:
        drive(sandbox, program, 2 * clients, clients)  # warm-up: actors started, first runs done
        seconds, answers = drive(sandbox, program, runs, clients)
        assert check(answers) == {"lost": 0, "duplicated": 0, "wrong": 0}, check(answers)
        slots = sandbox.workers
    rate = runs / seconds
    print(f"{name:28s} {slots} slots  {rate:7.0f} runs/s   {rate / cores:6.0f} runs/s per core")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per measurement")
    parser.add_argument("--work-ms", type=float, default=50.0, help="CPU each run spends before it answers")
    parser.add_argument("--cpus", type=int, default=1, help="CPUs each node offers (and sandbox slots it runs)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent requests")
    parser.add_argument("--quick", action="store_true", help="40 runs: a check that it works, not a figure")
    args = parser.parse_args()
    runs = 40 if args.quick else args.runs
    program = PROGRAM.format(work_s=args.work_ms / 1000)
    port = free_port()
    address = f"127.0.0.1:{port}"
    print(f"{runs} runs of {args.work_ms:g} ms CPU, {args.clients} clients, nodes of {args.cpus} CPU "
          f"on {os.cpu_count()} cores")
    ray_start("--head", f"--port={port}", f"--num-cpus={args.cpus}", "--include-dashboard=false")
    try:
        one = measure(address, program, runs, args.clients, "one node (head)", args.cpus)
        before = raylets()
        ray_start(f"--address={address}", f"--num-cpus={args.cpus}")
        worker = raylets() - before
        two = measure(address, program, runs, args.clients, "two nodes", 2 * args.cpus)
        print(f"two nodes / one node: {two / one:.2f}x")
        midway = threading.Event()

        def kill_worker_node() -> None:
            midway.wait()
            for pid in worker:
                os.kill(pid, signal.SIGKILL)

        with RaySandbox(address) as sandbox:
            nodes_before = len(sandbox._nodes)
            killer = threading.Thread(target=kill_worker_node)
            killer.start()
            seconds, answers = drive(sandbox, program, runs, args.clients, midway=midway)
            killer.join()
            sent = runs
            while len(sandbox._nodes) > 1 and seconds < 120:  # until Ray has declared the node dead and
                more_seconds, more = drive(sandbox, program, runs, args.clients, start=sent)  # its actor is dropped
                answers.update(more)
                seconds, sent = seconds + more_seconds, sent + runs
            nodes_after = len(sandbox._nodes)
        outcome = check(answers)
        print(f"worker node killed mid-run ({nodes_before} -> {nodes_after} nodes, {seconds:.1f} s): "
              f"{outcome['lost']} lost, {outcome['duplicated']} duplicated, {outcome['wrong']} wrong of {sent}")
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True, timeout=180, env=ENV)
    print(json.dumps({"runs": runs, "work_ms": args.work_ms, "cpus_per_node": args.cpus,
                      "one_node_runs_s": round(one, 1), "two_nodes_runs_s": round(two, 1),
                      "scale_out": round(two / one, 3),
                      "per_core_two_nodes": round(two / (2 * args.cpus), 1), "killed_node": outcome,
                      "nodes_after_kill": nodes_after}))


if __name__ == "__main__":
    main()
