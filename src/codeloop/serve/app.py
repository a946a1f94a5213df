"""``codeloop serve``'s HTTP application: SandboxFusion's ``/run_code`` and ``/v1/ping``,
codeloop's batch endpoints (``/v1/judge``: one program on many tests; ``/v1/evaluate``: many
samples of a benchmark), ``/healthz`` and Prometheus ``/metrics``.

Around the work (``Gate``), in this order: a bearer token when one is configured (every
endpoint but ``/healthz`` and ``/v1/ping``), checked from the headers, so that a client without
it gets 401 before it is admitted or its body read; a body that says it is over the cap gets
413; a bounded admission: at most ``queue`` requests are running or waiting at once, the next
gets 429 with ``Retry-After``; then the body, which must arrive whole within ``body_timeout_s``
(408) and under the cap (413, chunked or not). Blocking work runs in a thread pool sized to
keep every sandbox slot busy; shutdown (uvicorn's, on SIGTERM) stops accepting, lets admitted
requests finish, then closes the sandbox.

A response echoes at most ``max_response_bytes``: program output (and echoed input) past it is
cut and flagged ``<field>_cut: true``; verdicts are the judge's on the whole output, never on
what is echoed. ``/v1/judge`` judges its tests a chunk at a time and clips each chunk's results
before the next runs, so that a request holds one chunk's full output at most, not every test's.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, Field

from codeloop.eval.samples import Sample, parse_sample, result_record, task_limits
from codeloop.judge import Judge, Test, Verdict
from codeloop.sandbox import Limits, Sandbox
from codeloop.serve.fusion import (
    BadRequest,
    Budget,
    Language,
    RunCodeRequest,
    RunCodeResponse,
    refuse_surrogates,
    run_code,
)
from codeloop.serve.sessions import SESSIONS, default_sessions, session_router
from codeloop.tasks import DatasetError, load
from codeloop.tasks.mbpp import SPLITS as MBPP_SPLITS

WORK = ("/run_code", "/v1/judge", "/v1/evaluate", SESSIONS)  # the endpoints admission counts (and below SESSIONS)
PROTECTED = (*WORK, "/metrics")  # the endpoints a token guards
# What a judged test's result (or an evaluated sample's record, or a response's head) takes
# beside its texts: keys, verdicts, timings and every ``_cut`` flag. Measured: 0.5 KB for a
# /v1/judge test result (and 3 bytes for each of its at most 64 names), 0.3 KB for a HumanEval
# record; reserved before any text is charged.
ITEM_BYTES = 1024
# The response cap's least: what is reserved for the structure of the largest response, 10000
# samples' records (20 MB for HumanEval's or MBPP's, at ITEM_BYTES a record and a test).
MIN_RESPONSE_BYTES = 24 << 20
REPORT_BYTES = 1 << 20  # a harness report at most: REPORT_CAP of sandbox/forkserver/supervise.py (not importable)


@dataclass(frozen=True)
class ServeConfig:
    workers: int | None = None       # sandbox slots (default: the core count)
    token: str | None = None         # bearer token; None: no authentication (loopback only)
    max_request_bytes: int = 16 << 20
    max_response_bytes: int = 64 << 20  # output past it is cut (flagged); at least MIN_RESPONSE_BYTES
    body_timeout_s: float = 30.0     # an admitted request's body must arrive whole within it (else 408)
    queue: int = 256                 # requests running or waiting at once; more get 429
    default_memory_mb: int = 1024    # a run's memory where the request gives none
    python_env: str | None = None    # packages programs may import, and modules preloaded (Sandbox's)
    preload: tuple[str, ...] = ()
    sessions: int = 8                # sessions open at once (/v1/sessions), each holding a slot of its own; 0: none

    def __post_init__(self) -> None:
        if self.max_response_bytes < MIN_RESPONSE_BYTES:
            raise ValueError(f"max_response_bytes: expected at least {MIN_RESPONSE_BYTES >> 20} MB, the structure "
                             f"of the largest response, got {self.max_response_bytes}")


class LimitsModel(BaseModel):
    cpu_s: float = Field(10.0, gt=0, le=600)
    wall_s: float | None = Field(None, gt=0, le=1200)
    memory_mb: int = Field(1024, gt=0, le=65536)
    output_bytes: int = Field(1 << 20, gt=0, le=64 << 20)


class TestModel(BaseModel):
    kind: str = Field("stdio", pattern="^(stdio|call|expr|script)$")
    input: str = ""
    output: str = ""
    fn_name: str = ""
    setup: str = ""
    names: list[str] = Field([], max_length=64)  # the program's names a harness binds: a few


class JudgeRequest(BaseModel):
    program: str
    language: Language = Language.python
    tests: list[TestModel] = Field(..., min_length=1, max_length=1000)
    limits: LimitsModel = LimitsModel()
    stop_on_first_failure: bool = False


# the benchmarks codeloop ships (loaded without a path and without the network), with their splits
SPLITS = {"humaneval": ("test",), "mbpp": (*MBPP_SPLITS, "all"), "mbpp_sanitized": (*MBPP_SPLITS, "all")}
Benchmark = enum.StrEnum("Benchmark", {name: name for name in SPLITS})
Split = enum.StrEnum("Split", {name: name for splits in SPLITS.values() for name in splits})


class EvaluateRequest(BaseModel):
    benchmark: Benchmark = Field(..., examples=["humaneval"])
    split: Split = Split.test
    samples: list[dict[str, Any]] = Field(..., min_length=1, max_length=10000,
                                          description="records as in a samples file: task_id, completion or program")


class Detail(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Detail, "description": "a request the service refuses (what and why in detail)"},
    401: {"model": Detail, "description": "missing or wrong bearer token"},
    408: {"model": Detail, "description": "the request body did not arrive in time"},
    413: {"model": Detail, "description": "request body too large"},
    429: {"model": Detail, "description": "queue full: retry after the Retry-After header's seconds"},
}


class Metrics:
    """The service's Prometheus metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("codeloop_requests", "HTTP requests", ["endpoint", "code"], registry=self.registry)
        self.runs = Counter("codeloop_runs", "Programs judged or run, by endpoint and outcome", ["endpoint", "outcome"],
                            registry=self.registry)
        self.queue = Gauge("codeloop_queue_depth", "Requests running or waiting", registry=self.registry)
        self.latency = Histogram("codeloop_request_seconds", "Request latency", ["endpoint"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))


