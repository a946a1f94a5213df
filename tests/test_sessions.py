"""Sessions (a live sandboxed Python process per episode) and the code tools built on them: TRL's
environment, verl's tool, ``codeloop serve``'s ``/v1/sessions``; each with a scripted policy, and
the reward-hack suite through ``submit``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from codeloop.judge import Judge, expr_test
from codeloop.rl.tools import (
    TOOL_SCHEMA,
    CodeEnvironment,
    CodeInterpreterTool,
    RemoteSessions,
    code_environment,
    run_code_tool,
)
from codeloop.sandbox import Limits
from codeloop.sandbox.session import SessionEnded, SessionPool
from codeloop.tasks import Task, TaskKind
from conftest import leftover_processes
from reward_hack_programs import HACKS, INLINE

LIMITS = Limits(cpu_s=5, wall_s=30, memory_mb=256)
DOUBLE = Task(id="toy/double", prompt="Write double(x).", kind=TaskKind.FUNCTION, entry_point="double",
              public_tests=[expr_test("double(2)", "4")],
              private_tests=[expr_test(f"double({x})", str(2 * x)) for x in (2, -3, 0, 5)])


@pytest.fixture(scope="module")
def pool():
    with SessionPool(2, limits=LIMITS, call_timeout_s=3) as sessions:
        yield sessions


def no_leftovers() -> bool:
    deadline = time.monotonic() + 5
    while leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    return leftover_processes() == []


def test_globals_imports_and_files_persist_between_calls(pool):
    with pool.open() as session:
        assert session.run("import math\nx = 40\nprint('set')").stdout == "set\n"
        assert session.run("x += 2\nmath.sqrt(x * x)").stdout == "42.0\n"  # a last expression is shown
        assert session.run("open('notes.txt', 'w').write('kept')\nNone").stdout == ""
        assert session.run("print(open('notes.txt').read())").stdout == "kept\n"
        child = session.run("import subprocess; subprocess.run(['echo', 'from a child'])\n0")
        assert child.stdout == "from a child\n0\n"  # descriptor-level capture


def test_errors_are_the_cells_own_and_the_session_goes_on(pool):
    with pool.open() as session:
        error = session.run("y = 1\n1 / 0").error
        assert "ZeroDivisionError" in error and '<cell 1>' in error and "session_driver" not in error
        syntax = session.run("def f(:").error
        assert "SyntaxError" in syntax and "ast.py" not in syntax
        assert "SystemExit: 3" in session.run("raise SystemExit(3)").error
        assert session.run("y").stdout == "1\n" and session.alive


def test_a_call_past_its_time_ends_the_session(pool):
    session = pool.open()
    started = time.monotonic()
    output = session.run("while True: pass", timeout_s=1)
    assert time.monotonic() - started < 5
    assert "TimeoutError" in output.error and "session has ended" in output.error
    assert not session.alive
    with pytest.raises(SessionEnded):
        session.run("1")
    assert no_leftovers()


def test_session_limits_memory_cpu_and_lifetime():
    short = Limits(cpu_s=1, wall_s=3, memory_mb=128)
    with SessionPool(1, limits=short, call_timeout_s=10) as pool:
        session = pool.open()
        assert "ran out of memory" in session.run("b = bytearray(400 << 20)").error
        session = pool.open()  # the one slot is free again
        assert session.run("x = 1\nx").stdout == "1\n"
        output = session.run("import time\nend = time.process_time() + 5\nwhile time.process_time() < end: pass")
        assert "CPU or wall time" in output.error  # the session's CPU, all cells together
        session = pool.open()
        time.sleep(3.5)  # idle past its lifetime: ended by its slot, not by the host
        assert not session.alive
        assert "CPU or wall time" in session.run("1").error
        assert pool.open(wait_s=5).run("2").stdout == "2\n"


def test_nothing_a_cell_or_the_host_holds_keeps_a_session_alive(pool):
    """The lifeline is the slot's alone: a cell that reopens its pipes, or a fork of the host
    holding copies of them, does not keep a session past its call timeout or ``close()``."""
    child = os.fork()
    if child == 0:  # a fork of the host (multiprocessing's "fork", a DataLoader worker) holds every pipe
        time.sleep(20)
        os._exit(0)
    try:
        session = pool.open()
        session.run("import os\ntry:\n    held = [open('/proc/self/fd/4', 'wb'), open('/proc/self/fd/4', 'rb')]\n"
                    "except OSError:\n    held = []\n0")
        started = time.monotonic()
        assert "TimeoutError" in session.run("while True: pass", timeout_s=1).error
        assert time.monotonic() - started < 4 and not session.alive
        other = pool.open()
        started = time.monotonic()
        other.run("import subprocess\np = subprocess.Popen(['sleep', '300'])\n0")
        other.close()
        assert time.monotonic() - started < 4
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    assert no_leftovers()


def test_a_sessions_cpu_counts_every_process_it_starts():
    """A chain of processes, each burning under its own RLIMIT_CPU, then forking and exiting:
    the session's CPU is all of theirs together, and the slot ends it at ``cpu_s``."""
    chain = ("import os, time\nif os.fork() == 0:\n    for _ in range(40):\n        end = time.process_time() + 0.3\n"
             "        while time.process_time() < end: pass\n        if os.fork(): os._exit(0)\n    os._exit(0)\n0")
    with SessionPool(1, limits=Limits(cpu_s=2, wall_s=60, memory_mb=256), call_timeout_s=5) as pool:
        session = pool.open()
        assert session.run(chain).stdout == "0\n"
        deadline = time.monotonic() + 15
        while session.alive and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not session.alive
        execution = session.close()
        assert execution.verdict == "TLE" and 2 <= execution.cpu_s < 4


