"""What the subcommands share: flags spelled and validated one way, reading input files, extras.

Nothing here imports more than the standard library: ``codeloop --help`` loads only this and
argparse. The name lists below are checked against the registries they mirror by the tests.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterator
from pathlib import Path

from codeloop.settings import positive_int

BENCHMARKS = ("apps", "apps_mapcoder", "code_contests", "feedback_families", "humaneval", "livecodebench", "mbpp",
              "mbpp_sanitized", "taco")  # tasks.LOADERS
FEEDBACKS = ("binary", "failed", "all")                                               # judge.Granularity
REASONING = ("self_reflection", "explain_io", "problem_tag", "difficulty", "nl_solution",  # loop.prompts
             "multiple_solutions", "helper_docstrings", "intermediate_variables")
INSTRUCTIONS = ("use_helpers", "check_constraints", "comment_lines", "docstrings", "weak_then_better", "step_by_step")
MODEL_HELP = ("the model: default (the embedded Qwen2.5-Coder-0.5B-Instruct) | default-1.5b (Qwen2.5-Coder-"
              "1.5B-Instruct) | smollm2-135m (SmolLM2-135M-Instruct) | "
              "gguf:PATH | openai:URL#MODEL (vLLM, llama.cpp server, Ollama) | hf:PATH | "
              "codeloop:CHECKPOINT | dfm:CHECKPOINT (default: default)")
STRATEGY_HELP = ("plain | REASONING | REASONING+INSTRUCTION | +INSTRUCTION | retry:REASONING (CoT-retry: "
                 f"reasoning only after a failure); REASONING is one of {', '.join(REASONING)}; INSTRUCTION "
                 f"is one of {', '.join(INSTRUCTIONS)} (default: plain)")


def add_packages(parser: argparse.ArgumentParser) -> None:
    """``--python-env`` and ``--preload``: third-party packages for Python programs in the sandbox."""
    parser.add_argument("--python-env", metavar="VENV", help="a virtualenv of this Python version whose packages "
                        "programs may import (default: the standard library only)")
    parser.add_argument("--preload", metavar="MODULES", type=module_names, default=[],
                        help="comma-separated modules imported once in the fork server, so runs find them loaded "
                             "(numpy: ~100 ms a run less); importable from --python-env")


def module_names(text: str) -> list[str]:
    """An argparse type: comma-separated module names (``numpy,scipy.linalg``)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    bad = [name for name in names if not all(part.isidentifier() for part in name.split("."))]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated module names, got {text!r}")
    return names


def packages(args: argparse.Namespace) -> dict:
    """The sandbox's package settings from ``add_packages``'s flags."""
    return {"python_env": args.python_env, "preload": args.preload}


def add_jobs(parser: argparse.ArgumentParser, what: str = "programs run at once", default: str = "cores") -> None:
    parser.add_argument("--jobs", type=positive_int, default=None, metavar="N", help=f"{what} (default: {default})")


def add_ray(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                        help="run the sandboxes on a Ray cluster at ADDRESS (host:port), one pool per node; "
                             "--ray alone starts a local Ray instance for the run (needs the ray extra)")


def add_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_out(parser: argparse.ArgumentParser, metavar: str, what: str, required: bool = False) -> None:
    parser.add_argument("--out", metavar=metavar, required=required, help=what)


def command(commands: argparse._SubParsersAction, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand whose parser handlers can reach (``args.parser.error`` is a usage error, exit 2)."""
    parser = commands.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(parser=parser)
    return parser


def requires(extra: str, *modules: str) -> None:
    """Import ``modules`` now, or fail with the one line that says which extra installs them."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise RuntimeError(f"this command needs the {extra!r} extra ({module} is not installed): "
                               f"pip install 'codeloop[{extra}]'") from None


def read_text(path: str) -> str:
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if file.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a file")
    return file.read_text()


def read_jsonl(path: str) -> Iterator[tuple[str, dict]]:
    """(location, object) for each non-blank line; a bad line raises naming file and line."""
    from codeloop.tasks.records import jsonl_records
    return jsonl_records(read_text(path).splitlines(), path)
