"""``codeloop rl train``: PPO on the RLEF environment (``codeloop.rl.train``)."""

from __future__ import annotations

import argparse
from dataclasses import fields

from codeloop.cli.common import BENCHMARKS, FEEDBACKS, add_out, add_progress, add_ray, command, requires, settings_from
from codeloop.rl.config import RLConfig


def register(commands: argparse._SubParsersAction) -> None:
    rl = command(commands, "rl", "reinforcement learning from execution feedback")
    actions = rl.add_subparsers(dest="action", required=True, metavar="ACTION")
    train = command(actions, "train", "PPO on multi-turn episodes with execution feedback (RLEF, arXiv 2410.02089)")
    train.add_argument("--config", metavar="RL.toml", help="a TOML file with any of these settings (flags override it)")
    for field in fields(RLConfig):
        flag, help_text = "--" + field.name.replace("_", "-"), field.metadata["help"]
        if field.name == "out":
            add_out(train, "RUN_DIR", help_text)
        elif field.type == "bool":
            train.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        elif field.name == "benchmark":
            train.add_argument(flag, choices=BENCHMARKS, help=help_text)
        elif field.name == "feedback":
            train.add_argument(flag, choices=FEEDBACKS, help=help_text)
        elif field.name == "ray":
            add_ray(train)
        else:
            kind = {"int": int, "float": float, "int | None": int}.get(field.type, str)
            train.add_argument(flag, type=kind, help=help_text)
    add_progress(train)
    train.set_defaults(handler=rl_train_command)


def config_from_args(args: argparse.Namespace) -> RLConfig:
    settings = settings_from(args, [f.name for f in fields(RLConfig)])
    if not settings.get("model"):
        args.parser.error("--model is required (on the command line or in --config)")
    try:
        return RLConfig(**settings)
    except ValueError as error:
        args.parser.error(str(error))


def rl_train_command(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    requires("rl", "torch", "transformers")
    if config.ray is not None:
        requires("ray", "ray")
    from codeloop.rl.train import train_rl
    history = train_rl(config, progress=not args.no_progress)
    last = history[-1] if history else {}
    print(f"{len(history)} steps; metrics in {config.out}/metrics.jsonl, checkpoint in {config.out}/checkpoint")
    if last:
        print(f"last step: final pass {last['final_pass']:.3f}, mean return {last['mean_return']:.3f}, "
              f"kl {last['kl']:.4f}")
    return 0
