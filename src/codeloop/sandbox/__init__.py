"""Run untrusted Python programs fast and safely, with exact verdicts.

This package imports nothing else of codeloop.
"""

from codeloop.sandbox.execution import Execution, Limits, Verdict
from codeloop.sandbox.server import Run, Sandbox, compile_quietly

__all__ = ["Execution", "Limits", "Run", "Sandbox", "Verdict", "compile_quietly"]