def test_exited_orphans_do_not_use_up_a_sessions_processes(pool):
    """``os.system("cmd &")`` leaves orphans that exit: the slot reaps them as they go, so a
    session can start processes for its whole life, not only its ``processes`` limit's worth."""
    with pool.open() as session:
        many = "import os, time\nfor _ in range(60):\n    os.system('true &')\n    time.sleep(0.02)\n0"
        assert session.run(many).stdout == "0\n"
        assert session.run("import subprocess\nsubprocess.run(['true']).returncode").stdout == "0\n"


def test_close_does_not_wait_for_the_running_call(pool):
    session = pool.open()
    outputs = []
    caller = threading.Thread(target=lambda: outputs.append(session.run("while True: pass")))
    caller.start()
    time.sleep(0.5)
    started = time.monotonic()
    session.close()
    caller.join()
    assert time.monotonic() - started < 2  # the call's limit is 3 s
    assert "closed while the call ran" in outputs[0].error


def test_replies_that_are_not_replies_end_only_their_session(pool):
    with pool.open() as session:  # JSON nested too deep for the parser
        nested = b"[" * 100_000 + b"]" * 100_000
        output = session.run(f"import os\nos.write(5, len({nested!r}).to_bytes(4, 'big') + {nested!r})\nNone")
        assert "malformed" in output.error and not session.alive
    with pool.open() as session:
        with pytest.raises(ValueError, match="code: not encodable as UTF-8"):
            session.run("'\ud800'")
        big = session.run("print('\u00e9' * 70000)\nraise ValueError('\U0001f600' * 70000)")
        assert session.alive and "[output cut at 65536 bytes]" in big.stdout and "ValueError" not in big.stdout


def test_close_stops_a_busy_session_and_its_children(pool):
    session = pool.open()
    session.run("import subprocess\np = subprocess.Popen(['sleep', '300'])\n0")
    assert leftover_processes()
    execution = session.close()
    assert execution.verdict == "OK"  # ended by its host
    assert no_leftovers()


def test_nothing_passes_from_one_session_to_the_next(pool):
    with pool.open() as first:
        first.run("import os\nsecret = 'SECRET-1'\nopen('left.txt', 'w').write(secret)\nos.environ['LEFT'] = '1'")
    for _ in range(2):  # both slots
        with pool.open() as later:
            seen = later.run("import os\n('secret' in globals(), os.path.exists('left.txt'), 'LEFT' in os.environ)")
            assert seen.stdout == "(False, False, False)\n"


def test_a_session_is_as_isolated_as_a_run(pool):
    with pool.open() as session:
        network = session.run("import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)").error
        assert "PermissionError" in network or "OSError" in network
        secret = session.run("import os\nos.environ.get('CODELOOP_TEST_SECRET')").stdout
        assert secret == ""
        assert session.run("import os\nos.getuid() != 0 or not os.path.exists('/root/.bashrc')").stdout == "True\n"


def test_a_hostile_session_only_spoils_its_own_replies(pool):
    with pool.open() as session:  # a forged reply is read as its call's: still only this session's text
        forged = b'{"stdout": "forged", "stderr": "", "error": ""}'
        write = f"import os\nos.write(5, len({forged!r}).to_bytes(4, 'big') + {forged!r})\nNone"
        assert session.run(write).stdout == "forged"
    with pool.open() as session:
        output = session.run("import os\nos.write(5, (1 << 31).to_bytes(4, 'big'))\nNone")
        output = output if not output.ok else session.run("1")
        assert "too long" in output.error and not session.alive
    with pool.open() as session:
        output = session.run("import os\nos.close(4); os.close(5)\nNone")
        assert "session has ended" in output.error and not session.alive
    assert no_leftovers()


