"""Hostile programs: each gets the right verdict, ends within wall + 1 s, leaves nothing behind."""

import os
import time

import pytest

from codeloop.judge import Judge
from codeloop.sandbox import Limits, Sandbox, Verdict
from codeloop.tasks import load
from conftest import SCAN_MEMORY, leftover_processes

LIMITS = Limits(cpu_s=1, wall_s=2, memory_mb=96, output_bytes=1 << 16, processes=16)
LIMITS_DEEP = Limits(cpu_s=4, wall_s=5, memory_mb=96, output_bytes=1 << 16, processes=16)

HOSTILE = {
    # its processes share pages, but each copies some: under 96 MB the memory may run out first
    "fork_bomb": ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                  {Verdict.TLE, Verdict.MLE}),
    "memory_bomb": ("x = []\nwhile True:\n    x.append(' ' * 10**6)\n", {Verdict.MLE}),
    "busy_loop": ("while True:\n    pass\n", {Verdict.TLE}),
    "sleep": ("import time\ntime.sleep(100)\n", {Verdict.TLE}),
    "threads": ("import threading\ndef burn():\n    while True:\n        pass\n"
                "for _ in range(4):\n    threading.Thread(target=burn).start()\n", {Verdict.TLE}),
    "endless_output": ("while True:\n    print('x' * 1000)\n", {Verdict.OLE}),
    "ignored_signals": ("import signal\nfor s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT, signal.SIGHUP):\n"
                        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n", {Verdict.TLE}),
    "fd_exhaustion": ("import os\nwhile True:\n    os.open('/dev/null', os.O_RDONLY)\n", {Verdict.RE}),
    "deep_recursion": ("def f(n):\n    return f(n + 1)\nf(0)\n", {Verdict.RE}),
    "deep_recursion_unlimited": ("import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1) + 1\n"
                                 "f(0)\n", {Verdict.RE, Verdict.MLE}),
    "kill_parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('alive')\n",
                    {Verdict.OK, Verdict.RE}),
    "kill_pid1": ("import os, signal\nos.kill(1, signal.SIGKILL)\nprint('alive')\n", {Verdict.OK, Verdict.RE}),
    "kill_all": ("import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('alive')\n", {Verdict.OK, Verdict.RE}),
    # SysV IPC outlives its process: denied (the program sees -1), never left to the next run
    "sysv_shared_memory": ("import ctypes\nlibc = ctypes.CDLL(None)\n"
                           "assert libc.shmget(0x5eed, 64 << 20, 0o1666) == -1\n", {Verdict.OK}),
    "posix_message_queue": ("import ctypes\nlibc = ctypes.CDLL(None)\n"
                            "assert libc.mq_open(b'/codeloop-leak', 0o102, 0o600, None) == -1\n", {Verdict.OK}),
    "sysv_semaphores": ("import ctypes\nlibc = ctypes.CDLL(None)\nassert libc.semget(0x5eed, 8, 0o1666) == -1\n",
                        {Verdict.OK}),
    "daemon": ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
               "        time.sleep(1000)\n    os._exit(0)\nprint('parent done')\n", {Verdict.OK}),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program(sandbox, name):
    source, verdicts = HOSTILE[name]
    # printing an 11000-frame traceback takes CPU of its own: give that case room to finish
    limits = LIMITS_DEEP if name == "deep_recursion_unlimited" else LIMITS
    start = time.monotonic()
    execution = sandbox.run(source, limits=limits)
    elapsed = time.monotonic() - start
    assert execution.verdict in verdicts, (name, execution)
    assert elapsed <= limits.wall_s + 1, elapsed
    deadline = time.monotonic() + 1
    while leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftover_processes() == []
    assert sandbox.run("print(6 * 7)").stdout == "42\n"  # the sandbox is still healthy


def test_daemon_returns_at_once(sandbox):
    execution = sandbox.run(HOSTILE["daemon"][0], limits=LIMITS)
    assert execution.stdout == "parent done\n"
    assert execution.wall_s < 1.0


def test_no_network(sandbox):
    source = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n"
              "    print('connected')\nexcept OSError as e:\n    print('blocked', type(e).__name__)\n")
    assert sandbox.run(source).stdout.startswith("blocked")
    udp = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    assert sandbox.run(udp).verdict == Verdict.RE


def test_writes_outside_workdir_fail_and_host_untouched(sandbox, tmp_path):
    targets = ["/etc/codeloop_probe", str(tmp_path / "probe"), os.path.abspath("probe_from_sandbox"),
               "/usr/codeloop_probe"]
    source = "import sys\nfor path in sys.argv[1:]:\n    try:\n        open(path, 'w').write('x')\n" \
             "        print('wrote', path)\n    except OSError:\n        print('blocked')\n"
    execution = sandbox.run(source, argv=targets)
    assert execution.stdout.split() == ["blocked"] * len(targets)
    assert not any(os.path.exists(path) for path in targets)
    inside = sandbox.run("open('mine.txt', 'w').write('ok')\nprint(open('mine.txt').read())")
    assert inside.stdout == "ok\n"
    assert sandbox.run("import os\nprint(os.listdir('.'))").stdout.count("mine.txt") == 0


