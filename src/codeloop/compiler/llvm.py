"""The LLVM tools, one version throughout: C to IR, a pass list applied, and the two size metrics.

The tools are those of one ``/usr/lib/llvm-N/bin`` (Debian's layout; the newest N that holds
``clang``, ``opt``, ``llc`` and ``llvm-size``), or of ``$CODELOOP_LLVM_BIN``. They run on the
host: they only translate text (the candidate programs themselves run in the sandbox,
``validate.py``). Each call has a time limit; a failure is a ``ToolError`` with the tool's message.

Metrics, as in LLM Compiler (arXiv 2407.02524, sec. 3.2): the IR's instruction count and the
object file's code size, the ``.text`` section of ``llc -filetype=obj`` (read from the ELF section
headers here; ``llvm-size -A`` prints the same number).
"""

from __future__ import annotations

import functools
import glob
import os
import re
import struct
import subprocess
from dataclasses import dataclass

from codeloop.compiler.passes import opt_args

TOOLS = ("clang", "opt", "llc", "llvm-size", "llvm-extract")
TOOL_TIMEOUT_S = 60.0
# what codeloop's IR comes from: unoptimised, but with every function optimisable
CLANG_IR_ARGS = ("-O0", "-Xclang", "-disable-O0-optnone", "-emit-llvm", "-S", "-w")


class ToolError(RuntimeError):
    """An LLVM tool failed (its message) or ran past its time limit."""


@dataclass(frozen=True)
class Toolchain:
    bin_dir: str
    version: str  # opt's "LLVM version X.Y.Z"

    def path(self, tool: str) -> str:
        return os.path.join(self.bin_dir, tool)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def run(self, tool: str, args: list[str], stdin: bytes = b"", timeout: float = TOOL_TIMEOUT_S) -> bytes:
        """``tool args`` with ``stdin``: its standard output, or a ToolError."""
        try:
            done = subprocess.run([self.path(tool), *args], input=stdin, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise ToolError(f"{tool} ran past {timeout:.0f} s") from error
        except OSError as error:
            raise ToolError(f"{self.path(tool)}: {error.strerror}") from error
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()
            raise ToolError(f"{tool} failed (exit {done.returncode}): {' '.join(message[:3])[:400]}")
        return done.stdout

    def compile_c(self, source_path: str, include_dirs: tuple[str, ...] = ()) -> str:
        """The unoptimised IR of a C file (``clang -O0 -Xclang -disable-O0-optnone -emit-llvm``)."""
        includes = [f"-I{folder}" for folder in include_dirs]
        return self.run("clang", [*CLANG_IR_ARGS, *includes, source_path, "-o", "-"]).decode()

    def optimize(self, ir: str, passes: list[str] | tuple[str, ...]) -> str:
        """``ir`` after ``opt`` with ``passes`` (textual IR in and out)."""
        return self.run("opt", [*opt_args(passes), "-S", "-", "-o", "-"], ir.encode()).decode()

    def object_file(self, ir: str) -> bytes:
        return self.run("llc", ["-filetype=obj", "-relocation-model=pic", "-", "-o", "-"], ir.encode())

    def extract_function(self, ir: str, function: str) -> str:
        """A module holding ``function`` of ``ir`` and the declarations it needs (``llvm-extract``)."""
        return self.run("llvm-extract", [f"--func={function}", "-S", "-", "-o", "-"], ir.encode()).decode()

    def assembly(self, ir: str) -> str:
        return self.run("llc", ["-relocation-model=pic", "-", "-o", "-"], ir.encode()).decode()

    def text_size(self, ir: str) -> int:
        """The ``.text`` size in bytes of ``ir``'s object file."""
        return elf_text_size(self.object_file(ir))


def elf_text_size(obj: bytes) -> int:
    """The summed size of an ELF64 object's ``.text`` sections (``.text`` and ``.text.*``)."""
    if obj[:4] != b"\x7fELF" or obj[4] != 2:
        raise ToolError("llc did not write an ELF64 object file")
    shoff, = struct.unpack_from("<Q", obj, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", obj, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", obj, shoff + i * shentsize) for i in range(shnum)]
    names_offset = headers[shstrndx][4]
    total = 0
    for name_at, _kind, _flags, _addr, _offset, size in headers:
        start = names_offset + name_at
        name = obj[start:obj.index(b"\0", start)].decode()
        if name == ".text" or name.startswith(".text."):
            total += size
    return total


_NOT_INSTRUCTION = re.compile(r"^\s*($|;|}|define\b|[\w.$\"-]+:)")


def instruction_count(ir: str) -> int:
    """How many instructions the functions of ``ir`` hold (lines inside ``define ... { }`` bodies
    that are neither labels, comments nor blank)."""
    count, inside = 0, False
    for line in ir.splitlines():
        if line.startswith("define "):
            inside = True
        elif inside and line.startswith("}"):
            inside = False
        elif inside and not _NOT_INSTRUCTION.match(line):
            count += 1
    return count


def _version(opt: str) -> str | None:
    try:
        text = subprocess.run([opt, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"LLVM version (\d+\.\d+\.\d+)", text)
    return found.group(1) if found else None


@functools.cache
def find_toolchain() -> Toolchain:
    """The LLVM tools codeloop uses, or a one-line FileNotFoundError saying how to get them."""
    override = os.environ.get("CODELOOP_LLVM_BIN")
    folders = [override] if override else sorted(glob.glob("/usr/lib/llvm-*/bin"),
                                                  key=lambda path: int(re.sub(r"\D", "", path) or 0), reverse=True)
    for folder in folders:
        if all(os.access(os.path.join(folder, tool), os.X_OK) for tool in TOOLS):
            version = _version(os.path.join(folder, "opt"))
            if version:
                return Toolchain(folder, version)
    where = f"$CODELOOP_LLVM_BIN ({override})" if override else "/usr/lib/llvm-*/bin"
    raise FileNotFoundError(f"no LLVM toolchain with {', '.join(TOOLS)} in {where}: "
                            "scripts/setup.sh installs Debian's clang-14 and llvm-14")
