"""``codeloop rl train``: PPO on the RLEF environment (``codeloop.rl.trainer``)."""

from __future__ import annotations

import argparse

from codeloop.cli.common import BENCHMARKS, FEEDBACKS, add_out, add_progress, add_ray, command, requires
from codeloop.rl.trainer_config import RLConfig
from codeloop.settings import add_flags, from_args


def register(commands: argparse._SubParsersAction) -> None:
    rl = command(commands, "rl", "reinforcement learning from execution feedback")
    actions = rl.add_subparsers(dest="action", required=True, metavar="ACTION")
    train = command(actions, "train", "PPO on multi-turn episodes with execution feedback (RLEF, arXiv 2410.02089)")
    add_flags(train, RLConfig, custom={
        "out": lambda parser, flag, help_text: add_out(parser, "RUN_DIR", help_text),
        "benchmark": lambda parser, flag, help_text: parser.add_argument(flag, choices=BENCHMARKS, help=help_text),
        "feedback": lambda parser, flag, help_text: parser.add_argument(flag, choices=FEEDBACKS, help=help_text),
        "ray": lambda parser, flag, help_text: add_ray(parser)})
    add_progress(train)
    train.set_defaults(handler=rl_train_command)


def rl_train_command(args: argparse.Namespace) -> int:
    config = from_args(args, RLConfig)
    requires("rl", "torch", "transformers")
    if config.ray is not None:
        requires("ray", "ray")
    from codeloop.rl.trainer import train_rl
    history = train_rl(config, progress=not args.no_progress)
    last = history[-1] if history else {}
    print(f"{len(history)} steps; metrics in {config.out}/metrics.jsonl, checkpoint in {config.out}/checkpoint")
    if last:
        print(f"last step: final pass {last['final_pass']:.3f}, mean return {last['mean_return']:.3f}, "
              f"kl {last['kl']:.4f}")
    return 0