def test_host_files_and_secrets_unreadable(sandbox):
    paths = [os.path.abspath("pyproject.toml"), os.path.expanduser("~/.bashrc"), "/etc/shadow",
             "/proc/1/environ"]
    source = ("import os, sys\nfor p in sys.argv[1:]:\n    try:\n        data = open(p).read()\n"
              "        print('read', p, 'hunter2' in data)\n    except OSError:\n        print('blocked')\n"
              "print('env', 'CODELOOP_TEST_SECRET' in os.environ, sorted(os.environ))\n")
    execution = sandbox.run(source, argv=paths)
    assert "hunter2" not in execution.stdout
    lines = execution.stdout.splitlines()
    assert lines[:3] == ["blocked"] * 3
    assert lines[-1] == ("env False ['HOME', 'LANG', 'MKL_NUM_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', "
                         "'PATH']")


def test_a_run_sees_only_its_own_processes_and_nothing_a_previous_run_left():
    listing = ("import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), os.getppid(), "
               "os.getpid())")
    daemon = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
              "        time.sleep(60)\n    os._exit(0)\nprint('left a daemon')\n")
    with Sandbox(workers=1) as one_slot:
        if not one_slot.layers["pid namespace"].startswith("on"):
            pytest.skip("no pid namespaces here")
        assert one_slot.run(daemon).stdout == "left a daemon\n"
        pids, forker, own = one_slot.run(listing).stdout.rsplit(" ", 2)
        # pid 1 is the slot's init, 2 its spawner, and the program's parent its forker; the daemon is gone
        assert pids == f"[1, 2, {int(forker)}, {int(own)}]"


def test_each_run_gets_a_fresh_working_directory():
    with Sandbox(workers=1) as one_slot:
        assert one_slot.run("open('left.txt', 'w').write('x')\nimport os\nprint(sorted(os.listdir()))").stdout == \
            "['left.txt', 'solution.py']\n"
        assert one_slot.run("import os\nprint(os.getcwd(), sorted(os.listdir()))").stdout == \
            "/tmp/work ['solution.py']\n"


def test_without_namespaces_paired_runs_work_and_nothing_outlives_a_run():
    """Where namespaces are off (``isolate=False``, or a host without user namespaces), the slot
    init is a child subreaper: a run's orphans come to it and are killed; paired runs work too."""
    escapee = ("import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
               "        print(os.getpid(), flush=True)\n        time.sleep(60)\n    os._exit(0)\ntime.sleep(0.3)\n")
    with Sandbox(workers=1, isolate=False) as plain:
        assert plain.layers["namespaces"].startswith("off")
        left = int(plain.run(escapee).stdout)
        assert not os.path.exists(f"/proc/{left}")  # killed and reaped
        task = load("humaneval")[0]
        judge = Judge(plain)
        assert judge.judge(task.references[0].program, task.hidden_tests).verdict == Verdict.OK
        assert judge.judge("def has_close_elements(a, b):\n    return True\n", task.hidden_tests).verdict == Verdict.WA


SCAN = SCAN_MEMORY + 'print("found", found)\n'


def test_a_run_memory_holds_nothing_of_an_earlier_run():
    """Programs are forked from a forker started before the slot's first job: an earlier run's
    stdin and source are nowhere in a later program's address space (forked from the supervisor,
    as before the forker, they were)."""
    with Sandbox(workers=1) as one_slot:
        assert one_slot.run("print(input())", stdin="SECRET-42-abc\n").stdout == "SECRET-42-abc\n"
        assert one_slot.run("marker = 'SECRET-42-abc'\nprint(len(marker))").stdout == "13\n"
        assert one_slot.run(SCAN).stdout == "found 0\n"


def test_cgroups_of_one_process_never_collide():
    """Each set of slot cgroups gets a fresh name, even while an earlier one is still there (a
    group an OOM-killed process still held outlives its ``remove``): a collision left a run with
    no memory cap at all."""
    from codeloop.sandbox.cgroups import CgroupSlots, create_slots
    left: list[str] = []  # groups not removed yet, of handles already dropped
    made = []
    try:
        for _ in range(20):
            slots = create_slots(1)
            made.append((bool(slots.slots), slots.why_not))
            left[:0] = slots.dirs
            del slots
        if not made[0][0]:
            pytest.skip(f"no writable cgroups here: {made[0][1]}")
        assert all(ok for ok, _ in made), made
    finally:
        CgroupSlots(dirs=left).remove()