class BodyTooLarge(Exception):
    pass


class Gate:
    """ASGI middleware: token, body cap, admission and body deadline, in the order the module
    says; every request counted and timed in ``metrics``. A work request's body is read whole
    here and handed on as one message. (Plain ASGI, not Starlette's ``BaseHTTPMiddleware``,
    which costs a task and a stream per request.)"""

    def __init__(self, app: Callable, config: ServeConfig, state: dict, metrics: Metrics) -> None:
        self.app, self.config, self.state, self.metrics = app, config, state, metrics
        self.expected = None if config.token is None else f"Bearer {config.token}".encode()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, start, status = _endpoint(scope["path"]), time.perf_counter(), [500]
        endpoint = path if path in (*WORK, "/healthz", "/metrics", "/v1/ping") else "other"

        async def watched(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self._gated(scope, receive, watched)
        finally:
            self.metrics.requests.labels(endpoint, str(status[0])).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - start)

    async def _gated(self, scope: dict, receive: Callable, send: Callable) -> None:
        headers, path, limit = dict(scope["headers"]), _endpoint(scope["path"]), self.config.max_request_bytes
        if (self.expected is not None and path in PROTECTED
                and not hmac.compare_digest(headers.get(b"authorization", b""), self.expected)):
            return await _refuse(send, 401, "missing or wrong bearer token", (b"www-authenticate", b"Bearer"))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _refuse(send, 413, f"request body over {limit} bytes")
        if path not in WORK:  # no body to read: their endpoints take none
            return await self.app(scope, receive, send)
        if self.state["admitted"] >= self.config.queue:
            return await _refuse(send, 429, "queue full", (b"retry-after", b"1"))
        self.state["admitted"] += 1
        self.metrics.queue.set(self.state["admitted"])
        try:
            try:
                async with asyncio.timeout(self.config.body_timeout_s):
                    body = await _read_body(receive, limit)
            except TimeoutError:
                return await _refuse(send, 408, f"request body not received within {self.config.body_timeout_s:g} s")
            except BodyTooLarge:
                return await _refuse(send, 413, f"request body over {limit} bytes")
            if body is None:  # the client has gone
                return None
            whole = [{"type": "http.request", "body": body, "more_body": False}]

            async def replay() -> dict:
                return whole.pop() if whole else await receive()

            await self.app(scope, replay, send)
        finally:
            self.state["admitted"] -= 1
            self.metrics.queue.set(self.state["admitted"])


