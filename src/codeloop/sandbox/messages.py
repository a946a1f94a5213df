"""What the host (``server.py``) and the fork server (``zygote.py``) say to each other, as typed
records, and the constants both sides use. Standard library only: the fork server loads it by
its bare name, the host as ``codeloop.sandbox.messages``."""

from __future__ import annotations

PROCESS_NAME = "codeloop-harness"  # a slot's harness server, as /proc/PID/comm shows it
