"""Run untrusted programs fast and safely, with exact verdicts: Python in a fork server; C++,
Java, JavaScript, Rust and Go compiled (once, cached) and run in the same isolation; paired runs
let a trusted harness call an untrusted Python program's functions with data only. This package
imports nothing else of codeloop. The host side:

    sandbox.py   ``Sandbox``: starts the fork server, sends runs, reads reports, retries a sandbox failure once
    runs.py      ``Run``, ``Limits``, ``Harness`` in; ``Execution``, ``Verdict`` out
    languages.py one row per language: file name, compile and run commands, extra limits
    build.py     compiles, cached by SHA-256 on the host
    plan.py      the plan of the isolation: host paths hidden and bound back, slot uids, doctor's report
    cgroups.py   the slots' memory and pids cgroups
    pycode.py    Python compiled on the host, to code objects
    ray_pool.py  ``RaySandbox``: the same interface over sandbox actors on a Ray cluster

``forkserver/`` is the code that runs inside the fork server (its README: the process tree, the
descriptors, the messages).
"""

from codeloop.sandbox.languages import LANGUAGES, Language, language
from codeloop.sandbox.pycode import compile_quietly
from codeloop.sandbox.runs import Execution, Harness, Limits, Run, Verdict
from codeloop.sandbox.sandbox import Sandbox

__all__ = ["LANGUAGES", "Execution", "Harness", "Language", "Limits", "Run", "Sandbox", "Verdict", "compile_quietly",
           "language"]
