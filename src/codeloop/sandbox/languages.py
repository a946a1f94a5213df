"""The languages the sandbox runs: one table, one row per language.

A row says the file the source is written as, how to compile it (``None``: nothing to compile),
what the compile leaves that the run needs, how to run it, and what the language needs beyond a
run's limits. Adding a language is adding a row (and a test). Names are SandboxFusion's
(``python``, ``cpp``, ``java``, ``nodejs``, ``rust``, ``go``); ``ALIASES`` maps the usual other
spellings. In a command, ``{source}``, ``{stem}`` (the file name without extension) and
``{memory_mb}`` are filled in per run; a command's first word is looked up on the host's PATH.

Python programs are not exec'd: the fork server runs them itself (``program.py``), which is why
its row has no run command.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Language:
    name: str
    source: str                        # the file the program is written as ({stem} from the program for Java)
    run: tuple[str, ...]               # () for Python: the fork server runs it in-process
    compile: tuple[str, ...] | None = None
    artefacts: tuple[str, ...] = ()    # what a compile leaves for the run (names, "*.class" globs; none: a check)
    env: dict[str, str] = field(default_factory=dict)  # added to the run's and the compile's environment
    extra_cpu_s: float = 0.0           # added to a run's CPU limit (a JVM's start and its compiler threads)
    extra_processes: int = 0           # added to a run's process limit (runtime threads count as processes)
    address_space_ok: bool = True      # False: its runtime reserves far more address space than it uses


LANGUAGES: dict[str, Language] = {language.name: language for language in (
    Language("python", "solution.py", run=()),
    Language("cpp", "main.cpp", compile=("g++", "-std=c++17", "-O2", "-pipe", "-o", "main", "{source}"),
             artefacts=("main",), run=("./main",)),
    Language("java", "{stem}.java",
             compile=("javac", "-encoding", "UTF-8", "-J-Xshare:auto", "-J-XX:+UseSerialGC",
                      "-J-XX:TieredStopAtLevel=1", "-J-XX:-UsePerfData", "{source}"),
             artefacts=("*.class",),
             run=("java", "-Xshare:auto", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                  "-XX:ActiveProcessorCount=1", "-Xss64m", "-Xmx{memory_mb}m", "-cp", ".", "{stem}"),
             extra_cpu_s=1.0, extra_processes=32, address_space_ok=False),
    Language("nodejs", "main.js", compile=("node", "--check", "{source}"), run=("node", "{source}"),
             extra_processes=16, address_space_ok=False),
    Language("rust", "main.rs",
             compile=("rustc", "--edition", "2021", "-O", "-C", "debuginfo=0", "-C", "strip=symbols", "-o", "main",
                      "{source}"),
             artefacts=("main",), run=("./main",)),
    Language("go", "main.go", compile=("go", "build", "-ldflags=-s -w", "-o", "main", "{source}"), artefacts=("main",),
             run=("./main",), env={"GOCACHE": "/tmp/work/.gocache", "GOPATH": "/tmp/work/.gopath",
                                   "CGO_ENABLED": "0", "GO111MODULE": "off", "GOTOOLCHAIN": "local"},
             extra_processes=16, address_space_ok=False),
)}

ALIASES = {"python3": "python", "py": "python", "c++": "cpp", "cpp17": "cpp", "c++17": "cpp", "cxx": "cpp",
           "javascript": "nodejs", "js": "nodejs", "node": "nodejs", "rs": "rust", "golang": "go", "java17": "java"}


def language(name: str | Language) -> Language:
    """The row for ``name`` or one of its aliases (any case); else a one-line ValueError. A
    ``Language`` is its own row (a caller's language outside the table, such as LLVM IR)."""
    if isinstance(name, Language):
        return name
    if name in LANGUAGES:
        return LANGUAGES[name]
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in LANGUAGES:
        raise ValueError(f"unknown language {name!r}: expected one of {', '.join(LANGUAGES)} "
                         f"(or {', '.join(sorted(ALIASES))})")
    return LANGUAGES[key]


_JAVA_PUBLIC_CLASS = re.compile(r"^\s*public\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)", re.M)
_JAVA_CLASS = re.compile(r"^\s*(?:public\s+|final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)", re.M)


def source_stem(lang: Language, source: str) -> str:
    """The file stem a program is written under: for Java, the public class (javac requires the
    file to be named after it), else the first top-level class, else ``Main``."""
    if "{stem}" not in lang.source:
        return os.path.splitext(lang.source)[0]
    found = _JAVA_PUBLIC_CLASS.search(source) or _JAVA_CLASS.search(source)
    return found.group(1) if found else "Main"


@functools.cache
def tool_path(tool: str) -> str | None:
    """The executable a command word names, as the sandbox must call it: an absolute path that
    is the real program, not a wrapper that needs the host's home (rustup's proxies)."""
    found = shutil.which(tool)
    if found is None:
        return None
    if tool in ("rustc", "cargo") and os.path.basename(os.path.realpath(found)) == "rustup":
        try:
            sysroot = subprocess.run([found, "--print", "sysroot"], capture_output=True, text=True, timeout=30,
                                     check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        real = os.path.join(sysroot, "bin", tool)
        return real if os.access(real, os.X_OK) else None
    return os.path.realpath(found) if tool == "go" else found


def toolchain_dirs() -> list[str]:
    """Folders outside the system's that language tools live in (found without running them):
    rustup's toolchains, usually under the home folder the sandbox hides."""
    found = shutil.which("rustc")
    if found and os.path.basename(os.path.realpath(found)) == "rustup":
        home = os.environ.get("RUSTUP_HOME") or os.path.expanduser("~/.rustup")
        return [os.path.join(home, "toolchains")]
    return []


def missing_tools(lang: Language) -> list[str]:
    """The commands ``lang`` needs that this machine lacks."""
    words = [command[0] for command in (lang.compile, lang.run) if command and not command[0].startswith(".")]
    return [word for word in words if tool_path(word) is None]
