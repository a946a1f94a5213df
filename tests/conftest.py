import os

import pytest

from codeloop.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox():
    os.environ["CODELOOP_TEST_SECRET"] = "hunter2"  # must never reach a sandboxed program
    with Sandbox(workers=4) as box:
        yield box


def leftover_processes() -> list[str]:
    """Processes a sandboxed program left: inside a worker slot's pid namespace (their NSpid has a
    second level), but neither the slot's init (pid 1 there) nor its harness server. Needs no uid,
    so it works whether or not the tests run as root."""
    from codeloop.sandbox.messages import PROCESS_NAME
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                status = handle.read()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        nested = fields.get("NSpid", "").split()
        if len(nested) > 1 and nested[-1] != "1" and fields.get("Name") != PROCESS_NAME:
            found.append(f"{entry}:{fields.get('Name')}")
    return found
