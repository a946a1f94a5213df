"""An agent-computer interface to a repository, after SWE-agent's (arXiv 2405.15793, section 3):
a file viewer with a window of ``WINDOW`` lines, search that answers with a bounded list, an edit
command that replaces a line range and refuses edits that leave the file with a syntax error,
commands (tests) run in the isolation, and ``submit``, which gives the diff.

Commands, one per call of ``Workspace.execute``::

    open PATH [LINE]          find_file NAME [DIR]        edit START:END
    goto LINE                 search_dir TEXT [DIR]       REPLACEMENT LINES
    scroll_down | scroll_up   search_file TEXT [PATH]     end_of_edit
    create PATH               run COMMAND                 submit

Paths are relative to the repository root and never leave it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from codeloop.swe.harness.bwrap import Isolation, run

WINDOW = 100
MAX_HITS = 50
OUTPUT_CHARS = 4000
NOT_PATCHED = (":(exclude)node_modules", ":(exclude,glob)**/__pycache__/**", ":(exclude).pytest_cache")  # run's litter
COMMANDS = ("open", "goto", "scroll_down", "scroll_up", "create", "find_file", "search_dir", "search_file", "edit",
            "run", "submit")
DOCS = """open PATH [LINE]      show PATH, 100 lines around LINE
goto LINE             move the window of the open file to LINE
scroll_down           the next 100 lines of the open file
scroll_up             the previous 100 lines
create PATH           make an empty file and open it
find_file NAME [DIR]  files called NAME
search_dir TEXT [DIR] files containing TEXT, with counts
search_file TEXT [PATH]  lines of the open file (or PATH) containing TEXT
edit START:END        replace lines START..END of the open file with the lines that follow,
REPLACEMENT           up to a line end_of_edit (edits that break the syntax are refused)
end_of_edit
run COMMAND           run a shell command in the repository (tests), no network
submit                finish: your changes become the patch"""


class CommandError(ValueError):
    """A malformed command: the agent is told, the workspace is unchanged."""


@dataclass
class Observation:
    text: str
    submitted: bool = False


def syntax_error(path: Path, text: str) -> str | None:
    """Why ``text`` is not valid for ``path``'s language (Python, JavaScript, JSON), or None."""
    if path.suffix == ".py":
        try:
            compile(text, str(path), "exec", dont_inherit=True)
        except SyntaxError as error:
            return f"{error.msg} (line {error.lineno})"
        except ValueError as error:
            return str(error)
    elif path.suffix in (".js", ".cjs", ".mjs"):
        check = subprocess.run(["node", "--check", "--input-type=" + ("module" if path.suffix == ".mjs" else
                                                                        "commonjs")],
                               input=text, capture_output=True, text=True)
        if check.returncode != 0:
            lines = [line for line in check.stderr.splitlines() if line.strip()]
            return next((line for line in lines if "Error" in line), lines[-1] if lines else "syntax error")
    elif path.suffix == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            return f"{error.msg} (line {error.lineno})"
    return None


