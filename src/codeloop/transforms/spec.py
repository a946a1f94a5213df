"""A transform spec: a folder holding what the transform should do, by example.

    NAME/spec.toml          name = "...", kind = "...", hint = "..." (optional)
    NAME/train/ID.before.py NAME/train/ID.after.py     at least 3 pairs
    NAME/test/ID.before.py  NAME/test/ID.after.py      held-out pairs; a ``before`` without an
                                                       ``after`` (or an identical one) is a negative:
                                                       code that must stay unchanged
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MIN_TRAIN = 3


@dataclass(frozen=True)
class Pair:
    name: str
    before: str
    after: str

    @property
    def positive(self) -> bool:
        """Should the transform change this file?"""
        return self.before != self.after


@dataclass
class TransformSpec:
    name: str
    kind: str = ""
    hint: str = ""
    train: list[Pair] = field(default_factory=list)
    test: list[Pair] = field(default_factory=list)
    path: Path | None = None


class SpecError(ValueError):
    """A malformed spec folder; the message names the folder or file."""


def _pairs(folder: Path) -> list[Pair]:
    if not folder.is_dir():
        return []
    pairs = []
    for before in sorted(folder.glob("*.before.py")):
        name = before.name[: -len(".before.py")]
        after = folder / f"{name}.after.py"
        text = before.read_text()
        pairs.append(Pair(name, text, after.read_text() if after.exists() else text))
    orphans = [p.name for p in folder.glob("*.after.py")
               if not (folder / p.name.replace(".after.", ".before.")).exists()]
    if orphans:
        raise SpecError(f"{folder}: {', '.join(sorted(orphans))} without a matching .before.py")
    return pairs


def load_spec(path: str | Path) -> TransformSpec:
    path = Path(path)
    if not path.is_dir():
        raise SpecError(f"{path}: not a transform spec folder")
    meta = {}
    if (path / "spec.toml").exists():
        try:
            meta = tomllib.loads((path / "spec.toml").read_text())
        except tomllib.TOMLDecodeError as error:
            raise SpecError(f"{path / 'spec.toml'}: not valid TOML ({error})") from None
    spec = TransformSpec(name=str(meta.get("name", path.name)), kind=str(meta.get("kind", "")),
                         hint=str(meta.get("hint", "")), train=_pairs(path / "train"), test=_pairs(path / "test"),
                         path=path)
    if len(spec.train) < MIN_TRAIN:
        raise SpecError(f"{path}: needs at least {MIN_TRAIN} training pairs in train/, found {len(spec.train)}")
    return spec


def bundled_specs_dir() -> Path:
    return Path(__file__).with_name("specs")


def load_specs(folder: str | Path | None = None) -> list[TransformSpec]:
    folder = Path(folder) if folder else bundled_specs_dir()
    return [load_spec(p) for p in sorted(folder.iterdir()) if p.is_dir()]
