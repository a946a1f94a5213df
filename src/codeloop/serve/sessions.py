"""``codeloop serve``'s sessions (``/v1/sessions``): a live sandboxed Python process per agent
episode, its globals kept between calls (``codeloop.sandbox.session``), for code-as-a-tool RL.

- ``POST /v1/sessions`` opens one: ``{"session_id"}`` (201); 429 with ``Retry-After`` when all
  ``sessions`` slots hold one.
- ``POST /v1/sessions/{id}/run`` ``{"code", "timeout_s"}`` runs a cell: ``{"stdout", "stderr",
  "error", "alive"}``; ``alive: false`` once the session has ended (a call past its time limit,
  its CPU, memory or lifetime limit), and the next call gets 404. A call to a session that is
  running another gets 409: it would hold one of the service's threads while it waits.
- ``DELETE /v1/sessions/{id}`` ends it: the process's verdict, CPU and wall time.

A session id is 32 random bytes (``secrets``), the only way to reach a session: a client cannot
name another's. The service's fork server for sessions (a ``SessionPool``) starts at the first
open; its sessions end at shutdown or at their lifetime limit (``wall_s``) if never closed.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from codeloop.sandbox import Limits
from codeloop.sandbox.session import SESSION_LIMITS, Session, SessionEnded, SessionPool
from codeloop.serve.fusion import BadRequest, refuse_surrogates

SESSIONS = "/v1/sessions"


class CellRequest(BaseModel):
    code: str
    timeout_s: float | None = Field(None, gt=0, description="at most the service's per-call limit")


class Opened(BaseModel):
    session_id: str


class CellResponse(BaseModel):
    stdout: str
    stderr: str
    error: str = Field(description="the cell's traceback, or why the session ended; empty if neither")
    alive: bool


class Ended(BaseModel):
    verdict: str
    cpu_s: float
    wall_s: float


class Sessions:
    """The service's open sessions by id, on a pool started at the first open."""

    def __init__(self, workers: int, limits: Limits, call_timeout_s: float, python_env: str | None,
                 preload: tuple[str, ...]) -> None:
        self.workers, self.limits, self.call_timeout_s = workers, limits, call_timeout_s
        self.python_env, self.preload = python_env, preload
        self.pool: SessionPool | None = None
        self.open: dict[str, Session] = {}
        self.busy: set[str] = set()  # sessions running a call (touched on the event loop only)
        self.lock = threading.Lock()
        # a call waits up to its time limit: threads of their own, not the service's run pool
        self.executor = ThreadPoolExecutor(workers + 2, thread_name_prefix="sessions")

    async def call(self, function: Any, *args: object) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    def start(self) -> str:
        with self.lock:
            if self.pool is None:
                self.pool = SessionPool(self.workers, limits=self.limits, call_timeout_s=self.call_timeout_s,
                                        python_env=self.python_env, preload=self.preload)
            for key in [key for key, session in self.open.items() if not session.alive]:
                self.open.pop(key).close()  # ended by their limits: their slots are free again
        session = self.pool.open(wait_s=0)  # TimeoutError: every slot holds a session
        key = secrets.token_urlsafe(32)
        with self.lock:
            self.open[key] = session
        return key

    def get(self, key: str) -> Session:
        with self.lock:
            session = self.open.get(key)
        if session is None:
            raise HTTPException(404, "no such session (ended, or never opened)")
        return session

    def end(self, key: str, missing_ok: bool = False) -> dict:
        with self.lock:
            session = self.open.pop(key, None)
        if session is None:
            if missing_ok:
                return {}
            raise HTTPException(404, "no such session (ended, or never opened)")
        execution = session.close()
        return {"verdict": str(execution.verdict), "cpu_s": execution.cpu_s, "wall_s": execution.wall_s}

    def close(self) -> None:
        with self.lock:
            sessions, self.open = list(self.open.values()), {}
        for session in sessions:
            session.close()
        self.executor.shutdown(wait=True)
        if self.pool is not None:
            self.pool.close()


def session_router(sessions: Sessions, errors: dict[int | str, dict[str, Any]]) -> APIRouter:
    """The endpoints, documenting the service's ``errors`` (and 404 for a session that is not open)."""
    router = APIRouter(prefix=SESSIONS, tags=["sessions"], responses=errors)
    missing = {404: {**errors[400], "description": "no such session (ended, or never opened)"}}

    @router.post("", status_code=201)
    async def open_session() -> Opened:
        try:
            return Opened(session_id=await sessions.call(sessions.start))
        except TimeoutError:
            raise HTTPException(429, "every session slot is in use", headers={"retry-after": "1"}) from None

    @router.post("/{session_id}/run", responses={**missing, 409: {**errors[400], "description": "the session is "
                                                                 "running another call"}})
    async def run_cell(session_id: str, request: CellRequest) -> CellResponse:
        session = sessions.get(session_id)
        try:
            refuse_surrogates(request.code, "code")
        except BadRequest as error:
            raise HTTPException(400, str(error)) from None
        if session_id in sessions.busy:  # a call waits for no other: it would hold a thread meanwhile
            raise HTTPException(409, "the session is running another call")
        sessions.busy.add(session_id)
        try:
            output = await sessions.call(session.run, request.code, request.timeout_s)
        except SessionEnded:
            await sessions.call(sessions.end, session_id, True)
            raise HTTPException(404, "no such session (ended, or never opened)") from None
        finally:
            sessions.busy.discard(session_id)
        if not session.alive:
            await sessions.call(sessions.end, session_id, True)
        return CellResponse(stdout=output.stdout, stderr=output.stderr, error=output.error, alive=session.alive)

    @router.delete("/{session_id}", responses=missing)
    async def end_session(session_id: str) -> Ended:
        return await sessions.call(sessions.end, session_id)

    return router


def default_sessions(workers: int, memory_mb: int, python_env: str | None, preload: tuple[str, ...]) -> Sessions:
    limits = Limits(cpu_s=SESSION_LIMITS.cpu_s, wall_s=SESSION_LIMITS.wall_s, memory_mb=memory_mb)
    return Sessions(workers, limits, 10.0, python_env, preload)