def _endpoint(path: str) -> str:
    """The endpoint a path is for: a session's own paths count as ``SESSIONS``."""
    return SESSIONS if path.startswith(SESSIONS + "/") else path


async def _read_body(receive: Callable, limit: int) -> bytes | None:
    """The request's body, or None when the client disconnected first."""
    chunks, seen = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        seen += len(chunks[-1])
        if seen > limit:
            raise BodyTooLarge
        if not message.get("more_body"):
            return b"".join(chunks)


async def _refuse(send: Callable, status: int, detail: str, *headers: tuple[bytes, bytes]) -> None:
    """An answer before the body is read (whole): the connection closes, or what is left of the
    body would be read as the next request."""
    body = f'{{"detail": "{detail}"}}'.encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *headers]})
    await send({"type": "http.response.body", "body": body})


def create_app(config: ServeConfig = ServeConfig(), sandbox: Sandbox | None = None) -> FastAPI:
    """The service; it starts its own ``Sandbox`` (closed at shutdown) unless given one."""
    metrics = Metrics()
    state: dict[str, Any] = {"admitted": 0, "tasks": {}}
    if sandbox is not None:  # ready without a lifespan (an ASGI test client may not run one)
        state.update(sandbox=sandbox, pool=ThreadPoolExecutor(sandbox.threads, thread_name_prefix="serve"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if sandbox is None:
            box = Sandbox(workers=config.workers, python_env=config.python_env, preload=config.preload)
            state.update(sandbox=box, pool=ThreadPoolExecutor(box.threads, thread_name_prefix="serve"))
        try:
            yield
        finally:
            state["pool"].shutdown(wait=True)  # admitted requests have finished (uvicorn waited)
            if sessions is not None:
                sessions.close()
            if sandbox is None:
                state["sandbox"].close()

    app = FastAPI(title="codeloop serve", version="1", lifespan=lifespan,
                  description="Execution over codeloop's sandbox and judge; SandboxFusion-compatible /run_code.")
    app.add_middleware(Gate, config=config, state=state, metrics=metrics)
    sessions = None
    if config.sessions:
        sessions = default_sessions(config.sessions, config.default_memory_mb, config.python_env, config.preload)
        app.include_router(session_router(sessions, ERRORS))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: object, error: RequestValidationError) -> Response:
        """FastAPI's 422, its echo of the input in ASCII JSON: a lone surrogate there (JSON's
        "\\ud800", in a field the schema refuses) made FastAPI's own answer fail to encode, a 500."""
        body = json.dumps({"detail": jsonable_encoder(error.errors())})
        return Response(body, status_code=422, media_type="application/json")

    async def blocking(function: Callable, *args: object) -> Any:
        return await asyncio.get_running_loop().run_in_executor(state["pool"], function, *args)

    @app.get("/v1/ping", response_model=str, tags=["sandbox"])
    async def ping() -> str:
        return "pong"

    @app.get("/healthz", tags=["service"])
    async def healthz() -> JSONResponse:
        box: Sandbox = state["sandbox"]
        body = {"status": "ok" if box.running else "down", "workers": box.workers, "admitted": state["admitted"]}
        return JSONResponse(body, status_code=200 if box.running else 503)

    @app.get("/metrics", response_class=PlainTextResponse, tags=["service"], responses={401: ERRORS[401]})
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/run_code", response_model=RunCodeResponse, tags=["sandbox"], responses=ERRORS)
    async def run_code_endpoint(request: RunCodeRequest) -> RunCodeResponse:
        try:
            response = await blocking(run_code, state["sandbox"], request, config.default_memory_mb,
                                      config.max_response_bytes)
        except BadRequest as error:
            raise HTTPException(400, str(error)) from None
        metrics.runs.labels("/run_code", str(response.status)).inc()
        return response

    @app.post("/v1/judge", tags=["codeloop"], responses=ERRORS)
    async def judge_endpoint(request: JudgeRequest) -> dict:
        try:
            refuse_surrogates({"program": request.program, "tests": [test.model_dump() for test in request.tests]})
        except BadRequest as error:
            raise HTTPException(400, str(error)) from None
        tests = [Test.from_dict(test.model_dump()) for test in request.tests]
        limits = Limits(**request.limits.model_dump())
        budget = Budget(config.max_response_bytes - ITEM_BYTES * (len(tests) + 1))
        # A chunk's results are held whole (stdout and stderr up to output_bytes each, a harness's
        # report) until clipped: at most a response cap's worth, in whole rounds of the sandbox's slots.
        fits = max(1, config.max_response_bytes // (2 * limits.output_bytes + REPORT_BYTES))
        slots = state["sandbox"].workers
        chunk = fits if fits < slots else fits - fits % slots

        owner = secrets.token_hex(16)  # the request's test code shares a harness server with no other's

        def judge() -> dict:
            verdict, compile_error, results = Verdict.OK, "", []
            for start in range(0, len(tests), chunk):  # a Judge each: its cache would keep every chunk
                judgement = Judge(state["sandbox"]).judge(request.program, tests[start:start + chunk], limits,
                                                          request.stop_on_first_failure, request.language.value,
                                                          owner)
                results += [budget.clip(result.to_dict()) for result in judgement.results]
                verdict = judgement.verdict if verdict == Verdict.OK else verdict
                compile_error = compile_error or judgement.compile_error
                if not judgement.results or (request.stop_on_first_failure and judgement.verdict != Verdict.OK):
                    break  # a compile error (no test ran), or a failure that ends the judging
            head = budget.clip({"passed": verdict == Verdict.OK, "verdict": str(verdict),
                                "compile_error": compile_error})
            return {**head, "tests": results}

        try:
            result = await blocking(judge)
        except ValueError as error:  # an unknown language, a test kind the language cannot run
            raise HTTPException(400, str(error)) from None
        metrics.runs.labels("/v1/judge", result["verdict"]).inc()
        return result

    @app.post("/v1/evaluate", tags=["codeloop"], responses=ERRORS)
    async def evaluate_endpoint(request: EvaluateRequest) -> dict:
        key = (request.benchmark.value, request.split.value)
        try:
            if key[1] not in SPLITS[key[0]]:  # checked first: only valid splits are loaded and cached
                raise BadRequest(f"split: {key[0]} has {', '.join(SPLITS[key[0]])}, not {key[1]!r}")
            refuse_surrogates(request.samples, "samples")
            if key not in state["tasks"]:
                state["tasks"][key] = {task.id: task for task in await blocking(load, *key)}
            tasks = state["tasks"][key]
            samples = [parse_sample(record, f"samples[{index}]", tasks, index)
                       for index, record in enumerate(request.samples)]
        except (BadRequest, DatasetError, OSError) as error:
            raise HTTPException(400, str(error)) from None
        reserved = sum(ITEM_BYTES * (1 + len(tasks[sample.task_id].hidden_tests)) for sample in samples)
        budget = Budget(config.max_response_bytes - reserved - ITEM_BYTES)
        groups: dict[tuple[str, str, str], list[Sample]] = {}
        for sample in samples:  # identical samples are judged once
            groups.setdefault((sample.task_id, sample.language, sample.program), []).append(sample)

        def one(group: list[Sample]) -> list[dict]:
            """The group's records, clipped as soon as judged: only they outlive the judgement
            (a Judge each: one Judge for the request would keep every judgement, whole)."""
            task = tasks[group[0].task_id]
            judgement = Judge(state["sandbox"]).judge(group[0].program, task.hidden_tests, task_limits(task),
                                                      language=group[0].language)
            return [budget.clip(result_record(sample, judgement)) for sample in group]

        judged = await asyncio.gather(*(blocking(one, group) for group in groups.values()))
        results = sorted((record for records in judged for record in records), key=lambda record: record["index"])
        for result in results:
            metrics.runs.labels("/v1/evaluate", result["verdict"]).inc()
        return {"passed": sum(result["passed"] for result in results), "total": len(results), "results": results}

    return app
