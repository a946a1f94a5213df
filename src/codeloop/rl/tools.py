"""Code as a tool for agentic RL: the model runs code mid-reasoning, then submits a program.

- ``run_code_tool(sandbox)``: a stateless ``run_code(code) -> str`` (a fresh sandboxed run each
  call), for ``GRPOTrainer(tools=[...])`` or any tool-calling loop.
- ``CodeEnvironment`` (``code_environment(...)`` makes TRL's factory): TRL's
  ``environment_factory`` class (TRL >= 0.29). Its public methods are the model's tools:
  ``run_code`` runs a cell in the episode's session (``codeloop.sandbox.session``: globals,
  imports and files persist between calls), ``submit`` hands in the final program. ``reset(**row)``
  starts an episode on the row's ``task_id`` (ending the last one's session); ``get_reward()``
  ends the episode: its session closed, its reward returned.
- ``CodeInterpreterTool``: a tool for verl's tool agent loop, named in verl's tool config
  (``class_name: codeloop.rl.tools.CodeInterpreterTool``, ``config: {type: native, ...}``, and
  the ``tool_schema`` of ``TOOL_SCHEMA``). verl creates and releases a tool instance around every
  call, so the session is kept per episode (``agent_data.request_id``) and ends when idle for
  ``idle_s`` or at its limits.

Sessions are local (``SessionPool``) or a ``codeloop serve``'s (``RemoteSessions(url)``, the
``/v1/sessions`` endpoints). The reward is never the session's word: ``submit`` judges the
program on the task's hidden tests in fresh runs (``Judge``), and only the first submission of
an episode counts (a model cannot probe the hidden tests by submitting again). Reward: RLEF's
``outcome_reward`` (+1 pass, -1 fail; partial credit with ``partial=True``); no submission, or
one without code, gets -1.2 as a reply without code does.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from codeloop.judge import Judge
from codeloop.loop import LoopConfig, assemble_program, extract_code
from codeloop.loop.episode import task_limits
from codeloop.rl.env import FAIL_REWARD, INVALID_PENALTY, outcome_reward, tasks_by_id
from codeloop.sandbox import Limits, Run, Sandbox
from codeloop.sandbox.session import CellOutput, SessionEnded
from codeloop.tasks import Task

TOOL_SCHEMA = {"type": "function", "function": {
    "name": "run_code", "description": "Run Python code in a persistent session: variables, imports and files "
                                       "persist between calls; a last expression's value is printed.",
    "parameters": {"type": "object", "properties": {"code": {"type": "string", "description": "Python source"}},
                   "required": ["code"]}}}


class Cell(Protocol):
    alive: bool

    def run(self, code: str) -> CellOutput: ...
    def close(self) -> object: ...


class Sessions(Protocol):
    """Where sessions come from: ``SessionPool`` (local) or ``RemoteSessions`` (a service)."""

    def open(self) -> Cell: ...


class RemoteSessions:
    """Sessions of a ``codeloop serve`` at ``url`` (``/v1/sessions``), with its bearer ``token``."""

    def __init__(self, url: str, token: str | None = None, timeout_s: float = 120.0) -> None:
        import httpx
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout_s)

    def open(self) -> RemoteSession:
        response = self.client.post("/v1/sessions")
        response.raise_for_status()
        return RemoteSession(self.client, str(response.json()["session_id"]))


class RemoteSession:
    def __init__(self, client: Any, session_id: str) -> None:
        self.client, self.path, self.alive = client, f"/v1/sessions/{session_id}", True

    def run(self, code: str) -> CellOutput:
        response = self.client.post(self.path + "/run", json={"code": code})
        if response.status_code == 404:
            self.alive = False
            raise SessionEnded("the session has ended: open a new one")
        response.raise_for_status()
        fields = response.json()
        self.alive = fields.get("alive") is True
        return CellOutput(**{name: str(fields.get(name, "")) for name in ("stdout", "stderr", "error")})

    def close(self) -> None:
        if self.alive:
            self.alive = False
            self.client.delete(self.path)


class EpisodeSession:
    """One episode's session, opened at its first call and opened again (the model is told) after
    one has ended (a call past its time limit, the session's limits)."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions, self.session, self.lost = sessions, None, False
        self.used = time.monotonic()
        self._lock = threading.Lock()  # a model's parallel calls: one session, one call at a time

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def run(self, code: str) -> str:
        with self._lock:
            self.used = time.monotonic()
            for _ in range(2):  # a session that ended while idle (its lifetime) is replaced once
                note = ""
                if self.session is None:
                    self.session = self.sessions.open()
                    note = "(a new session: earlier variables are gone)\n" if self.lost else ""
                try:
                    output = self.session.run(code)
                except SessionEnded:
                    self.session, self.lost = None, True
                    continue
                if not self.session.alive:  # the session's own word, never the cell's output
                    self.session.close()
                    self.session, self.lost = None, True
                return note + output.text()
            raise SessionEnded("a new session ended before its first call")

    def close(self) -> None:
        with self._lock:
            if self.session is not None:
                self.session.close()
                self.session = None


@dataclass
class Submission:
    """An episode's first submitted program and its reward."""

    reward: float
    passed: bool
    summary: str


def judge_submission(judge: Judge, task: Task, text: str, language: str = "python",
                     partial: bool = False) -> Submission:
    """Judge a submitted program (fenced or bare) on the task's hidden tests."""
    code = extract_code(text, task.entry_point, language)
    if code is None:
        return Submission(FAIL_REWARD + INVALID_PENALTY, False, "no code found in the submission")
    judgement = judge.judge(assemble_program(task, code), task.hidden_tests, task_limits(task, LoopConfig()),
                            language=language)
    share = judgement.fraction if partial else float(judgement.passed)
    passed = sum(result.verdict == "OK" for result in judgement.results)
    return Submission(outcome_reward(share), judgement.passed,
                      f"passed {passed} of {len(task.hidden_tests)} hidden tests")


class CodeEnvironment:
    """TRL's environment for one rollout at a time (see the module's docstring)."""

    def __init__(self, tasks: dict[str, Task], judge: Judge, sessions: Sessions, partial: bool = False) -> None:
        self._tasks, self._judge, self._sessions = tasks_by_id(tasks.values()), judge, sessions
        self._partial = partial
        self._task: Task | None = None
        self._session: EpisodeSession | None = None
        self._submission: Submission | None = None

    def reset(self, **row: object) -> None:
        """Start an episode on ``row["task_id"]`` (the prompt is the dataset's own)."""
        self._end()
        if "task_id" not in row:
            raise KeyError("a code environment's dataset row needs a 'task_id' field")
        self._task = self._tasks[str(row["task_id"])]
        self._session, self._submission = EpisodeSession(self._sessions), None

    def run_code(self, code: str) -> str:
        """Run Python code in this episode's session; variables, imports and files persist between calls.

        Args:
            code: Python source to run; the value of a last expression is printed.

        Returns:
            What the code printed, then its error if it raised one.
        """
        if self._session is None:
            raise RuntimeError("run_code before reset")
        return self._session.run(code)

    def submit(self, code: str) -> str:
        """Submit the final solution to be graded on hidden tests; only the first submission counts.

        Args:
            code: The complete solution program.

        Returns:
            The grade of the submission.
        """
        if self._task is None:
            raise RuntimeError("submit before reset")
        if self._submission is not None:
            return "already submitted: only the first submission counts"
        self._submission = judge_submission(self._judge, self._task, code, partial=self._partial)
        return "submitted: " + self._submission.summary

    def get_reward(self) -> float:
        """The episode's reward (its first submission's); ends the episode's session."""
        self._end()
        return self._submission.reward if self._submission else FAIL_REWARD + INVALID_PENALTY

    def _end(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __del__(self) -> None:
        self._end()


def code_environment(tasks: Sequence[Task], judge: Judge, sessions: Sessions,
                     partial: bool = False) -> Callable[[], CodeEnvironment]:
    """TRL's ``environment_factory``: ``GRPOTrainer(environment_factory=code_environment(...))``."""
    by_id = tasks_by_id(tasks)  # checked as soon as the factory is made, not at its first rollout
    return lambda: CodeEnvironment(by_id, judge, sessions, partial)


def run_code_tool(sandbox: Sandbox, limits: Limits = Limits(cpu_s=10, memory_mb=1024)) -> Callable[[str], str]:
    """A stateless code tool: each call is a fresh sandboxed run of ``code``."""

    def run_code(code: str) -> str:
        """Run a Python program in a fresh sandbox and return what it printed.

        Args:
            code: A complete Python program.

        Returns:
            Its standard output, then its standard error and verdict if it failed.
        """
        execution = sandbox.execute(Run(code, limits=limits))
        verdict = "" if execution.ok else f"[verdict: {execution.verdict}]"
        return CellOutput(execution.stdout, execution.stderr, verdict).text()  # as a session's output reads

    return run_code


class _Reply:
    """verl's ``ToolResponse`` in shape (``text``, ``image``, ``video``), when verl is not importable."""

    def __init__(self, text: str) -> None:
        self.text, self.image, self.video = text, None, None


class CodeInterpreterTool:
    """verl's tool interface (``verl.tools.base_tool.BaseTool``'s methods) over codeloop sessions.

    ``config``: ``url`` and ``token`` of a ``codeloop serve`` (its sessions), or, local, ``workers``
    (open sessions at most, default 8: the episodes a worker plays at once), ``cpu_s``,
    ``wall_s``, ``memory_mb`` (per session), ``call_timeout_s`` (per call), ``python_env``,
    ``preload``; ``idle_s`` (default 300): a session unused that long is ended. With ``workers``
    episodes holding sessions, a new episode's first call ends the least recently used one's (that
    episode, if it calls again, gets a new session and is told). A call without verl's
    ``agent_data`` (older verl) has a session for its tool instance alone, ended at ``release``."""

    def __init__(self, config: dict, tool_schema: object = None) -> None:
        self.config, self.tool_schema = dict(config), tool_schema
        self.name = getattr(getattr(tool_schema, "function", None), "name", TOOL_SCHEMA["function"]["name"])
        self.idle_s = float(self.config.get("idle_s", 300))
        self.workers = int(self.config.get("workers", 8))
        # calls wait up to their time limit: threads of their own, one per session at once
        self._threads = ThreadPoolExecutor(self.workers + 2, thread_name_prefix="code-tool")
        if self.config.get("url"):
            self.sessions: Sessions = RemoteSessions(self.config["url"], self.config.get("token"))
        else:
            from codeloop.sandbox.session import SessionPool
            limits = Limits(cpu_s=float(self.config.get("cpu_s", 60)), wall_s=float(self.config.get("wall_s", 600)),
                            memory_mb=int(self.config.get("memory_mb", 1024)))
            self.sessions = SessionPool(self.workers, limits=limits,
                                        call_timeout_s=float(self.config.get("call_timeout_s", 10)),
                                        python_env=self.config.get("python_env"),
                                        preload=tuple(self.config.get("preload", ())))
        self._episodes: dict[str, EpisodeSession] = {}
        self._evicted: dict[str, bool] = {}  # episodes whose session was ended while they may go on
        self._lock = threading.Lock()

    def get_openai_tool_schema(self) -> object:
        return self.tool_schema

    async def create(self, instance_id: str | None = None, **kwargs: object) -> tuple[str, object]:
        from uuid import uuid4
        return instance_id or uuid4().hex, _response("")

    async def execute(self, instance_id: str, parameters: dict[str, Any],
                      **kwargs: object) -> tuple[object, float, dict]:
        """Run ``parameters["code"]`` in the episode's session (the episode: ``agent_data.request_id``)."""
        key = str(getattr(kwargs.get("agent_data"), "request_id", None) or instance_id)
        code = parameters.get("code")
        if not isinstance(code, str):
            return _response("error: run_code takes a string argument 'code'"), 0.0, {}
        loop = asyncio.get_running_loop()
        episode = await loop.run_in_executor(self._threads, self._episode, key)
        try:
            text = await loop.run_in_executor(self._threads, episode.run, code)
        except (ValueError, TimeoutError, OSError, SessionEnded) as error:  # the model reads why, verl goes on
            text = f"error: {error}"
        return _response(text), 0.0, {}

    async def calc_reward(self, instance_id: str, **kwargs: object) -> float:
        return 0.0  # the episode's reward is its final program's (compute_score, codeloop.rl.verl_reward)

    async def release(self, instance_id: str, **kwargs: object) -> None:
        """verl releases after every call: an episode's session outlives it (``idle_s``), a tool
        instance's own (no ``agent_data``) does not."""
        with self._lock:
            episode = self._episodes.pop(instance_id, None)
        if episode is not None:
            await asyncio.get_running_loop().run_in_executor(self._threads, episode.close)

    def _episode(self, key: str) -> EpisodeSession:
        """The episode's session keeper, made now if new; sessions idle past ``idle_s`` are ended,
        and, when ``workers`` sessions are open, the least recently used idle one (a session
        running a call is never ended for another)."""
        now = time.monotonic()
        with self._lock:
            ending = [name for name, episode in self._episodes.items()
                      if name != key and now - episode.used > self.idle_s and not episode.busy]
            holding = [name for name, episode in self._episodes.items()
                       if name not in ending and episode.session is not None]
            if key not in self._episodes and len(holding) >= self.workers:
                idle = [name for name in holding if not self._episodes[name].busy]
                ending += sorted(idle, key=lambda name: self._episodes[name].used)[:1]
            ended = [self._episodes.pop(name) for name in ending]
            for name in ending:
                self._evicted[name] = True
            while len(self._evicted) > 4096:  # episodes long over: forgotten
                self._evicted.pop(next(iter(self._evicted)))
            episode = self._episodes.get(key)
            if episode is None:
                episode = self._episodes[key] = EpisodeSession(self.sessions)
                episode.lost = self._evicted.pop(key, False)  # ended for another episode: it is told
            episode.used = now
        for old in ended:
            old.close()
        return episode


def _response(text: str) -> object:
    try:
        from verl.tools.schemas import ToolResponse
    except ImportError:
        return _Reply(text)
    return ToolResponse(text=text)
