"""The environment: a program's IR, a pass list in, its sizes out, and the execution check.

``measure`` applies a pass list with ``opt`` and measures the result (IR instruction count, object
``.text`` bytes); ``check`` runs optimised IR in the sandbox on the program's inputs and accepts it
only if every run prints what the unoptimised program prints and exits the same way (a miscompile,
a crash or a hang is rejected, never scored). Both are cached by (IR hash, pass list): in memory,
or in a SQLite file (append-only) so a tuning run can resume where another stopped.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from codeloop.compiler.corpus import Program
from codeloop.compiler.llvm import Toolchain, ToolError, instruction_count
from codeloop.sandbox import Execution, Language, Limits, Run, Sandbox, Verdict

RUN_LIMITS = Limits(cpu_s=5.0, wall_s=10.0, memory_mb=1024)
CSMITH_LIMITS = Limits(cpu_s=2.0, wall_s=4.0, memory_mb=512)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS measurements (ir TEXT, passes TEXT, size INTEGER, instructions INTEGER, error TEXT,
                                         PRIMARY KEY (ir, passes));
CREATE TABLE IF NOT EXISTS checks (ir TEXT, passes TEXT, problem TEXT, PRIMARY KEY (ir, passes));
"""


def ir_language(toolchain: Toolchain) -> Language:
    """LLVM IR as a sandbox language: compiled by the toolchain's clang (no optimisation of its
    own), run as a native program."""
    return Language("llvm_ir", "main.ll", run=("./main",),
                    compile=(toolchain.path("clang"), "-x", "ir", "-O0", "-w", "-o", "main", "{source}"),
                    artefacts=("main",))


@dataclass(frozen=True)
class Measurement:
    passes: tuple[str, ...]
    size: int | None           # .text bytes of the object file; None: opt or llc failed
    instructions: int | None   # IR instructions after the passes
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.size is not None


def _key(passes: tuple[str, ...] | list[str]) -> str:
    return " ".join(passes)


class Environment:
    """Measures and checks pass lists for programs; safe to share between threads."""

    def __init__(self, toolchain: Toolchain, sandbox: Sandbox, cache: Path | None = None) -> None:
        self.toolchain, self.sandbox = toolchain, sandbox
        self.language = ir_language(toolchain)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(cache) if cache else ":memory:", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._by_output: dict[str, tuple[int, int]] = {}  # optimised IR hash -> (size, instructions)
        self._references: dict[str, list[Execution]] = {}

    def close(self) -> None:
        self._db.close()

    def measure(self, program: Program, passes: tuple[str, ...] | list[str]) -> Measurement:
        passes = tuple(passes)
        with self._lock:
            row = self._db.execute("SELECT size, instructions, error FROM measurements WHERE ir=? AND passes=?",
                                   (program.ir_hash, _key(passes))).fetchone()
        if row:
            return Measurement(passes, row[0], row[1], row[2])
        try:
            optimised = self.toolchain.optimize(program.ir, passes)
            output_key = hashlib.sha256(optimised.encode()).hexdigest()
            if output_key not in self._by_output:  # many lists give the same IR: llc it once
                self._by_output[output_key] = (self.toolchain.text_size(optimised), instruction_count(optimised))
            measurement = Measurement(passes, *self._by_output[output_key])
        except ToolError as error:
            measurement = Measurement(passes, None, None, str(error))
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO measurements VALUES (?, ?, ?, ?, ?)",
                             (program.ir_hash, _key(passes), measurement.size, measurement.instructions,
                              measurement.error))
            self._db.commit()
        return measurement

    def _run(self, ir: str, stdin: str, limits: Limits = RUN_LIMITS) -> Execution:
        return self.sandbox.execute(Run(ir, stdin=stdin, limits=limits, language=self.language))

    def references(self, program: Program) -> list[Execution]:
        """The unoptimised program's runs on its inputs (made once)."""
        if program.ir_hash not in self._references:
            self._references[program.ir_hash] = [self._run(program.ir, stdin) for stdin in program.inputs]
        return self._references[program.ir_hash]

    def check(self, program: Program, ir: str) -> str:
        """Why ``ir`` is not a correct build of ``program`` ("" when every run matches)."""
        for number, (reference, stdin) in enumerate(zip(self.references(program), program.inputs, strict=True)):
            if reference.verdict not in (Verdict.OK, Verdict.RE) or reference.signal is not None:
                return f"the unoptimised program itself fails on input {number} ({reference.verdict})"
            run = self._run(ir, stdin)
            if run.verdict == Verdict.CE:
                return f"does not compile: {run.stderr.strip()[:200]}"
            if run.verdict not in (Verdict.OK, Verdict.RE) or run.signal is not None:
                return f"input {number}: {run.verdict}{f' (signal {run.signal})' if run.signal else ''}"
            if (run.exit_code, run.stdout) != (reference.exit_code, reference.stdout):
                what = "exit code" if run.stdout == reference.stdout else "output"
                return f"input {number}: {what} differs from the unoptimised program's"
        return ""

    def validate(self, program: Program, passes: tuple[str, ...] | list[str]) -> str:
        """``check`` of ``program`` optimised with ``passes``, cached: "" when it is correct."""
        passes = tuple(passes)
        with self._lock:
            row = self._db.execute("SELECT problem FROM checks WHERE ir=? AND passes=?",
                                   (program.ir_hash, _key(passes))).fetchone()
        if row:
            return row[0]
        try:
            problem = self.check(program, self.toolchain.optimize(program.ir, passes))
        except ToolError as error:
            problem = str(error)
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO checks VALUES (?, ?, ?)", (program.ir_hash, _key(passes), problem))
            self._db.commit()
        return problem

    def csmith_verdict(self, ir: str) -> str:
        """"ok" for a csmith program worth keeping: its -O0 build ends in time and prints its checksum."""
        run = self._run(ir, "", CSMITH_LIMITS)
        if run.verdict != Verdict.OK:
            return f"-O0 build: {run.verdict}"
        return "ok" if run.stdout.startswith("checksum = ") else "no checksum printed"
