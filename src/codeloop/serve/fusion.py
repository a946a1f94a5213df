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

Input no run could take is refused up front (``BadRequest``: 400, one line naming the field):
text with a lone surrogate (JSON's ``"\\ud800"`` parses to one; no UTF-8 input carries it), and
``files`` that collide (one file named twice, a file that is also a folder, the program's own
file or what its compile leaves) or that the run's working directory cannot hold; else the
sandbox fails on them, twice (it retries), and says ``SandboxError``. What a response echoes is
bounded (``Budget``, shared with the batch endpoints): output past the response's cap is cut
and flagged (``stdout_cut``, ``stderr_cut``), a fetched file comes back whole or not at all
(``files_cut``); no status depends on it.
"""

from __future__ import annotations

import base64
import enum
import fnmatch
import json
import threading
from typing import Annotated

from pydantic import BaseModel, Field

from codeloop.sandbox import Limits, Sandbox, Verdict
from codeloop.sandbox.build import file_name
from codeloop.sandbox.languages import LANGUAGES
from codeloop.sandbox.languages import Language as LanguageRow
from codeloop.sandbox.languages import language as sandbox_language
from codeloop.sandbox.sandbox import Run

Language = enum.StrEnum("Language", {name: name for name in LANGUAGES})  # SandboxFusion's names for them
# A path inside the working directory: relative, no '..' component (written without look-arounds,
# so that the schema's generators and pydantic's regex engine both take it)
_PART = r"(?:[^/.\x00][^/\x00]*|\.[^/.\x00][^/\x00]*|\.\.[^/\x00]+)"
RelativePath = Annotated[str, Field(pattern=rf"^(?:\./)?{_PART}(?:/{_PART})*$", max_length=4096)]
# Files and folders a request may make: a run's working directory is a tmpfs of 4096 inodes
# (sandbox/forkserver/supervise.py); the rest is left for the program's own files and what it writes.
WORKDIR_ENTRIES = 4000
RESPONSE_BYTES = 2048  # a /run_code response but its texts and files: 0.4 KB measured, every flag set


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
    stdout_cut: bool = Field(False, description="stdout was cut to keep the response under the server's cap")
    stderr_cut: bool = Field(False, description="stderr was cut to keep the response under the server's cap")


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
    files_cut: bool = Field(False, description="fetched files were left out to keep the response under the "
                                               "server's cap (a file comes back whole or not at all)")


class BadRequest(ValueError):
    """A request the server refuses (a file path outside the working directory, bad base64)."""


def _cost(text: str) -> int:
    """The bytes ``text`` adds to a JSON response (as Starlette writes it: UTF-8, escapes), quotes aside."""
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


class Budget:
    """The bytes a response may still spend on text: each string is charged its JSON size, and
    past the budget it is cut, which its caller flags. Thread-safe (``/v1/evaluate`` charges
    from its worker threads)."""

    STRUCTURE = frozenset({"verdict", "kind", "task_id", "sample_digest", "language"})  # short; never cut

    def __init__(self, limit: int) -> None:
        self.left, self._lock = max(limit, 0), threading.Lock()

    def spend(self, size: int) -> bool:
        """Whether ``size`` more bytes fit (then they are charged)."""
        with self._lock:
            if size > self.left:
                return False
            self.left -= size
            return True

    def take(self, text: str, copies: int = 1) -> tuple[str, bool]:
        """``text`` (written ``copies`` times), or as much of its start as the budget leaves, and
        whether it was cut."""
        with self._lock:
            size = _cost(text) * copies
            if size <= self.left:
                self.left -= size
                return text, False
            room = self.left // copies
            keep = min(len(text), room)  # a character is at least a byte
            size = _cost(text[:keep])
            for _ in range(4):  # escapes spread about evenly: shrinking in proportion fits at once
                if size <= room:
                    break
                keep = keep * room // size
                size = _cost(text[:keep])
            if size > room:
                keep = room // 6  # no character costs more than 6 bytes (\u001f)
                size = _cost(text[:keep])
            self.left -= size * copies
            return text[:keep], True

    def clip(self, record: dict) -> dict:
        """``record`` (JSON data) with its strings charged, each cut where the budget ends and
        flagged by a ``<key>_cut: true`` beside it; those under ``STRUCTURE``'s keys stay whole."""
        clipped: dict = {}
        for key, value in record.items():
            clipped[key], cut = self._clip(key, value)
            if cut:
                clipped[f"{key}_cut"] = True
        return clipped

    def _clip(self, key: str, value: object) -> tuple[object, bool]:
        if isinstance(value, str):
            return (value, False) if key in self.STRUCTURE else self.take(value)
        if isinstance(value, dict):
            return self.clip(value), False
        if isinstance(value, list):
            items = [self._clip(key, item) for item in value]
            return [item for item, _ in items], any(cut for _, cut in items)
        return value, False


def refuse_surrogates(value: object, where: str = "") -> None:
    """BadRequest for a string in ``value`` (a request's JSON data; dict keys are field names,
    ``where`` the path to it) that holds a lone surrogate. Iterative: JSON nests deeply."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError as error:
                raise BadRequest(f"{at}: expected Unicode text, got the lone surrogate {item[error.start]!r} "
                                 f"at character {error.start}") from None
        elif isinstance(item, dict):
            for key, child in item.items():
                stack += [(key, f"{at} (a key)"), (child, f"{at}[{key!r}]" if at else str(key))]
        elif isinstance(item, list):
            stack += [(child, f"{at}[{index}]") for index, child in enumerate(item)]


def to_run(request: RunCodeRequest, default_memory_mb: int) -> Run:
    """The sandbox run a SandboxFusion request asks for."""
    refuse_surrogates({"code": request.code, "stdin": request.stdin})  # paths: the schema's pattern refuses them
    lang = sandbox_language(request.language.value)
    memory = request.memory_limit_MB if request.memory_limit_MB > 0 else default_memory_mb
    limits = Limits(cpu_s=request.run_timeout, wall_s=request.run_timeout, memory_mb=memory)
    fetch = tuple(_checked_path(path) for path in request.fetch_files)
    try:  # what the request's checks above leave to the run's own (a name the file system refuses)
        return Run(request.code, stdin=request.stdin or "", files=_checked_files(request.files, lang, request.code),
                   limits=limits, filename=file_name(lang, request.code), language=lang.name, fetch=fetch)
    except BadRequest:
        raise
    except ValueError as error:
        raise BadRequest(str(error)) from None


def _checked_path(path: str) -> str:
    clean = path.removeprefix("./")
    if not clean or clean.startswith("/") or ".." in clean.split("/") or "\0" in clean:
        raise BadRequest(f"{path!r}: expected a path relative to the working directory, without '..'")
    return clean


def _checked_files(files: dict[str, str | None], lang: LanguageRow, code: str) -> dict[str, str]:
    """``files`` decoded, as the sandbox writes them (bytes survive as surrogate escapes)."""
    own = (file_name(lang, code), *lang.artefacts)  # top-level names ("*.class" globs) the run writes itself
    given: dict[str, str] = {}  # clean path: as the request wrote it
    decoded: dict[str, str] = {}
    crowded = f"files: more than {WORKDIR_ENTRIES} files and folders; expected fewer"
    for path, content in files.items():
        if len(given) == WORKDIR_ENTRIES:
            raise BadRequest(crowded)
        clean = _checked_path(path)
        if clean in given:
            raise BadRequest(f"files: {given[clean]!r} and {path!r} name the same file")
        top = clean.split("/")[0]
        if any(fnmatch.fnmatchcase(top, name) for name in own):
            raise BadRequest(f"files[{path!r}]: {top!r} is the program's own file (its source or what its "
                             "compile leaves); expected another name")
        try:
            data = base64.b64decode(content or "", validate=True)
        except ValueError:  # binascii.Error, or not ASCII at all
            raise BadRequest(f"files[{path!r}]: not base64") from None
        given[clean] = path
        decoded[clean] = data.decode("utf-8", "surrogateescape")
    folders: set[str] = set()
    for clean in given:
        folder = clean
        while "/" in folder:  # from the deepest up, stopping where another path made the rest
            folder = folder.rsplit("/", 1)[0]
            if folder in folders:
                break
            folders.add(folder)
            if len(given) + len(folders) > WORKDIR_ENTRIES:
                raise BadRequest(crowded)
    both = sorted(folders & given.keys())
    if both:
        raise BadRequest(f"files[{given[both[0]]!r}]: a file, but also a folder of other files; expected one or the "
                         "other")
    return decoded


def run_code(sandbox: Sandbox, request: RunCodeRequest, default_memory_mb: int = 1024,
             max_response_bytes: int = 64 << 20) -> RunCodeResponse:
    """Run one SandboxFusion request (blocking: call it from a worker thread); the response
    stays under ``max_response_bytes``."""
    run = to_run(request, default_memory_mb)
    budget = Budget(max_response_bytes - RESPONSE_BYTES)
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
        compile_result = _result(budget, status, "", build.error, execution_time=round(build.cpu_s, 4),
                                 return_code=0 if build.ok else 1)
        if status != CommandRunStatus.Finished or not build.ok:
            return _response(compile_result, None, {}, False)
    execution = sandbox.execute(run)
    if execution.verdict == Verdict.SE:
        run_result = _result(budget, CommandRunStatus.Error, None, execution.error)
    else:
        timed_out = execution.verdict == Verdict.TLE
        code = execution.exit_code if execution.signal is None else -execution.signal
        run_result = _result(budget, CommandRunStatus.TimeLimitExceeded if timed_out else CommandRunStatus.Finished,
                             execution.stdout, execution.stderr, execution_time=execution.wall_s, return_code=code)
    files = {}
    for name, data in execution.files.items():  # whole or not at all: a cut file is no file
        if budget.spend(_cost(name) + 4 * -(-len(data) // 3) + 6):  # base64, two quotes and ':', ','
            files[name] = base64.b64encode(data).decode()
    return _response(compile_result, run_result, files, len(files) < len(execution.files))


def _result(budget: Budget, status: CommandRunStatus, stdout: str | None, stderr: str,
            **fields: float | int | None) -> CommandRunResult:
    copies = 2 if status == CommandRunStatus.Error else 1  # an error's stderr is the response's message too
    out, out_cut = (None, False) if stdout is None else budget.take(stdout)
    err, err_cut = budget.take(stderr, copies)
    return CommandRunResult(status=status, stdout=out, stderr=err, stdout_cut=out_cut, stderr_cut=err_cut, **fields)


def _response(compile_result: CommandRunResult | None, run_result: CommandRunResult | None,
              files: dict[str, str], files_cut: bool) -> RunCodeResponse:
    results = [result for result in (compile_result, run_result) if result is not None]
    errors = [result for result in results if result.status == CommandRunStatus.Error]
    if errors:
        return RunCodeResponse(status=RunStatus.SandboxError, message=errors[0].stderr or "",
                               compile_result=compile_result, run_result=run_result, files=files,
                               files_cut=files_cut)
    failed = any(result.status == CommandRunStatus.TimeLimitExceeded or result.return_code not in (0, None)
                 for result in results)
    return RunCodeResponse(status=RunStatus.Failed if failed else RunStatus.Success, message="",
                           compile_result=compile_result, run_result=run_result, files=files, files_cut=files_cut)
