"""The programs pass lists are tuned on: built, not hand-picked.

Two sources, compiled to unoptimised IR with the toolchain's clang (``llvm.CLANG_IR_ARGS``):

- **hand-written**: the C programs shipped in ``programs/`` (sorting, hashing, parsing, dynamic
  programming, an interpreter, ...), each with the inputs in ``programs/inputs.json``; their
  outputs on those inputs are the test;
- **csmith** (Yang et al., PLDI 2011): random programs, free of undefined behaviour by
  construction, that print a checksum of their global state; seeds 1, 2, ... in order, keeping
  those whose -O0 build finishes within ``CSMITH_TIME_S`` and prints a checksum (the rest are
  skipped, and said so).

The split is by program: in each source, every third program by name is a test program. IR is
cached per toolchain under ``~/.cache/codeloop/compiler``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from codeloop.compiler.llvm import Toolchain

CSMITH_ARGS = ("--max-funcs", "2", "--max-block-depth", "2", "--max-block-size", "3", "--max-expr-complexity", "4",
               "--max-struct-fields", "3", "--no-packed-struct", "--no-bitfields", "--no-volatiles")
CSMITH_INCLUDE = "/usr/include/csmith"  # Debian's libcsmith-dev
CSMITH_TIME_S = 2.0
CSMITH_MAX_IR_BYTES = 80_000


@dataclass(frozen=True)
class Program:
    name: str
    origin: str                # "handwritten" | "csmith" | "file"
    ir: str                    # unoptimised (clang -O0 -Xclang -disable-O0-optnone)
    inputs: tuple[str, ...]    # the stdin of each test run
    split: str = "test"        # "train" | "test"

    @property
    def ir_hash(self) -> str:
        return hashlib.sha256(self.ir.encode()).hexdigest()


def cache_root() -> Path:
    return Path(os.environ.get("CODELOOP_CACHE", Path.home() / ".cache" / "codeloop")) / "compiler"


def _programs_folder() -> resources.abc.Traversable:
    return resources.files("codeloop.compiler") / "programs"


def handwritten_inputs() -> dict[str, list[str]]:
    return json.loads((_programs_folder() / "inputs.json").read_text())


def _cached_ir(toolchain: Toolchain, key: str, make) -> str:
    folder = cache_root() / f"ir-llvm{toolchain.version}"
    path = folder / f"{key}.ll"
    if path.exists():
        return path.read_text()
    ir = make()
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(ir)
    temporary.replace(path)
    return ir


def compile_source(toolchain: Toolchain, source: str, name: str = "program",
                   include_dirs: tuple[str, ...] = ()) -> str:
    """The unoptimised IR of C ``source``, its module named ``NAME.c`` (no temporary path in it)."""
    with tempfile.TemporaryDirectory(prefix="codeloop-c-") as folder:
        path = os.path.join(folder, f"{name}.c")
        Path(path).write_text(source)
        return toolchain.compile_c(path, include_dirs).replace(folder + "/", "")


def handwritten_programs(toolchain: Toolchain) -> list[Program]:
    inputs = handwritten_inputs()
    programs = []
    for name in sorted(inputs):
        source = (_programs_folder() / f"{name}.c").read_text()
        key = f"{name}-" + hashlib.sha256(source.encode()).hexdigest()[:16]
        ir = _cached_ir(toolchain, key, lambda source=source, name=name: compile_source(toolchain, source, name))
        programs.append(Program(name, "handwritten", ir, tuple(inputs[name])))
    return programs


def csmith_source(seed: int) -> str:
    csmith = shutil.which("csmith")
    if csmith is None:
        raise FileNotFoundError("csmith is not installed (scripts/setup.sh installs Debian's csmith)")
    return subprocess.run([csmith, "--seed", str(seed), *CSMITH_ARGS], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def csmith_programs(toolchain: Toolchain, count: int, keeps) -> tuple[list[Program], list[str]]:
    """``count`` csmith programs from seeds 1, 2, ...: those ``keeps(ir)`` accepts (it runs them),
    and a line per skipped seed. Accepted and rejected seeds are remembered in the cache."""
    verdicts_path = cache_root() / f"csmith-llvm{toolchain.version}.json"
    verdicts: dict[str, str] = json.loads(verdicts_path.read_text()) if verdicts_path.exists() else {}
    programs, skipped = [], []
    seed = 0
    while len(programs) < count and seed < 20 * count + 20:
        seed += 1
        name = f"csmith_{seed:04d}"
        if verdicts.get(name, "ok") != "ok":
            skipped.append(f"{name}: {verdicts[name]}")
            continue
        key = f"{name}-{hashlib.sha256(' '.join(CSMITH_ARGS).encode()).hexdigest()[:8]}"
        ir = _cached_ir(toolchain, key, lambda seed=seed, name=name: compile_source(
            toolchain, csmith_source(seed), name, (CSMITH_INCLUDE,)))
        if name not in verdicts:
            verdicts[name] = f"IR over {CSMITH_MAX_IR_BYTES} bytes" if len(ir) > CSMITH_MAX_IR_BYTES else keeps(ir)
            verdicts_path.parent.mkdir(parents=True, exist_ok=True)
            verdicts_path.write_text(json.dumps(verdicts, indent=1, sort_keys=True))
        if verdicts[name] == "ok":
            programs.append(Program(name, "csmith", ir, ("",)))
        else:
            skipped.append(f"{name}: {verdicts[name]}")
    return programs, skipped


def split(programs: list[Program]) -> list[Program]:
    """Every third program of each origin, by name, is a test program; the others train."""
    out = []
    for origin in sorted({p.origin for p in programs}):
        mine = sorted((p for p in programs if p.origin == origin), key=lambda p: p.name)
        out += [Program(p.name, p.origin, p.ir, p.inputs, "test" if i % 3 == 2 else "train")
                for i, p in enumerate(mine)]
    return out
