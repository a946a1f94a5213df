"""One path from a settings dataclass to a command line: a flag per field, plus ``--config FILE.toml``.

A field made with ``setting(default, help, **flag)`` carries its flag's help and any argparse
keywords its flag needs (``choices``, ``type``, ``metavar``). ``add_flags(parser, Config)`` adds
``--config`` and one flag per field; every flag defaults to None, so ``from_args`` can tell the
flags given from those left out: the dataclass's defaults, then the TOML file's settings, then
the flags given, in that order of precedence. ``eval``, ``rl train``, ``train lm`` and ``train dfm``
take their settings this way. Standard library only; imports nothing else of codeloop.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Custom = Callable[[argparse.ArgumentParser, str, str], None]  # (parser, flag, help) -> adds the flag


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (``--jobs``, ``--turns``, ...)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {value}")
    return value


def setting(default: Any = dataclasses.MISSING, help_text: str = "", **flag: Any) -> Any:
    """A dataclass field with a default (none: required), its flag's help and argparse keywords."""
    return dataclasses.field(default=default, metadata={"help": help_text, "flag": flag})


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_flags(parser: argparse.ArgumentParser, config: type, *, skip: tuple[str, ...] = (),
              custom: dict[str, Custom] | None = None) -> None:
    """``--config`` and a flag per field of ``config`` (a dataclass) not in ``skip``; ``custom``
    adds the named fields' flags itself (an output path, a Ray address)."""
    parser.add_argument("--config", metavar="FILE.toml",
                        help="a TOML file with any of these settings (flags override it)")
    for field in dataclasses.fields(config):
        if field.name in skip:
            continue
        flag, help_text = flag_name(field.name), field.metadata.get("help", "")
        if custom and field.name in custom:
            custom[field.name](parser, flag, help_text)
        elif field.type == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            keywords = {"type": _flag_type(field), **field.metadata.get("flag", {})}
            parser.add_argument(flag, dest=field.name, default=None, help=help_text, **keywords)


def _flag_type(field: dataclasses.Field) -> Callable[[str], Any]:
    kind = str(field.type).replace(" | None", "")
    return {"int": int, "float": float}.get(kind, str)


def read_config(path: str | Path, fields: list[dataclasses.Field],
                parser: argparse.ArgumentParser | None = None) -> dict:
    """A TOML file's settings, each checked as its flag would be (type, range, choices: the
    ``parser``'s own flag where it has one); an unknown key or a bad value is a ``ValueError``
    naming the file and the key."""
    import tomllib
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such config file")
    try:
        settings = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: not valid TOML ({error})") from None
    by_name = {field.name: field for field in fields}
    unknown = sorted(set(settings) - set(by_name))
    if unknown:
        raise ValueError(f"{path}: unknown setting(s) {', '.join(unknown)}; "
                         f"expected some of {', '.join(sorted(by_name))}")
    flags = {action.dest: action for action in (parser._actions if parser else [])}
    return {name: _checked(by_name[name], value, path, flags.get(name)) for name, value in settings.items()}


def _checked(field: dataclasses.Field, value: Any, path: Path, action: argparse.Action | None) -> Any:
    kind = str(field.type).replace(" | None", "")
    flag = {"type": action.type, "choices": action.choices} if action else field.metadata.get("flag", {})
    expected = {"bool": "true or false", "int": "an integer", "float": "a number"}.get(kind, "a string")
    plain = {"bool": (bool,), "int": (int,), "float": (int, float)}.get(kind, (str,))
    try:
        if not isinstance(value, plain) or (kind != "bool" and isinstance(value, bool)):
            raise ValueError(f"expected {expected}")
        if kind != "bool":
            value = (flag.get("type") or _flag_type(field))(str(value))
        if flag.get("choices") is not None and value not in flag["choices"]:
            raise ValueError(f"expected one of {', '.join(map(str, flag['choices']))}")
    except (ValueError, argparse.ArgumentTypeError) as error:
        raise ValueError(f"{path}: {field.name} = {value!r}: {error}") from None
    return value


def from_args(args: argparse.Namespace, config: type[T], *, skip: tuple[str, ...] = (), **fallback: Any) -> T:
    """``config`` built from ``--config`` and the flags given; ``fallback`` fills settings neither
    gave that the dataclass has no default for. A required setting missing, or a value the
    dataclass refuses, is a usage error naming it."""
    fields = [field for field in dataclasses.fields(config) if field.name not in skip]
    names = [field.name for field in fields]
    try:
        given = read_config(args.config, fields, args.parser) if getattr(args, "config", None) else {}
        settings = {**fallback, **given}
    except ValueError as error:  # a setting the file may not hold: a usage error, as a bad flag is
        args.parser.error(str(error))
    settings.update({name: getattr(args, name) for name in names if getattr(args, name, None) is not None})
    for field in fields:
        if settings.get(field.name) in (None, "") and field.default is dataclasses.MISSING \
                and field.default_factory is dataclasses.MISSING:
            args.parser.error(f"{flag_name(field.name)} is required (on the command line or in --config)")
    try:
        return config(**settings)
    except (TypeError, ValueError) as error:
        args.parser.error(" ".join(str(error).split()))