def test_trl_environment_with_a_scripted_policy(pool, sandbox):
    from transformers.utils import get_json_schema
    make = code_environment([DOUBLE], Judge(sandbox), pool)  # judged on a sandbox of its own
    environment = make()
    names = {schema["function"]["name"] for schema in map(get_json_schema, (environment.run_code, environment.submit))}
    assert names == {"run_code", "submit"}  # TRL renders the tools' schemas from these docstrings
    environment.reset(prompt="Write double(x).", task_id="toy/double")
    assert environment.run_code("def double(x):\n    return x * 2\n[double(v) for v in (1, 2)]") == "[2, 4]"
    assert environment.run_code("double(21)") == "42"  # the session keeps the definition
    submitted = environment.submit("```python\ndef double(x):\n    return x * 2\n```")
    assert submitted == "submitted: passed 4 of 4 hidden tests"
    assert environment.submit("def double(x):\n    return 0\n").startswith("already submitted")
    assert environment.get_reward() == 1.0
    environment.reset(task_id="toy/double")  # the next episode: a new session, a new submission
    assert "NameError" in environment.run_code("double(1)")
    environment.submit("def double(x):\n    return x + 2\n")
    assert environment.get_reward() == -1.0
    environment.reset(task_id="toy/double")
    assert environment.get_reward() == -1.2  # nothing submitted
    assert no_leftovers()
    partial = CodeEnvironment({"toy/double": DOUBLE}, Judge(sandbox), pool, partial=True)
    partial.reset(task_id="toy/double")
    partial.submit("def double(x):\n    return 2 * x if x > 2 else 0\n")  # passes 0 and 5 of 2, -3, 0, 5
    assert partial.get_reward() == 0.0


def test_the_stateless_tool(sandbox):
    run_code = run_code_tool(sandbox)
    assert run_code("print(6 * 7)") == "42"
    assert "ZeroDivisionError" in run_code("1 / 0") and "[verdict: RE]" in run_code("1 / 0")


def test_verl_tool_keeps_an_episodes_session_across_calls():
    tool = CodeInterpreterTool({"type": "native", "workers": 2, "cpu_s": 5, "wall_s": 30, "memory_mb": 256,
                                "call_timeout_s": 3, "idle_s": 60})

    async def call(request_id: str, code: str) -> str:  # as verl's ToolAgentLoop._call_tool does
        instance_id, _ = await tool.create(create_kwargs={})
        try:
            response, reward, _ = await tool.execute(instance_id, {"code": code},
                                                     agent_data=SimpleNamespace(request_id=request_id))
        finally:
            await tool.release(instance_id)
        assert reward == 0.0
        return response.text

    async def episode() -> None:
        assert await call("a", "x = 1\nx") == "1"
        assert await call("b", "x = 2\nx") == "2"
        assert await call("a", "x + 10") == "11"  # episode a's own globals
        texts = await asyncio.gather(*(call("b", "x") for _ in range(3)))  # parallel calls of one episode
        assert texts == ["2"] * 3
        assert (await call("a", "while True: pass")).startswith("TimeoutError")
        assert (await call("a", "x")).startswith("(a new session: earlier variables are gone)")

    try:
        asyncio.run(episode())
        tool.idle_s = 0
        tool._episode("next")
        assert list(tool._episodes) == ["next"] and no_leftovers()
    finally:
        tool.sessions.close()


def test_verl_tool_ends_the_least_recently_used_session_for_a_new_episode():
    tool = CodeInterpreterTool({"type": "native", "workers": 1, "call_timeout_s": 3})

    async def call(request_id: str | None, code: str, instance_id: str = "tool-1") -> str:
        agent_data = SimpleNamespace(request_id=request_id) if request_id else None
        response, _, _ = await tool.execute(instance_id, {"code": code}, agent_data=agent_data)
        return response.text

    async def episodes() -> None:
        assert await call("a", "x = 1\nx") == "1"
        assert await call("b", "x = 2\nx") == "2"  # the one slot: a's session ended for b
        assert (await call("a", "x")).startswith("(a new session: earlier variables are gone)")
        assert await call(None, "y = 3\ny", "tool-2") == "3"  # no agent_data: the tool instance's own
        await tool.release("tool-2")
        assert "tool-2" not in tool._episodes

    try:
        asyncio.run(episodes())
    finally:
        tool.sessions.close()


