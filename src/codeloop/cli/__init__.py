"""The ``codeloop`` command: one subcommand per job, registered by one module each (``COMMANDS``).

    common.py     the flags every command shares (--out, --jobs, --no-progress, --model, packages)
    execution.py  run, judge, doctor          evaluate.py  evaluate
    eval.py       eval, report, grid          model.py     model install|path
    lm.py         tokenizer, train, generate, infill
    rl.py         rl train                    transform.py transform synthesize|apply|compare
    compiler.py   compiler ...                swe.py       swe evaluate|solve|fixtures
    serve.py      serve                       speech.py    speech generate
    reference.py  docs/cli.md, generated from the parser

The contract (docs/getting-started.md; ``tests/test_cli_contract.py``):

- exit status 0 on success, 1 on a runtime failure, 2 on a usage error (argparse's message);
- a runtime failure prints one line, ``codeloop COMMAND: error: ...``; ``--debug`` (or
  ``CODELOOP_DEBUG=1``) prints the traceback too;
- ``--out`` names every output path, ``--jobs N`` takes an integer >= 1 everywhere,
  ``--no-progress`` turns off every progress bar, and every flag has help text;
- a subcommand imports what it needs only when it runs, and one that needs an extra says which.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import traceback

# Each subcommand and the module (``codeloop.cli.MODULE``) that registers it. A command line names
# one: only its module is imported (``codeloop evaluate`` loads neither the model nor the compiler
# commands' imports: ~30 ms of its start). ``--help``, or no command, registers them all.
COMMANDS = {"run": "execution", "judge": "execution", "doctor": "execution", "evaluate": "evaluate",
            "eval": "eval", "report": "eval", "grid": "eval", "model": "model", "tokenizer": "lm",
            "train": "lm", "generate": "lm", "infill": "lm", "rl": "rl", "transform": "transform",
            "compiler": "compiler", "swe": "swe", "serve": "serve", "speech": "speech"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or with ``command`` (a key of ``COMMANDS``) of that one
    and the others its module registers."""
    parser = argparse.ArgumentParser(prog="codeloop", description="A toolkit for code LLMs grounded in execution.")
    parser.add_argument("--debug", action="store_true", help="print the traceback of a failure (or CODELOOP_DEBUG=1)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module in modules:
        importlib.import_module(f"codeloop.cli.{module}").register(commands)
    return parser


def named_command(argv: list[str]) -> str | None:
    """The subcommand a command line names (its first word that is not an option), if any and
    no help is asked for before it."""
    for word in argv:
        if word in ("-h", "--help"):
            return None
        if not word.startswith("-"):
            return word
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(named_command(argv)).parse_args(argv)
    try:
        return args.handler(args) or 0
    except KeyboardInterrupt:
        print(f"codeloop {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (codeloop ... | head): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the interpreter's final flush is quiet
        return 141
    except Exception as error:
        if args.debug or os.environ.get("CODELOOP_DEBUG") == "1":
            traceback.print_exc()
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"codeloop {args.command}: error: {message}", file=sys.stderr)
        return 1


def console() -> None:
    """The ``codeloop`` executable: ``main``, then exit. The command's files are closed by then, so
    the interpreter's last garbage collections over everything it made are skipped (``gc.freeze``):
    ~12 ms of every command's exit, measured on ``codeloop evaluate``."""
    code = main()
    gc.freeze()
    sys.exit(code)
