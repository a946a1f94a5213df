"""Run untrusted programs fast and safely, with exact verdicts: Python in a fork server; C++,
Java, JavaScript, Rust and Go compiled (once, cached) and run in the same isolation
(``languages``); paired runs let a trusted harness call an untrusted Python program's functions
with data only (``Harness``, ``rpc``).

This package imports nothing else of codeloop.
"""

from codeloop.sandbox.execution import Execution, Harness, Limits, Run, Verdict
from codeloop.sandbox.languages import LANGUAGES, Language, language
from codeloop.sandbox.pycode import compile_quietly
from codeloop.sandbox.server import Sandbox

__all__ = ["LANGUAGES", "Execution", "Harness", "Language", "Limits", "Run", "Sandbox", "Verdict", "compile_quietly",
           "language"]
