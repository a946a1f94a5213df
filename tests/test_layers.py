"""The layering, checked from the source: a layer imports only the layers listed before it
(README, docs/architecture.md). Every import statement counts, in functions and under
``TYPE_CHECKING`` too: a lazy import is still a dependency."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "codeloop"
# In order: a package may import those before it (within a layer too, in this order), never after.
LAYERS = [["sandbox"], ["judge"], ["tasks", "metrics"], ["tokenizer", "models", "speech"], ["llm"],
          ["loop", "rl", "eval"], ["transforms", "compiler", "swe", "serve"]]
ORDER = [name for layer in LAYERS for name in layer]
OUTSIDE = {"settings": {"settings"}, "cli": {*ORDER, "cli"}, "__main__": {"cli"}, "__init__": set()}
FORKSERVER = SRC / "sandbox" / "forkserver"


def imports(path: Path, root: Path = SRC) -> list[tuple[int, str]]:
    """(line, module.name) of every name ``path`` imports, relative imports resolved."""
    package = path.relative_to(root.parent).parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            base += node.module.split(".") if node.module else []
            found += [(node.lineno, ".".join([*base, alias.name])) for alias in node.names]
    return found


def part_of(path: Path, root: Path = SRC) -> str:
    """The top-level part of codeloop a file belongs to: ``judge``, ``metrics``, ``settings``, ``__init__``."""
    return path.relative_to(root).with_suffix("").parts[0]


def allowed(part: str) -> set[str]:
    if part in OUTSIDE:
        return OUTSIDE[part] | ({"settings"} if part != "settings" else set())
    return set(ORDER[: ORDER.index(part) + 1]) | ({"settings"} if part != "sandbox" else set())


def violations(root: Path = SRC) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        if FORKSERVER in path.parents:
            continue
        part = part_of(path, root)
        for line, module in imports(path, root):
            names = module.split(".")
            if names[0] == "codeloop" and len(names) > 1 and names[1] in {*ORDER, *OUTSIDE} \
                    and names[1] not in allowed(part):
                bad.append(f"{path.relative_to(root.parent)}:{line}: {part} imports codeloop.{names[1]}")
    return bad


def test_every_package_has_a_layer():
    parts = {part_of(path) for path in SRC.rglob("*.py")}
    assert parts <= set(ORDER) | set(OUTSIDE), sorted(parts - set(ORDER) - set(OUTSIDE))


def test_no_layer_imports_one_above_it():
    assert violations() == []


def test_the_fork_server_imports_the_standard_library_and_itself_only():
    own = {path.stem for path in FORKSERVER.rglob("*.py")}
    bad = [f"{path.name}:{line}: {module}" for path in sorted(FORKSERVER.rglob("*.py"))
           for line, module in imports(path)
           if module.split(".")[0] not in sys.stdlib_module_names | own | {"__future__"}]
    assert bad == []


@pytest.mark.parametrize(("part", "source", "imported"), [
    ("sandbox", "from codeloop.judge import Judge\n", "judge"),
    ("sandbox", "import codeloop.settings\n", "settings"),
    ("judge", "def f():\n    from codeloop.eval.run import run_eval\n", "eval"),
    ("tasks", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from codeloop.llm import ChatModel\n", "llm"),
])
def test_the_check_catches_an_upward_import(tmp_path, part, source, imported):
    package = tmp_path / "codeloop" / part
    package.mkdir(parents=True)
    (package / "bad.py").write_text(source)
    found = violations(tmp_path / "codeloop")
    assert len(found) == 1 and found[0].endswith(f"{part} imports codeloop.{imported}"), found
