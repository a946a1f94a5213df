"""codeloop.settings: one path from a settings dataclass to flags and ``--config FILE.toml``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass

import pytest

from codeloop.settings import add_flags, from_args, positive_int, setting


@dataclass
class Demo:
    name: str = setting(help_text="a required name")
    steps: int = setting(10, "steps (default: 10)", type=positive_int)
    lr: float = setting(0.5, "learning rate")
    loss: str = setting("ce", "the loss", choices=("ce", "kl"))
    fast: bool = setting(False, "go fast")
    limit: int | None = setting(None, "a cap")


def parse(tmp_path, *argv: str, toml: str | None = None) -> Demo:
    parser = argparse.ArgumentParser(prog="demo")
    add_flags(parser, Demo)
    parser.set_defaults(parser=parser)
    if toml is not None:
        (tmp_path / "c.toml").write_text(toml)
        argv = ("--config", str(tmp_path / "c.toml"), *argv)
    return from_args(parser.parse_args(argv), Demo)


def test_defaults_then_file_then_flags(tmp_path):
    assert parse(tmp_path, "--name", "a") == Demo("a")
    assert parse(tmp_path, toml='name = "f"\nsteps = 3\nfast = true\nlr = 1\n') == Demo("f", 3, 1.0, fast=True)
    assert parse(tmp_path, "--steps", "7", "--no-fast", toml='name = "f"\nsteps = 3\nfast = true\n') == Demo("f", 7)


@pytest.mark.parametrize(("toml", "message"), [
    ('steps = 3', "--name is required"),
    ('name = "a"\nstepz = 3', "unknown setting(s) stepz"),
    ('name = "a"\nsteps = 0', "steps = 0: expected an integer >= 1"),
    ('name = "a"\nsteps = 2.5', "steps = 2.5: expected an integer"),
    ('name = "a"\nsteps = "3"', "steps = '3': expected an integer"),
    ('name = "a"\nfast = 1', "fast = 1: expected true or false"),
    ('name = "a"\nlr = true', "lr = True: expected a number"),
    ('name = "a"\nloss = "mse"', "loss = 'mse': expected one of ce, kl"),
    ('name = 5', "name = 5: expected a string"),
    ('name = "a"\n[steps]', "steps = {}: expected an integer"),
    ('name = "a"\nsteps = ', "not valid TOML"),
])
def test_a_bad_file_is_a_usage_error_naming_the_setting(tmp_path, capsys, toml, message):
    with pytest.raises(SystemExit) as stop:
        parse(tmp_path, toml=toml)
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_every_training_command_takes_a_config_file(tmp_path):
    """``train lm``/``train dfm``/``rl train``/``eval`` read the same file format, checked alike."""
    (tmp_path / "c.toml").write_text('tokenizer = "t.json"\nsteps = 0\n')
    for command in (["train", "lm"], ["train", "dfm"]):
        done = subprocess.run([sys.executable, "-m", "codeloop", *command, "--config", str(tmp_path / "c.toml")],
                              capture_output=True, text=True)
        assert done.returncode == 2 and "steps = 0: expected an integer >= 1" in done.stderr, done.stderr
    for command, toml, message in (
            (["rl", "train"], 'model = "x"\nepisodes_per_step = "8"', "episodes_per_step = '8': expected an integer"),
            (["rl", "train"], 'model = "x"\nfeedback = "nope"', "feedback = 'nope': expected one of binary"),
            (["rl", "train"], 'model = ""', "--model is required"),
            (["eval"], 'benchmark = "nope"', "benchmark = 'nope': expected one of apps"),
            (["grid"], 'benchmark = "mbpp"\nstrategy = "plain"', "unknown setting(s) strategy")):
        (tmp_path / "r.toml").write_text(toml + "\n")
        done = subprocess.run([sys.executable, "-m", "codeloop", *command, "--config", str(tmp_path / "r.toml")],
                              capture_output=True, text=True)
        assert done.returncode == 2 and message in done.stderr, (command, toml, done.stderr)
