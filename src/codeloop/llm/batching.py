"""Dynamic batching: concurrent ``chat`` calls answered by one batched generation.

``codeloop eval`` and the RL trainer play many episodes at once, each in its own thread, each
calling the model for one reply at a time. A local model on a GPU is far faster generating 100
replies together than one after another, so a ``Batcher`` collects the requests that arrive while
it is gathering (until ``quiet_s`` passes without a new one, ``max_wait_s`` passes, or
``max_batch`` prompts are waiting), hands them to ``generate`` in one call and gives each caller
its own results. Requests with different sampling settings go in separate calls.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from codeloop.llm.base import SamplingParams

Result = TypeVar("Result")


@dataclass
class _Request(Generic[Result]):
    prompts: list[list[int]]
    params: SamplingParams
    done: threading.Event = field(default_factory=threading.Event)
    results: list[Result] = field(default_factory=list)
    error: BaseException | None = None


class Batcher(Generic[Result]):
    """Calls ``generate(prompts, params)`` -> one result per prompt, for many threads at once.

    A worker thread runs while requests keep coming and ends after ``idle_s`` without one."""

    def __init__(self, generate: Callable[[list[list[int]], SamplingParams], list[Result]], max_batch: int,
                 quiet_s: float = 0.2, max_wait_s: float = 2.0, idle_s: float = 2.0) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self._generate, self.max_batch = generate, max_batch
        self._quiet_s, self._max_wait_s, self._idle_s = quiet_s, max_wait_s, idle_s
        self._queue: queue.Queue[_Request[Result]] = queue.Queue()
        self._lock = threading.Lock()
        self._running = False
        self.batch_sizes: list[int] = []  # prompts per generate call, for measuring

    def submit(self, prompts: list[list[int]], params: SamplingParams) -> list[Result]:
        """Block until ``prompts`` are generated (with whatever else is waiting); one result each."""
        request: _Request[Result] = _Request(prompts, params)
        with self._lock:
            self._queue.put(request)
            if not self._running:
                self._running = True
                threading.Thread(target=self._work, name="codeloop-batcher", daemon=True).start()
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.results

    def _work(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self._idle_s)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            self._run(self._gather(first))

    def _gather(self, first: _Request[Result]) -> list[_Request[Result]]:
        waiting, size = [first], len(first.prompts)
        deadline = time.monotonic() + self._max_wait_s
        while size < self.max_batch and (left := deadline - time.monotonic()) > 0:
            try:
                request = self._queue.get(timeout=min(self._quiet_s, left))
            except queue.Empty:
                break
            waiting.append(request)
            size += len(request.prompts)
        return waiting

    def _run(self, waiting: list[_Request[Result]]) -> None:
        groups: dict[SamplingParams, list[_Request[Result]]] = {}
        for request in waiting:  # the seed does not split a batch: one generator serves it
            groups.setdefault(replace(request.params, seed=None, n=1), []).append(request)
        for group in groups.values():
            prompts = [prompt for request in group for prompt in request.prompts]
            try:
                results = self._generate(prompts, group[0].params)
            except BaseException as error:  # handed to every caller of the batch, who re-raises it
                for request in group:
                    request.error = error
            else:
                self.batch_sizes.append(len(prompts))
                start = 0
                for request in group:
                    request.results = results[start:start + len(request.prompts)]
                    start += len(request.prompts)
            for request in group:
                request.done.set()
