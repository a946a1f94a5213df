"""Sandboxes on a Ray cluster, behind the ``Sandbox`` interface: ``RaySandbox``.

One actor per node holds a ``Sandbox`` with that node's cores as workers. A run goes to the
actor with the most room (at most ``JOBS_PER_SLOT`` runs per slot in flight on each: the rest
wait here, which is the backpressure). An actor that dies (its node lost, the process killed) is
replaced on the same node if it is still alive, else dropped, and the runs it had are sent again:
each ``execute`` call returns exactly one ``Execution``, so nothing is counted twice or lost.
Generation stays where the model backend is; only programs travel (a ``Run`` and its
``Execution`` are plain dataclasses).

    with RaySandbox("127.0.0.1:6379") as sandbox:   # None: a local Ray instance for the run
        Judge(sandbox).judge(program, tests)
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Sequence
from typing import Any

from codeloop.sandbox.build import Build
from codeloop.sandbox.languages import Language
from codeloop.sandbox.runs import Execution, Verdict
from codeloop.sandbox.sandbox import JOBS_PER_SLOT, Run, Sandbox

RETRIES = 3  # sends of one run to replaced actors before it is a sandbox error


class _Actor:
    """The code of a node's actor: a ``Sandbox`` over that node's cores."""

    def __init__(self, workers: int, python_env: str | None, preload: tuple[str, ...]) -> None:
        self.sandbox = Sandbox(workers=workers, python_env=python_env, preload=preload)

    def workers(self) -> int:
        return self.sandbox.workers

    def source_path(self, filename: str) -> str:
        return self.sandbox.source_path(filename)

    def execute(self, run: Run) -> Execution:
        return self.sandbox.execute(run)

    def syntax_error(self, source: str, filename: str) -> Exception | None:
        return self.sandbox.syntax_error(source, filename)

    def build(self, source: str, lang: Language) -> Build:
        """The compile's outcome without its artefacts (they stay in this node's cache)."""
        build = self.sandbox.build(source, lang)
        return Build(error=build.error, cpu_s=build.cpu_s, sandbox_failed=build.sandbox_failed,
                     timed_out=build.timed_out)


class _Node:
    def __init__(self, node_id: str, cpus: int, remote: Any, packages: tuple) -> None:
        self.node_id, self.cpus, self.remote, self.packages = node_id, cpus, remote, packages
        self.actor = self.start()
        self.workers = 0
        self.in_flight = 0

    def start(self) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        strategy = NodeAffinitySchedulingStrategy(self.node_id, soft=False)
        return self.remote.options(scheduling_strategy=strategy, num_cpus=0,
                                   max_concurrency=(JOBS_PER_SLOT + 1) * self.cpus).remote(self.cpus, *self.packages)


class RaySandbox:
    """``Sandbox``'s interface (``execute``, ``run``, ``build``, ``workers``, ``threads``,
    ``source_path``, ``close``) over a sandbox actor on every alive node of a Ray cluster;
    ``python_env`` and ``preload`` as ``Sandbox``'s (the environment's path must exist on every node)."""

    def __init__(self, address: str | None = None, python_env: str | None = None, preload: Sequence[str] = ()) -> None:
        import ray

        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        remote = ray.remote(_Actor)
        self._nodes = [_Node(node["NodeID"], int(node["Resources"].get("CPU", 1)), remote, (python_env, tuple(preload)))
                       for node in ray.nodes() if node["Alive"]]
        if not self._nodes:
            raise RuntimeError("the Ray cluster has no alive node")
        for node in self._nodes:
            node.workers = ray.get(node.actor.workers.remote())
        self._path = ray.get(self._nodes[0].actor.source_path.remote("solution.py"))
        self._room = threading.Condition()
        self.replaced = 0  # actors started again after one died

    @property
    def workers(self) -> int:
        return sum(node.workers for node in self._nodes)

    @property
    def threads(self) -> int:
        return (JOBS_PER_SLOT + 1) * self.workers

    @property
    def running(self) -> bool:
        return bool(self._nodes)

    def source_path(self, filename: str = "solution.py") -> str:
        return posixpath.join(posixpath.dirname(self._path), filename)

    def run(self, source: str, **fields: Any) -> Execution:
        return self.execute(Run(source, **fields))

    def execute(self, request: Run) -> Execution:
        return self._call("execute", request) or Execution(Verdict.SE, error="no Ray actor could run it")

    def build(self, source: str, lang: Language) -> Build:
        return self._call("build", source, lang) or Build(error="no Ray actor could compile it", sandbox_failed=True)

    def syntax_error(self, source: str, filename: str = "solution.py") -> Exception | None:
        """As ``Sandbox.syntax_error``, on a node (None if none answers: the runs then tell)."""
        return self._call("syntax_error", source, filename)

    def _call(self, method: str, *args: Any) -> Any:
        from ray.exceptions import RayActorError

        for _ in range(RETRIES):
            node = self._take()
            if node is None:
                return None
            actor = node.actor
            try:
                return self._ray.get(getattr(actor, method).remote(*args))
            except RayActorError:
                self._replace(node, actor)
            finally:
                with self._room:
                    node.in_flight -= 1
                    self._room.notify()
        return None

    def _take(self) -> _Node | None:
        """The node with the most room, once one has room (None: no node left)."""
        with self._room:
            while True:
                if not self._nodes:
                    return None
                node = min(self._nodes, key=lambda n: n.in_flight / n.workers)
                if node.in_flight < JOBS_PER_SLOT * node.workers:
                    node.in_flight += 1
                    return node
                self._room.wait()

    def _replace(self, node: _Node, dead: Any) -> None:
        """Start ``node``'s actor again (once, however many runs saw it die), or drop the node."""
        with self._room:
            if node.actor is not dead or node not in self._nodes:  # replaced or dropped already
                return
            alive = {n["NodeID"] for n in self._ray.nodes() if n["Alive"]}
            if node.node_id in alive:
                node.actor = node.start()
                self.replaced += 1
            else:
                self._nodes.remove(node)
            self._room.notify_all()

    def close(self) -> None:
        for node in self._nodes:
            self._ray.kill(node.actor)
        self._nodes = []
        if self._started:
            self._ray.shutdown()

    def __enter__(self) -> RaySandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_sandbox(workers: int | None = None, ray: str | None = None, python_env: str | None = None,
                 preload: Sequence[str] = ()) -> Sandbox | RaySandbox:
    """A local ``Sandbox``, or with ``ray`` (an address, or "local" for a Ray instance started
    for the run) a ``RaySandbox``; ``python_env`` and ``preload`` as ``Sandbox``'s."""
    if ray is None:
        return Sandbox(workers=workers, python_env=python_env, preload=preload)
    return RaySandbox(None if ray == "local" else ray, python_env, preload)
