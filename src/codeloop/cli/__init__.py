"""The ``codeloop`` command: one subcommand per job."""

from __future__ import annotations

import argparse
import sys

from codeloop.cli import eval as eval_cli
from codeloop.cli import evaluate, execution, model, models, transform

COMMAND_MODULES = (execution, evaluate, eval_cli, model, models, transform)


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codeloop", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except (UsageError, ValueError, OSError) as error:
        print(f"codeloop {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"codeloop {args.command}: interrupted", file=sys.stderr)
        return 130
