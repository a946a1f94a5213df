"""``codeloop serve``'s HTTP application: SandboxFusion's ``/run_code`` and ``/v1/ping``,
codeloop's batch endpoints (``/v1/judge``: one program on many tests; ``/v1/evaluate``: many
samples of a benchmark), ``/healthz`` and Prometheus ``/metrics``.

Around the work: a bearer token when one is configured (every endpoint but ``/healthz`` and
``/v1/ping``), a cap on request bodies (413), and a bounded admission: at most ``queue``
requests are running or waiting at once, the next gets 429 with ``Retry-After``. Blocking work
runs in a thread pool sized to keep every sandbox slot busy; shutdown (uvicorn's, on SIGTERM)
stops accepting, lets admitted requests finish, then closes the sandbox.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, Field

from codeloop.eval.samples import parse_sample, result_record, task_limits
from codeloop.judge import Judge, Test
from codeloop.sandbox import Limits, Sandbox
from codeloop.serve.fusion import BadRequest, Language, RunCodeRequest, RunCodeResponse, run_code
from codeloop.tasks import DatasetError, load

WORK = ("/run_code", "/v1/judge", "/v1/evaluate")  # the endpoints admission counts


@dataclass(frozen=True)
class ServeConfig:
    workers: int | None = None       # sandbox slots (default: the core count)
    token: str | None = None         # bearer token; None: no authentication (loopback only)
    max_request_bytes: int = 16 << 20
    queue: int = 256                 # requests running or waiting at once; more get 429
    default_memory_mb: int = 1024    # a run's memory where the request gives none


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
    names: list[str] = []


class JudgeRequest(BaseModel):
    program: str
    language: Language = Language.python
    tests: list[TestModel] = Field(..., min_length=1, max_length=1000)
    limits: LimitsModel = LimitsModel()
    stop_on_first_failure: bool = False


# the benchmarks codeloop ships: loaded without a path and without the network
Benchmark = enum.StrEnum("Benchmark", {name: name for name in ("humaneval", "mbpp", "mbpp_sanitized")})


class EvaluateRequest(BaseModel):
    benchmark: Benchmark = Field(..., examples=["humaneval"])
    split: str = "test"
    samples: list[dict[str, Any]] = Field(..., min_length=1, max_length=10000,
                                          description="records as in a samples file: task_id, completion or program")


class Detail(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Detail, "description": "a request the service refuses (what and why in detail)"},
    401: {"model": Detail, "description": "missing or wrong bearer token"},
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


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets 413, whether or not it says its
    length up front."""

    def __init__(self, app: Callable, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _too_large(send, self.limit)
        seen, started = 0, False

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        async def watched(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await _too_large(send, self.limit)


class Admission:
    """ASGI middleware: at most ``queue`` work requests (``WORK``) admitted at once, the next
    answered 429 with ``Retry-After``; every request counted and timed in ``metrics``. (Plain
    ASGI, not Starlette's ``BaseHTTPMiddleware``, which costs a task and a stream per request.)"""

    def __init__(self, app: Callable, queue: int, state: dict, metrics: Metrics) -> None:
        self.app, self.queue, self.state, self.metrics = app, queue, state, metrics

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, start, status = scope["path"], time.perf_counter(), [500]
        endpoint = path if path in (*WORK, "/healthz", "/metrics", "/v1/ping") else "other"
        counted = path in WORK
        if counted and self.state["admitted"] >= self.queue:
            self.metrics.requests.labels(endpoint, "429").inc()
            body = b'{"detail": "queue full"}'
            await send({"type": "http.response.start", "status": 429, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1")]})
            return await send({"type": "http.response.body", "body": body})

        async def watched(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        if counted:
            self.state["admitted"] += 1
            self.metrics.queue.set(self.state["admitted"])
        try:
            await self.app(scope, receive, watched)
        finally:
            if counted:
                self.state["admitted"] -= 1
                self.metrics.queue.set(self.state["admitted"])
            self.metrics.requests.labels(endpoint, str(status[0])).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - start)


async def _too_large(send: Callable, limit: int) -> None:
    body = f'{{"detail": "request body over {limit} bytes"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
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
            box = Sandbox(workers=config.workers)
            state.update(sandbox=box, pool=ThreadPoolExecutor(box.threads, thread_name_prefix="serve"))
        try:
            yield
        finally:
            state["pool"].shutdown(wait=True)  # admitted requests have finished (uvicorn waited)
            if sandbox is None:
                state["sandbox"].close()

    app = FastAPI(title="codeloop serve", version="1", lifespan=lifespan,
                  description="Execution over codeloop's sandbox and judge; SandboxFusion-compatible /run_code.")
    app.add_middleware(BodyLimit, limit=config.max_request_bytes)

    app.add_middleware(Admission, queue=config.queue, state=state, metrics=metrics)

    def authorized(request: Request) -> None:
        if config.token is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {config.token}".encode()):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

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

    @app.get("/metrics", response_class=PlainTextResponse, tags=["service"], dependencies=[Depends(authorized)],
             responses={401: ERRORS[401]})
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/run_code", response_model=RunCodeResponse, tags=["sandbox"], dependencies=[Depends(authorized)],
              responses=ERRORS)
    async def run_code_endpoint(request: RunCodeRequest) -> RunCodeResponse:
        try:
            response = await blocking(run_code, state["sandbox"], request, config.default_memory_mb)
        except BadRequest as error:
            raise HTTPException(400, str(error)) from None
        metrics.runs.labels("/run_code", str(response.status)).inc()
        return response

    @app.post("/v1/judge", tags=["codeloop"], dependencies=[Depends(authorized)], responses=ERRORS)
    async def judge_endpoint(request: JudgeRequest) -> dict:
        tests = [Test.from_dict(test.model_dump()) for test in request.tests]
        limits = Limits(**request.limits.model_dump())

        def judge() -> dict:
            judgement = Judge(state["sandbox"]).judge(request.program, tests, limits,
                                                      request.stop_on_first_failure, request.language.value)
            return {"passed": judgement.passed, **judgement.to_dict()}

        try:
            result = await blocking(judge)
        except ValueError as error:  # an unknown language, a test kind the language cannot run
            raise HTTPException(400, str(error)) from None
        metrics.runs.labels("/v1/judge", result["verdict"]).inc()
        return result

    @app.post("/v1/evaluate", tags=["codeloop"], dependencies=[Depends(authorized)], responses=ERRORS)
    async def evaluate_endpoint(request: EvaluateRequest) -> dict:
        key = (request.benchmark.value, request.split)
        try:
            if key not in state["tasks"]:
                state["tasks"][key] = {task.id: task for task in await blocking(load, *key)}
            tasks = state["tasks"][key]
            samples = [parse_sample(record, f"samples[{index}]", tasks, index)
                       for index, record in enumerate(request.samples)]
        except (DatasetError, OSError) as error:
            raise HTTPException(400, str(error)) from None
        judge = Judge(state["sandbox"])

        def one(sample: Any) -> dict:
            task = tasks[sample.task_id]
            return result_record(sample, judge.judge(sample.program, task.hidden_tests, task_limits(task),
                                                     language=sample.language))

        results = await asyncio.gather(*(blocking(one, sample) for sample in samples))
        for result in results:
            metrics.runs.labels("/v1/evaluate", result["verdict"]).inc()
        return {"passed": sum(result["passed"] for result in results), "total": len(results), "results": results}

    return app
