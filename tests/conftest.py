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
    from codeloop.sandbox.forkserver.messages import FORKER_NAME, HARNESS_NAME, SPAWNER_NAME
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


# A program that counts, in its own readable memory, a marker (SECRET-42-abc) that earlier runs
# were given; the caller appends how ``found`` is told. The marker is never whole in this text.
SCAN_MEMORY = """
import ctypes, os
found = 0
for line in open("/proc/self/maps").read().splitlines():
    parts = line.split()
    if parts[1][0] != "r" or (len(parts) > 5 and parts[5].startswith("[v")):
        continue
    low, high = (int(x, 16) for x in parts[0].split("-"))
    if high - low > 64 << 20:
        continue
    data = ctypes.string_at(low, high - low)
    start = 0
    while (at := data.find(b"SECRET" + b"-", start)) >= 0:
        found += data[at + 7:at + 10] == b"42" + b"-" and data[at + 10:at + 13] == b"ab" + b"c"
        start = at + 1
"""
