"""The CLI reference (``docs/cli.md``), generated from the parser, so it cannot drift from it:
``python -m codeloop.cli.reference --write`` writes it and ``tests/test_docs.py`` fails
when it is stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codeloop.cli import build_parser

DOCS = Path("docs") / "cli.md"  # from the repository's root
HEADER = """# CLI reference

Every `codeloop` command and its arguments, generated from the parser by
`python -m codeloop.cli.reference --write` (`tests/test_docs.py` checks it is current).
Conventions (exit codes, one-line errors, `--debug`) are in [getting-started.md](getting-started.md).
"""


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _argument(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(action.option_strings)
        if action.nargs == 0:
            return names
        if action.choices is not None:
            return f"{names} {{{','.join(map(str, action.choices))}}}"
        metavar = action.metavar or action.dest.upper()
        return f"{names} [{metavar}]" if action.nargs == "?" else f"{names} {metavar}"
    return action.metavar or action.dest


def _row(action: argparse.Action) -> str:
    text = (action.help or "").replace("%%", "%").replace("|", "\\|")
    if action.required and action.option_strings:
        text += " (required)"
    return f"| `{_argument(action)}` | {text} |"


def _section(parser: argparse.ArgumentParser, name: str, level: int) -> list[str]:
    lines = [f"{'#' * level} {name}", "", parser.description or "", ""]
    actions = [a for a in parser._actions if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
               and a.help != argparse.SUPPRESS]
    if actions:
        lines += ["| argument | what |", "|---|---|", *map(_row, actions), ""]
    for sub_name, sub in _subcommands(parser).items():
        lines += _section(sub, f"{name} {sub_name}", min(level + 1, 4))
    return lines


def reference() -> str:
    """The Markdown reference of every command."""
    parser = build_parser()
    lines = [HEADER, *_section(parser, "codeloop", 2)]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codeloop.cli.reference", description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {DOCS}, from the repository's root "
                                                                 "(default: print it)")
    args = parser.parse_args(argv)
    if args.write:
        if not DOCS.parent.is_dir():
            parser.error(f"no {DOCS.parent}/ here: run it from the repository's root")
        DOCS.write_text(reference())
    else:
        sys.stdout.write(reference())
    return 0


if __name__ == "__main__":
    sys.exit(main())
