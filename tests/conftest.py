import os

import pytest

from codeloop.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox():
    os.environ["CODELOOP_TEST_SECRET"] = "hunter2"  # must never reach a sandboxed program
    with Sandbox(workers=4) as box:
        yield box


def leftover_processes() -> list[str]:
    """Processes a sandboxed program of this test session left: descendants of this process, inside
    a worker slot's pid namespace (their NSpid has a second level), but neither the slot's init
    (pid 1 there) nor its forker, harness server and spawner. Needs no uid, so it works whether or not
    tests run as root."""
    from codeloop.sandbox.messages import FORKER_NAME, HARNESS_NAME, SPAWNER_NAME
    statuses = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as handle:
                    statuses[int(entry)] = dict(line.split(":\t", 1) for line in handle.read().splitlines()
                                                if ":\t" in line)
            except OSError:
                continue

    def ours(pid: int) -> bool:
        while pid > 1 and pid in statuses:
            pid = int(statuses[pid].get("PPid", "0"))
            if pid == os.getpid():
                return True
        return False

    return [f"{pid}:{fields.get('Name')}" for pid, fields in statuses.items()
            if len(fields.get("NSpid", "").split()) > 1 and fields["NSpid"].split()[-1] != "1"
            and fields.get("Name") not in (HARNESS_NAME, FORKER_NAME, SPAWNER_NAME) and ours(pid)]
