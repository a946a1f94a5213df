"""Four small repositories with SWE-bench instances, built from ``fixture_data``: git mirrors, an
instance file in the published format, and gold, empty and breaking predictions.

- ``textkit`` (Python, pytest from PyPI in a host venv) and ``intervals`` (Python, Debian's
  pytest inside a Debian OCI image built here): ``parse_log_pytest``;
- ``tinyqs`` (JavaScript, jest from the npm registry, ``parse_log_jest``; one instance is
  multimodal: a screenshot in ``image_assets``) and ``semverlite`` (JavaScript, mocha with its TAP
  reporter, ``parse_log_tap``): host-built ``node_modules``.

Each instance's folder holds the problem statement, FAIL_TO_PASS / PASS_TO_PASS, and whole files
for the gold fix, the test change and a *breaking* fix (passes FAIL_TO_PASS, breaks a
PASS_TO_PASS test); the patches are ``git diff``s against the base commit. Commits have fixed
authors and dates, so every build gives the same ``base_commit`` hashes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from codeloop.swe.harness.environments import build_debian_image

IMAGE_PACKAGES = {"debian-python": ["python3", "python3-pytest", "git"]}
PREDICTION_KINDS = ("gold", "empty", "breaking")
NOT_DATA = shutil.ignore_patterns("__pycache__", "*.pyc")  # pip byte-compiles the installed fixture files


@dataclass
class FixtureSet:
    instances: Path
    repos: Path
    assets: Path
    predictions: dict[str, Path]


def data_dir() -> Path:
    return Path(str(resources.files("codeloop.swe.harness") / "fixture_data"))


def _git(args: list[str], cwd: Path, date: str = "2026-11-20T00:00:00Z") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "codeloop fixtures", "GIT_AUTHOR_EMAIL": "fixtures@codeloop.invalid",
           "GIT_COMMITTER_NAME": "codeloop fixtures", "GIT_COMMITTER_EMAIL": "fixtures@codeloop.invalid",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_CONFIG_GLOBAL": "/dev/null"}
    return subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True).stdout


def _diff_of(mirror: Path, files: Path) -> str:
    """The diff that turns the base commit into the base with ``files`` copied over it."""
    shutil.copytree(files, mirror, dirs_exist_ok=True, ignore=NOT_DATA)
    _git(["add", "-A"], mirror)
    diff = _git(["diff", "--cached"], mirror)
    _git(["reset", "-q", "--hard"], mirror)
    return diff


def _image_reference(name: str, out: Path) -> str:
    return build_debian_image(out / "images" / name, "latest", IMAGE_PACKAGES[name])


def build_fixtures(out: str | Path, with_image: bool = True) -> FixtureSet:
    """Mirrors under ``OUT/repos``, ``OUT/instances.jsonl``, ``OUT/predictions/{gold,empty,breaking}.jsonl``.
    Without ``with_image`` the image-based repository is left out (building it needs root and
    Debian's package mirror)."""
    out = Path(out).resolve()
    repos = out / "repos"
    rows, predictions = [], {kind: [] for kind in PREDICTION_KINDS}
    for repo_dir in sorted(p for p in data_dir().iterdir() if (p / "repo.json").is_file()):
        config = json.loads((repo_dir / "repo.json").read_text())
        if config.get("image") and not with_image:
            continue
        mirror = repos / config["repo"].replace("/", "__")
        shutil.rmtree(mirror, ignore_errors=True)
        mirror.mkdir(parents=True)
        _git(["init", "-q"], mirror)
        shutil.copytree(repo_dir / "base", mirror, dirs_exist_ok=True, ignore=NOT_DATA)
        _git(["add", "-A"], mirror)
        _git(["commit", "-q", "-m", f"{config['repo']} {config['version']}"], mirror, config["created_at"])
        base_commit = _git(["rev-parse", "HEAD"], mirror).strip()
        image = _image_reference(config["image"], out) if config.get("image") else ""
        for folder in sorted((repo_dir / "instances").iterdir()):
            meta = json.loads((folder / "meta.json").read_text())
            instance_id = f"{config['repo'].split('/')[0]}__{folder.name}"
            rows.append({
                "instance_id": instance_id, "repo": config["repo"], "base_commit": base_commit,
                "problem_statement": (folder / "problem.md").read_text(), "hints_text": "",
                "patch": _diff_of(mirror, folder / "gold"), "test_patch": _diff_of(mirror, folder / "tests"),
                "FAIL_TO_PASS": meta["FAIL_TO_PASS"], "PASS_TO_PASS": meta["PASS_TO_PASS"],
                "version": config["version"], "created_at": config["created_at"],
                "image_assets": meta.get("image_assets", {}), "log_parser": config["log_parser"],
                "eval_type": "pass_and_fail", "image": image, "test_cmd": config["test_cmd"],
                "environment": config.get("environment", {})})
            patches = {"gold": rows[-1]["patch"], "empty": "", "breaking": _diff_of(mirror, folder / "breaking")}
            for kind in PREDICTION_KINDS:
                predictions[kind].append({"instance_id": instance_id, "model_name_or_path": kind,
                                          "model_patch": patches[kind]})
    (out / "instances.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (out / "predictions").mkdir(exist_ok=True)
    paths = {}
    for kind, lines in predictions.items():
        paths[kind] = out / "predictions" / f"{kind}.jsonl"
        paths[kind].write_text("".join(json.dumps(line) + "\n" for line in lines))
    shutil.copytree(data_dir() / "assets", out / "assets", dirs_exist_ok=True)
    return FixtureSet(out / "instances.jsonl", repos, out / "assets", paths)