class Workspace:
    """One repository checkout, the open file and its window."""

    def __init__(self, root: Path, isolation: Isolation, command_timeout_s: float = 120.0) -> None:
        self.root = root.resolve()
        self.isolation = replace(isolation, timeout_s=command_timeout_s)
        self.open_file: Path | None = None
        self.first_line = 1

    # --- paths and views ------------------------------------------------------------------------
    def _path(self, name: str, must_exist: bool = True) -> Path:
        path = (self.root / name.removeprefix("/testbed/").lstrip("/")).resolve()
        if path != self.root and not path.is_relative_to(self.root):
            raise CommandError(f"{name}: outside the repository")
        if path.relative_to(self.root).parts[:1] == (".git",):
            raise CommandError(f"{name}: the git folder is not part of the task")
        if must_exist and not path.exists():
            raise CommandError(f"{name}: no such file or folder")
        return path

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def _window(self) -> str:
        assert self.open_file is not None
        lines = self.open_file.read_text(errors="replace").splitlines()
        self.first_line = max(1, min(self.first_line, max(len(lines) - WINDOW + 1, 1)))
        last = min(self.first_line + WINDOW - 1, len(lines))
        head = f"[File: {self._relative(self.open_file)} ({len(lines)} lines total)]"
        above = f"({self.first_line - 1} more lines above)" if self.first_line > 1 else ""
        below = f"({len(lines) - last} more lines below)" if last < len(lines) else ""
        body = [f"{n}:{lines[n - 1]}" for n in range(self.first_line, last + 1)]
        return "\n".join(part for part in [head, above, *body, below] if part)

    def _require_open(self) -> Path:
        if self.open_file is None:
            raise CommandError("no file is open: use open PATH first")
        return self.open_file

    @staticmethod
    def _line_number(text: str) -> int:
        if not text.isdigit() or int(text) < 1:
            raise CommandError(f"expected a line number >= 1, got {text!r}")
        return int(text)

    # --- the commands ---------------------------------------------------------------------------
    def execute(self, command: str) -> Observation:
        """Run one command; a malformed one answers with what is wrong and changes nothing."""
        try:
            return self._execute(command.strip("\n"))
        except CommandError as error:
            return Observation(f"Error: {error}")

    def _execute(self, command: str) -> Observation:
        first, _, rest = command.partition("\n")
        words = first.split(maxsplit=1)
        if not words or words[0] not in COMMANDS:
            raise CommandError(f"unknown command {first.strip()[:40]!r}; the commands are: {', '.join(COMMANDS)}")
        name, argument = words[0], (words[1].strip() if len(words) > 1 else "")
        if name == "edit":
            return Observation(self.edit(argument, rest))
        if name == "run":
            return Observation(self.run(argument + ("\n" + rest if rest else "")))
        if name == "submit":
            return Observation(self.diff(), submitted=True)
        return Observation(getattr(self, name)(argument))

    def open(self, argument: str) -> str:
        parts = shlex.split(argument) if argument else []
        if not parts:
            raise CommandError("usage: open PATH [LINE]")
        path = self._path(parts[0])
        if path.is_dir():
            raise CommandError(f"{parts[0]} is a folder")
        self.open_file = path
        line = self._line_number(parts[1]) if len(parts) > 1 else 1
        self.first_line = max(1, line - WINDOW // 2) if len(parts) > 1 else 1
        return self._window()

    def goto(self, argument: str) -> str:
        self._require_open()
        self.first_line = max(1, self._line_number(argument) - WINDOW // 2)
        return self._window()

    def scroll_down(self, argument: str) -> str:
        self._require_open()
        self.first_line += WINDOW
        return self._window()

    def scroll_up(self, argument: str) -> str:
        self._require_open()
        self.first_line = max(1, self.first_line - WINDOW)
        return self._window()

    def create(self, argument: str) -> str:
        if not argument:
            raise CommandError("usage: create PATH")
        path = self._path(argument, must_exist=False)
        if path.exists():
            raise CommandError(f"{argument} already exists")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        self.open_file, self.first_line = path, 1
        return self._window()

    def _files(self, folder: str) -> list[Path]:
        base = self._path(folder or ".")
        return sorted(p for p in base.rglob("*") if p.is_file() and ".git" not in p.relative_to(self.root).parts
                      and "node_modules" not in p.relative_to(self.root).parts)

    def find_file(self, argument: str) -> str:
        parts = shlex.split(argument) if argument else []
        if not parts:
            raise CommandError("usage: find_file NAME [DIR]")
        hits = [self._relative(p) for p in self._files(parts[1] if len(parts) > 1 else "") if p.name == parts[0]]
        if not hits:
            return f"No files called {parts[0]}"
        return f"Found {len(hits)} files:\n" + "\n".join(hits[:MAX_HITS])

    def search_dir(self, argument: str) -> str:
        parts = shlex.split(argument) if argument else []
        if not parts:
            raise CommandError("usage: search_dir TEXT [DIR]")
        counts = {}
        for path in self._files(parts[1] if len(parts) > 1 else ""):
            count = path.read_text(errors="replace").count(parts[0])
            if count:
                counts[self._relative(path)] = count
        if not counts:
            return f"No matches for {parts[0]!r}"
        if len(counts) > MAX_HITS:
            return f"{len(counts)} files match {parts[0]!r}: narrow the search"
        return f"{sum(counts.values())} matches in {len(counts)} files:\n" + "\n".join(
            f"{name} ({count})" for name, count in counts.items())

    def search_file(self, argument: str) -> str:
        parts = shlex.split(argument) if argument else []
        if not parts:
            raise CommandError("usage: search_file TEXT [PATH]")
        path = self._path(parts[1]) if len(parts) > 1 else self._require_open()
        hits = [f"{n}:{line}" for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
                if parts[0] in line]
        if not hits:
            return f"No matches for {parts[0]!r} in {self._relative(path)}"
        return f"{len(hits)} matches in {self._relative(path)}:\n" + "\n".join(hits[:MAX_HITS])

    def edit(self, argument: str, body: str) -> str:
        path = self._require_open()
        start_text, colon, end_text = argument.partition(":")
        if not colon:
            raise CommandError("usage: edit START:END, then the new lines, then end_of_edit")
        start, end = self._line_number(start_text.strip()), int(end_text.strip()) if end_text.strip().isdigit() else -1
        lines = path.read_text(errors="replace").splitlines(keepends=True)
        if end < start - 1 or start > len(lines) + 1:
            raise CommandError(f"bad range {argument}: the file has {len(lines)} lines")
        replacement, marker, _ = body.rpartition("end_of_edit")
        if not marker:
            raise CommandError("the edit must end with a line end_of_edit")
        new_lines = replacement.splitlines(keepends=True)
        if new_lines and not new_lines[-1].endswith("\n"):
            new_lines[-1] += "\n"
        text = "".join(lines[:start - 1] + new_lines + lines[end:])
        problem = syntax_error(path, text)
        if problem:
            return (f"Your edit was not applied: it leaves {self._relative(path)} with a syntax error: {problem}\n"
                    "Fix the edit and try again.")
        path.write_text(text)
        self.first_line = max(1, start - WINDOW // 4)
        return "File updated.\n" + self._window()

    def run(self, command: str) -> str:
        if not command.strip():
            raise CommandError("usage: run COMMAND")
        outcome = run(["/bin/bash", "-c", command], self.root, self.isolation)
        text = outcome.output
        if len(text) > OUTPUT_CHARS:
            text = f"[... {len(text) - OUTPUT_CHARS} characters cut ...]\n" + text[-OUTPUT_CHARS:]
        status = "timed out" if outcome.timed_out else f"exit status {outcome.exit_code}"
        return f"{text}\n[{status}]"

    def diff(self) -> str:
        """The patch: every change to the checkout (new files included), as ``git diff``. Run in the
        isolation: commands the agent ran could have changed ``.git/config``, so the host's git must
        not read it."""
        excluded = " ".join(f"'{spec}'" for spec in NOT_PATCHED)
        script = (f"git add -A -- . {excluded} >/dev/null 2>&1; git diff --cached -- . {excluded} 2>/dev/null; "
                  "git reset -q >/dev/null 2>&1")
        return run(["/bin/bash", "-c", script], self.root, Isolation(timeout_s=120)).output
