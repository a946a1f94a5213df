"""Run untrusted Python programs fast and safely, with exact verdicts; paired runs let a trusted
harness call an untrusted program's functions with data only (``Harness``, ``rpc``).

This package imports nothing else of codeloop.
"""

from codeloop.sandbox.execution import Execution, Harness, Limits, Verdict
from codeloop.sandbox.server import Run, Sandbox, compile_quietly

__all__ = ["Execution", "Harness", "Limits", "Run", "Sandbox", "Verdict", "compile_quietly"]
