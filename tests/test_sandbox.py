"""Sandbox API: verdicts, limits, stdin/argv/files, async and batch, load."""

import asyncio
import contextlib
import os
import sys

import pytest

from codeloop.sandbox import Limits, Run, Sandbox, Verdict


def test_stdin_argv_files(sandbox):
    source = "import sys\nprint(input(), sys.argv[1:], open('data/in.txt').read())"
    execution = sandbox.run(source, stdin="hello\n", argv=["a", "b"], files={"data/in.txt": "file"})
    assert execution.verdict == Verdict.OK
    assert execution.stdout == "hello ['a', 'b'] file\n"
    assert execution.exit_code == 0 and execution.signal is None
    empty = sandbox.run("import sys\nprint(repr(sys.stdin.read()))\ninput()")  # no stdin: at its end at once
    assert empty.stdout == "''\n" and "EOFError" in empty.stderr


def test_exit_codes_and_errors(sandbox):
    assert sandbox.run("raise SystemExit(3)").exit_code == 3
    assert sandbox.run("raise SystemExit(3)").verdict == Verdict.RE
    assert sandbox.run("import sys; sys.exit(0)").verdict == Verdict.OK
    failed = sandbox.run("1/0")
    assert failed.verdict == Verdict.RE
    assert 'File "/tmp/work/solution.py", line 1' in failed.stderr and "ZeroDivisionError" in failed.stderr
    killed = sandbox.run("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    assert killed.verdict == Verdict.RE and killed.signal == 11


def test_cpu_limit_is_cpu_not_wall(sandbox):
    execution = sandbox.run("import time\ntime.sleep(1.2)\nprint('done')", limits=Limits(cpu_s=1, wall_s=3))
    assert execution.verdict == Verdict.OK
    assert execution.wall_s >= 1.2 and execution.cpu_s < 0.5


def test_output_cap_truncates(sandbox):
    execution = sandbox.run("print('y' * 5000)", limits=Limits(output_bytes=1000))
    assert execution.verdict == Verdict.OLE
    assert execution.stdout_truncated and len(execution.stdout) == 1000


def test_memory_is_measured(sandbox):
    execution = sandbox.run("x = bytearray(60 * 2**20)\nprint(len(x))")
    assert execution.verdict == Verdict.OK
    assert 55 <= execution.max_rss_mb <= 200


def test_file_size_limit(sandbox):
    execution = sandbox.run("open('big', 'wb').write(b'0' * (3 << 20))", limits=Limits(file_size_mb=1))
    assert execution.verdict == Verdict.RE


def test_bad_limits_are_rejected():
    with pytest.raises(ValueError, match="cpu_s must be positive"):
        Limits(cpu_s=-1)
    with pytest.raises(ValueError, match="memory_mb"):
        Limits(memory_mb=0)


def test_async_and_batch(sandbox):
    async def main():
        return await asyncio.gather(*(sandbox.arun(f"print({i})") for i in range(8)))
    assert [e.stdout for e in asyncio.run(main())] == [f"{i}\n" for i in range(8)]
    runs = [Run(f"print({i} * 2)") for i in range(10)]
    assert [e.stdout for e in sandbox.run_many(runs)] == [f"{i * 2}\n" for i in range(10)]


def test_random_is_reseeded_per_run(sandbox):
    draws = {sandbox.run("import random\nprint(random.random())").stdout for _ in range(3)}
    assert len(draws) == 3


def test_harness_failure_is_se_and_recovers():
    """The fork server killed (here during its start-up, which goes on in the background): the
    next run starts another."""
    with Sandbox(workers=1) as box:
        box._process.kill()
        box._process.wait()
        execution = box.run("print('back')")
        assert execution.verdict == Verdict.OK and execution.stdout == "back\n"


def test_a_fork_server_that_cannot_start_is_an_error(monkeypatch):
    """Started again once; then its failure is raised, not turned into a verdict."""
    import codeloop.sandbox.sandbox as host
    monkeypatch.setattr(host, "ZYGOTE", [*host.ZYGOTE[:4], "raise SystemExit(1)"])
    box = Sandbox(workers=1)
    with pytest.raises(RuntimeError, match="exited during start-up"):
        box.run("print('never')")
    box.close()


DETERMINISTIC = [
    ("print(sum(range({i} * 1000)))", Verdict.OK),
    ("raise ValueError({i})", Verdict.RE),
    ("x = bytearray(2**40 + {i})", Verdict.MLE),
    ("import sys\nsys.stdout.write('z' * (70000 + {i}))", Verdict.OLE),
    ("print(input()[::-1], {i})", Verdict.OK),
]


def test_load_no_verdict_flips():
    """200 runs at twice the core count in parallel, twice: identical verdicts and output."""
    import os
    workers = 2 * (os.cpu_count() or 1)
    runs = [Run(DETERMINISTIC[i % 5][0].format(i=i), stdin=f"abc{i}\n", limits=Limits(output_bytes=65536))
            for i in range(200)]
    with Sandbox(workers=workers) as box:
        first = box.run_many(runs)
        second = box.run_many(runs)
    for index, (a, b) in enumerate(zip(first, second, strict=True)):
        expected = DETERMINISTIC[index % 5][1]
        assert a.verdict == b.verdict == expected, (index, a, b)
        assert a.stdout == b.stdout


def test_site_packages_only_on_request(sandbox):
    assert sandbox.run("import tqdm").verdict == Verdict.RE  # stdlib only by default
    with Sandbox(workers=1, python_env=sys.prefix) as box:
        execution = box.run("import tqdm\nprint('ok')")
        assert execution.stdout == "ok\n", execution.stderr


def test_programs_compile_without_the_fork_servers_future_flags(sandbox):
    # the fork server itself uses `from __future__ import annotations`; programs must not inherit it
    execution = sandbox.run("def f(x: int) -> int:\n    return x\nprint(f.__annotations__)")
    assert execution.stdout == "{'x': <class 'int'>, 'return': <class 'int'>}\n"


def test_compile_warnings_and_errors_show_as_python_shows_them(sandbox):
    warned = sandbox.run("x = 1\nprint(x is 1)\n")
    assert warned.stdout == "True\n" and "SyntaxWarning" in warned.stderr
    broken = sandbox.run("def f(:\n    pass\n")
    assert broken.verdict == Verdict.RE and "SyntaxError" in broken.stderr
    traced = sandbox.run("def f():\n    raise KeyError('k')\nf()\n")
    assert 'File "/tmp/work/solution.py", line 2, in f' in traced.stderr and "KeyError: 'k'" in traced.stderr
    assert traced.stderr.startswith("Traceback (most recent call last):\n  File \"/tmp/work/solution.py\", line 3")
    hooked = sandbox.run("import sys\nsys.excepthook = lambda t, v, tb: print('hook', t.__name__)\nraise KeyError(1)")
    assert hooked.stdout == "hook KeyError\n" and hooked.exit_code == 1  # as python does


def test_large_and_small_payloads_both_arrive(sandbox):
    for size in (10, 200_000):  # inline in the job message, and through a memfd
        text = "x" * size
        execution = sandbox.run("import sys\ndata = sys.stdin.read()\nprint(len(data), data == 'x' * len(data))",
                                stdin=text)
        assert execution.stdout == f"{size} True\n"


def test_programs_import_their_own_modules_named_like_the_fork_servers(sandbox):
    from pathlib import Path

    import codeloop.sandbox.forkserver as forkserver
    names = sorted(path.stem for path in Path(forkserver.__file__).parent.glob("*.py") if path.stem != "__init__")
    files = {f"{name}.py": f"NAME = 'mine: {name}'\n" for name in names}
    execution = sandbox.run(f"import {', '.join(names)}\nprint({', '.join(f'{n}.NAME' for n in names)})",
                            files=files)
    assert execution.stdout == " ".join(f"mine: {name}" for name in names) + "\n"


def test_a_program_holds_its_own_descriptors_only_and_runs_where_its_file_is(sandbox):
    source = ("import os, sys\nprint(sorted(int(fd) for fd in os.listdir('/proc/self/fd')))\n"
              "print(os.getcwd() == os.path.dirname(__file__) == sys.path[0], sorted(os.listdir('.')))")
    for _ in range(2):  # the forker gives each run's descriptors back: nothing carries over
        execution = sandbox.run(source, files={"in.txt": "x"})
        # stdin, stdout, stderr, the memory-error mark, and the one listdir opens
        assert execution.stdout.splitlines() == ["[0, 1, 2, 3, 4]", "True ['in.txt', 'solution.py']"]


def test_a_program_that_is_not_paired_may_use_every_core(sandbox):
    """The slot's own processes keep to its core; a program that is not paired gets them all."""
    assert sandbox.run("import os\nprint(len(os.sched_getaffinity(0)))").stdout == f"{len(os.sched_getaffinity(0))}\n"


def test_a_slots_own_processes_keep_to_its_core():
    """Each slot's supervisor, forker and harness server run on that slot's core alone."""
    from codeloop.judge import Judge
    from codeloop.tasks import load
    task = load("humaneval")[0]
    with Sandbox(workers=2) as box:
        Judge(box).judge(task.references[0].program, task.hidden_tests)  # a paired run: a harness server too
        statuses = {}
        for entry in filter(str.isdigit, os.listdir("/proc")):
            with contextlib.suppress(OSError), open(f"/proc/{entry}/status") as handle:
                lines = handle.read().splitlines()
                statuses[int(entry)] = dict(line.split(":\t", 1) for line in lines if ":\t" in line)

        def under_this_sandbox(pid: int) -> bool:
            while pid > 1 and pid in statuses:
                pid = int(statuses[pid]["PPid"])
                if pid == box._process.pid:
                    return True
            return False

        helpers = [fields for pid, fields in statuses.items()
                   if fields["Name"] in ("cl-slot", "cl-forker", "cl-harness") and under_this_sandbox(pid)]
    assert {fields["Name"] for fields in helpers} == {"cl-slot", "cl-forker", "cl-harness"}
    cores = [fields["Cpus_allowed_list"] for fields in helpers]
    assert all(core.isdigit() for core in cores), cores  # one core each
    assert len(set(cores)) == min(2, len(os.sched_getaffinity(0)))


def test_fetched_files_come_back_whatever_the_outcome(sandbox):
    from codeloop.sandbox import Run

    program = ("import os\nos.makedirs('out', exist_ok=True)\nopen('out/a.bin', 'wb').write(bytes([0, 255]))\n"
               "os.symlink('/etc/hostname', 'link')\nraise SystemExit(4)\n")
    execution = sandbox.execute(Run(program, fetch=("out/a.bin", "link", "missing")))
    assert execution.exit_code == 4 and execution.files == {"out/a.bin": b"\x00\xff"}  # no link, nothing missing
    assert execution.to_dict()["files"] == {"out/a.bin": "AP8="}
    with pytest.raises(ValueError, match="inside the working directory"):
        Run("1", fetch=("../x",))


def test_messages_check_their_fields():
    from codeloop.sandbox.forkserver.messages import Report

    assert Report.decode(Report(status=0, artefacts=[["a", 1]]).encode()) == Report(status=0, artefacts=[["a", 1]])
    assert Report().artefacts == [] and Report().artefacts is not Report().artefacts
    with pytest.raises(TypeError, match="unknown fields \\['bogus'\\]"):
        Report(bogus=1)
