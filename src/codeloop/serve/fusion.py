"""SandboxFusion's ``/run_code`` over codeloop's sandbox: the request and response as
SandboxFusion (bytedance/SandboxFusion, ``sandbox/server/sandbox_api.py``) defines them, so
that its clients (the ``sandbox-fusion`` package, verl's code reward) work unchanged.

The mapping: ``run_timeout`` is the run's CPU and wall limit; ``memory_limit_MB`` its memory
(-1: codeloop's default); a compile runs under the sandbox's compile limits, once per source
(cached), and counts as ``TimeLimitExceeded`` past ``compile_timeout``. A run's status is
``Finished`` with its return code (``-N`` when signal N killed it, as in ``subprocess``),
``TimeLimitExceeded``, or ``Error`` when the sandbox itself failed. The overall status follows
SandboxFusion's ``parse_run_status``: an ``Error`` anywhere is ``SandboxError``; else a time
limit or a non-zero return code is ``Failed``; else ``Success``.
"""

from __future__ import annotations

import base64
import enum
from typing import Annotated

from pydantic import BaseModel, Field

from codeloop.sandbox import Limits, Sandbox, Verdict
from codeloop.sandbox.languages import LANGUAGES
from codeloop.sandbox.languages import language as sandbox_language
from codeloop.sandbox.server import Run

Language = enum.StrEnum("Language", {name: name for name in LANGUAGES})  # SandboxFusion's names for them
# A path inside the working directory: relative, no '..' component (written without look-arounds,
# so that the schema's generators and pydantic's regex engine both take it)
_PART = r"(?:[^/.\x00][^/\x00]*|\.[^/.\x00][^/\x00]*|\.\.[^/\x00]+)"
RelativePath = Annotated[str, Field(pattern=rf"^(?:\./)?{_PART}(?:/{_PART})*$", max_length=4096)]


class RunCodeRequest(BaseModel):
    compile_timeout: float = Field(10, gt=0, le=600, description="compile timeout for compiled languages (s)")
    run_timeout: float = Field(10, gt=0, le=600, description="code run timeout (s)")
    memory_limit_MB: int = Field(-1, ge=-1, le=65536, description="maximum memory in MB (-1: the server's default)")
    code: str = Field(..., examples=['print("hello")'], description="the code to run")
    stdin: str | None = Field(None, examples=[""], description="optional string to pass into stdin")
    language: Language = Field(..., examples=["python"], description="the language to run the code as")
    files: dict[RelativePath, str | None] = Field({}, description="a dict from file path to base64 file content")
    fetch_files: list[RelativePath] = Field([], description="a list of file paths to fetch after code execution")


class CommandRunStatus(enum.StrEnum):
    Finished = "Finished"
    Error = "Error"
    TimeLimitExceeded = "TimeLimitExceeded"


class CommandRunResult(BaseModel):
    status: CommandRunStatus
    execution_time: float | None = None
    return_code: int | None = None
    stdout: str | None = None
    stderr: str | None = None


class RunStatus(enum.StrEnum):
    Success = "Success"
    Failed = "Failed"
    SandboxError = "SandboxError"


class RunCodeResponse(BaseModel):
    status: RunStatus
    message: str
    compile_result: CommandRunResult | None = None
    run_result: CommandRunResult | None = None
    executor_pod_name: str | None = None
    files: dict[str, str] = {}


class BadRequest(ValueError):
    """A request the server refuses (a file path outside the working directory, bad base64)."""


def to_run(request: RunCodeRequest, default_memory_mb: int) -> Run:
    """The sandbox run a SandboxFusion request asks for."""
    files = {}
    for path, content in request.files.items():
        try:
            data = base64.b64decode(content or "", validate=True)
        except ValueError:  # binascii.Error, or not ASCII at all
            raise BadRequest(f"files[{path!r}]: not base64") from None
        files[_checked_path(path)] = data.decode("utf-8", "surrogateescape")  # bytes survive the trip
    memory = request.memory_limit_MB if request.memory_limit_MB > 0 else default_memory_mb
    limits = Limits(cpu_s=request.run_timeout, wall_s=request.run_timeout, memory_mb=memory)
    fetch = tuple(_checked_path(path) for path in request.fetch_files)
    return Run(request.code, stdin=request.stdin or "", files=files, limits=limits,
               language=request.language.value, fetch=fetch)


def _checked_path(path: str) -> str:
    clean = path.removeprefix("./")
    if not clean or clean.startswith("/") or ".." in clean.split("/") or "\0" in clean:
        raise BadRequest(f"{path!r}: expected a path relative to the working directory, without '..'")
    return clean


def run_code(sandbox: Sandbox, request: RunCodeRequest, default_memory_mb: int = 1024) -> RunCodeResponse:
    """Run one SandboxFusion request (blocking: call it from a worker thread)."""
    run = to_run(request, default_memory_mb)
    lang = sandbox_language(run.language)
    compile_result = None
    if lang.compile is not None:
        build = sandbox.build(run.source, lang)  # cached: the run below reuses it
        if build.sandbox_failed:
            status = CommandRunStatus.Error
        elif build.timed_out or build.cpu_s > request.compile_timeout:
            status = CommandRunStatus.TimeLimitExceeded
        else:
            status = CommandRunStatus.Finished
        compile_result = CommandRunResult(status=status, execution_time=round(build.cpu_s, 4),
                                          return_code=0 if build.ok else 1, stdout="", stderr=build.error)
        if status != CommandRunStatus.Finished or not build.ok:
            return _response(compile_result, None, {})
    execution = sandbox.execute(run)
    if execution.verdict == Verdict.SE:
        run_result = CommandRunResult(status=CommandRunStatus.Error, stderr=execution.error)
    else:
        timed_out = execution.verdict == Verdict.TLE
        code = execution.exit_code if execution.signal is None else -execution.signal
        run_result = CommandRunResult(status=CommandRunStatus.TimeLimitExceeded if timed_out
                                      else CommandRunStatus.Finished,
                                      execution_time=execution.wall_s, return_code=code,
                                      stdout=execution.stdout, stderr=execution.stderr)
    files = {name: base64.b64encode(data).decode() for name, data in execution.files.items()}
    return _response(compile_result, run_result, files)


def _response(compile_result: CommandRunResult | None, run_result: CommandRunResult | None,
              files: dict[str, str]) -> RunCodeResponse:
    results = [result for result in (compile_result, run_result) if result is not None]
    errors = [result for result in results if result.status == CommandRunStatus.Error]
    if errors:
        return RunCodeResponse(status=RunStatus.SandboxError, message=errors[0].stderr or "",
                               compile_result=compile_result, run_result=run_result, files=files)
    failed = any(result.status == CommandRunStatus.TimeLimitExceeded or result.return_code not in (0, None)
                 for result in results)
    return RunCodeResponse(status=RunStatus.Failed if failed else RunStatus.Success, message="",
                           compile_result=compile_result, run_result=run_result, files=files)