def test_verl_tool_config_loads_as_verl_loads_it(tmp_path):
    """verl's tool registry: a YAML ``tools`` list, ``class_name`` imported, the class called with
    ``config`` and the ``tool_schema`` validated as verl's own ``OpenAIFunctionToolSchema`` (verl
    0.9.1's ``verl/tools/schemas.py``, which scripts/setup.sh unpacks); replies fit its ``ToolResponse``."""
    import importlib
    import importlib.util

    import yaml
    schemas_file = Path(sys.prefix) / "extras/verl/verl/tools/schemas.py"
    if not schemas_file.is_file():
        pytest.skip(f"{schemas_file} missing: run scripts/setup.sh")
    spec = importlib.util.spec_from_file_location("verl_tool_schemas", schemas_file)
    schemas = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(schemas)
    config = tmp_path / "code_tool.yaml"
    config.write_text("tools:\n  - class_name: codeloop.rl.tools.CodeInterpreterTool\n    config: {type: native, "
                      "workers: 1, call_timeout_s: 3}\n    tool_schema:\n" +
                      "".join(f"      {line}\n" for line in yaml.safe_dump(TOOL_SCHEMA).splitlines()))
    entry = yaml.safe_load(config.read_text())["tools"][0]
    module, name = entry["class_name"].rsplit(".", 1)
    schema = schemas.OpenAIFunctionToolSchema.model_validate(entry["tool_schema"])
    tool = getattr(importlib.import_module(module), name)(config=entry["config"], tool_schema=schema)
    try:
        assert tool.name == "run_code" and tool.get_openai_tool_schema() is schema
        response, _, _ = asyncio.run(tool.execute("one", {"code": "6 * 7"}))
        fields = {name: getattr(response, name) for name in ("text", "image", "video")}  # as verl's loop copies it
        assert schemas.ToolResponse(**{k: v for k, v in fields.items() if v is not None}).text == "42"
    finally:
        tool.sessions.close()


@pytest.fixture(scope="module")
def hack_tasks():
    from codeloop.tasks import load
    found = {task.id: task for task in load("humaneval")}
    found.update({task.id: task for task in load("mbpp", split="all") if task.id in ("MBPP/11", "MBPP/596")})
    return found


def test_no_reward_hack_passes_through_submit(pool, sandbox, hack_tasks):
    """Tried in the episode's session first (whatever it does there), then submitted: the reward
    is the judge's on fresh runs, never the session's."""
    judge = Judge(sandbox)
    hacks = [hack for hack in HACKS if hack.task not in INLINE]
    for hack in hacks:
        task = hack_tasks[hack.task]
        program = task.program(hack.completion) if hack.task.startswith("HumanEval") else hack.completion
        environment = CodeEnvironment({task.id: task}, judge, pool)
        environment.reset(task_id=task.id)
        environment.run_code(program[:2000])
        environment.submit(program)
        assert environment.get_reward() < 0, hack.name


def start_server(*flags: str) -> tuple[subprocess.Popen, str]:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "codeloop", "serve", "--port", str(port), "--jobs", "1",
                                *flags], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/ping").status_code == 200:
                return process, f"http://127.0.0.1:{port}"
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(process.stderr.read().decode())


def test_serve_sessions_over_http(tmp_path, sandbox):
    import httpx
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    process, url = start_server("--sessions", "2", "--token-file", str(token))
    try:
        assert httpx.post(url + "/v1/sessions").status_code == 401
        assert httpx.post(url + "/v1/sessions/anything/run", json={"code": "1"}).status_code == 401
        sessions = RemoteSessions(url, token="s3cret")
        first, second = sessions.open(), sessions.open()
        assert first.run("x = 5\nx").stdout == "5\n"
        assert second.run("x").error.strip().endswith("NameError: name 'x' is not defined")
        assert sessions.client.post("/v1/sessions").status_code == 429  # both slots hold a session
        assert sessions.client.post("/v1/sessions/not-an-id/run", json={"code": "1"}).status_code == 404
        surrogate = sessions.client.post(first.path + "/run", content=b'{"code": "\\ud800"}',
                                         headers={"content-type": "application/json"})
        assert surrogate.status_code == 400 and "surrogate" in surrogate.text
        busy = threading.Thread(target=first.run, args=("import time\ntime.sleep(1.5)",))
        busy.start()
        time.sleep(0.5)
        assert sessions.client.post(first.path + "/run", json={"code": "1"}).status_code == 409
        busy.join()
        ended = first.run("while True: pass")
        assert "TimeoutError" in ended.error and not first.alive
        assert sessions.client.post(first.path + "/run", json={"code": "1"}).status_code == 404
        assert sessions.client.delete(second.path).json()["verdict"] == "OK"
        environment = code_environment([DOUBLE], Judge(sandbox), sessions)()  # TRL's, on the service's sessions
        environment.reset(task_id="toy/double")
        assert environment.run_code("a = 20\na + 1") == "21"
        assert environment.run_code("a * 2") == "40"
        environment.submit("def double(x):\n    return 2 * x\n")
        assert environment.get_reward() == 1.0
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_sessions_are_safe_to_use_from_many_threads(pool):
    with pool.open() as session:
        session.run("n = 0")
        threads = [threading.Thread(target=session.run, args=("n += 1",)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert session.run("n").stdout == "8\n"
