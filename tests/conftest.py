import os

import pytest

from codeloop.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox():
    os.environ["CODELOOP_TEST_SECRET"] = "hunter2"  # must never reach a sandboxed program
    with Sandbox(workers=4) as box:
        yield box


def leftover_processes() -> list[str]:
    """Processes running as a sandbox slot uid (host uid 101000+), i.e. escaped programs."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                status = handle.read()
        except OSError:
            continue
        uid = int(status.split("\nUid:\t", 1)[1].split()[0])
        if 101000 <= uid < 165536:
            found.append(f"{entry}:{status.splitlines()[0]}")
    return found
