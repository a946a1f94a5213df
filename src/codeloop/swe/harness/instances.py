"""SWE-bench instances and predictions as published, and the eval script an instance runs.

An instance carries SWE-bench's fields (arXiv 2310.06770; Multimodal's ``image_assets``,
arXiv 2410.03859) and swebench 5's ``eval_script``, ``log_parser``, ``eval_type`` and ``image``.
codeloop reads two more, for instances without an ``eval_script`` or an ``image``:

- ``test_cmd``: the repository's test command; the eval script is then built the way the
  official images' scripts are (test files reset, ``test_patch`` applied, the command run
  between the ``>>>>> Start/End Test Output`` markers, its exit status recorded);
- ``environment``: ``{"kind": "python" | "node", "install": [shell commands]}``, how to build the
  host environment for a repository without an image: ``python`` runs ``install`` with a fresh
  venv's ``bin`` first on ``PATH`` (cached per repo and version, put first on the tests' ``PATH``);
  ``node`` runs it in a copy of the checkout and keeps its ``node_modules`` (cached per repo and
  version, bound at ``/testbed/node_modules``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

START_TEST_OUTPUT = ">>>>> Start Test Output"
END_TEST_OUTPUT = ">>>>> End Test Output"
TEST_EXIT_CODE = ">>>>> Test Exit Code"
EVAL_TYPES = ("pass_and_fail", "fail_only")
ENV_KINDS = ("python", "node")


@dataclass(frozen=True)
class Instance:
    instance_id: str
    repo: str
    base_commit: str
    problem_statement: str = ""
    patch: str = ""
    test_patch: str = ""
    FAIL_TO_PASS: tuple[str, ...] = ()
    PASS_TO_PASS: tuple[str, ...] = ()
    version: str = ""
    created_at: str = ""
    hints_text: str = ""
    image_assets: dict = field(default_factory=dict)
    eval_script: str = ""
    log_parser: str = "parse_log_pytest"
    eval_type: str = "pass_and_fail"
    image: str = ""
    test_cmd: str = ""
    environment: dict = field(default_factory=dict)

    @property
    def mirror_name(self) -> str:
        """The local mirror's folder: ``owner__name``, as SWE-bench names repositories on disk."""
        return self.repo.replace("/", "__")

    @property
    def env_key(self) -> str:
        return f"{self.mirror_name}@{self.version or 'base'}"


@dataclass(frozen=True)
class Prediction:
    instance_id: str
    model_name_or_path: str
    model_patch: str | None


def _test_list(value: object, where: str) -> tuple[str, ...]:
    """FAIL_TO_PASS / PASS_TO_PASS: a list, or (as on the Hub) a JSON string holding one."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise ValueError(f"{where}: expected a list of test names or a JSON string of one") from None
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValueError(f"{where}: expected a list of test names")
    return tuple(value)


def instance_from_row(row: dict, where: str) -> Instance:
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a JSON object")
    missing = [key for key in ("instance_id", "repo", "base_commit") if not row.get(key)]
    if missing:
        raise ValueError(f"{where}: missing field {missing[0]!r}")
    known = set(Instance.__dataclass_fields__)
    values = {key: value for key, value in row.items() if key in known}
    for key in ("FAIL_TO_PASS", "PASS_TO_PASS"):
        values[key] = _test_list(row.get(key, []), f"{where}: field {key!r}")
    if values.get("eval_type", "pass_and_fail") not in EVAL_TYPES:
        raise ValueError(f"{where}: field 'eval_type' must be one of {', '.join(EVAL_TYPES)}")
    environment = values.get("environment") or {}
    if environment and (environment.get("kind") not in ENV_KINDS or not isinstance(environment.get("install"), list)):
        raise ValueError(f"{where}: field 'environment' must be {{\"kind\": python|node, \"install\": [commands]}}")
    if not values.get("eval_script") and not values.get("test_cmd"):
        raise ValueError(f"{where}: needs 'eval_script' or 'test_cmd'")
    if values.get("image_assets") is None:
        values["image_assets"] = {}
    return Instance(**values)


def _rows(path: Path) -> list[tuple[dict, str]]:
    """(row, where) from a JSON list, a JSON object keyed by id, or JSON lines."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    text = path.read_text()
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
        if isinstance(data, dict):
            data = [dict(value, instance_id=value.get("instance_id", key)) if isinstance(value, dict) else value
                    for key, value in data.items()]
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a JSON list of objects")
        return [(row, f"{path}: item {index}") for index, row in enumerate(data)]
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append((json.loads(line), f"{path}:{number}"))
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not valid JSON ({error.msg})") from None
    return rows


def load_instances(path: str | Path) -> list[Instance]:
    instances = [instance_from_row(row, where) for row, where in _rows(Path(path))]
    seen: set[str] = set()
    for instance in instances:
        if instance.instance_id in seen:
            raise ValueError(f"{path}: instance {instance.instance_id!r} appears twice")
        seen.add(instance.instance_id)
    return instances


def load_predictions(path: str | Path) -> list[Prediction]:
    predictions = []
    for row, where in _rows(Path(path)):
        if not isinstance(row, dict) or not row.get("instance_id"):
            raise ValueError(f"{where}: expected an object with 'instance_id'")
        if "model_patch" not in row:
            raise ValueError(f"{where}: missing field 'model_patch'")
        patch = row["model_patch"]
        if patch is not None and not isinstance(patch, str):
            raise ValueError(f"{where}: field 'model_patch' must be a string or null")
        predictions.append(Prediction(row["instance_id"], str(row.get("model_name_or_path") or "unknown"), patch))
    return predictions


def patched_files(diff: str) -> list[str]:
    """The files a unified diff writes (its ``+++ b/...`` lines), in order."""
    files = []
    for line in diff.splitlines():
        if line.startswith("+++ ") and line[4:].strip() != "/dev/null":
            name = line[4:].split("\t")[0].strip()
            files.append(name[2:] if name.startswith("b/") else name)
    return files


def eval_script(instance: Instance) -> str:
    """The script run at ``/testbed``: the instance's own ``eval_script``, or one built as the
    official images' scripts are (``set -uxo pipefail``; the test files reset to ``base_commit``,
    the test patch applied, the test command between the markers, its exit status recorded after
    them, the test files reset again)."""
    if instance.eval_script:
        return instance.eval_script
    test_files = " ".join(patched_files(instance.test_patch))
    reset = f"git checkout {instance.base_commit} -- {test_files} 2>/dev/null || true" if test_files else ":"
    delimiter = "EOF_114329324912"
    return "\n".join([
        "#!/bin/bash", "set -uxo pipefail", "cd /testbed",
        "git config --global --add safe.directory /testbed",
        "git -c core.fileMode=false diff " + instance.base_commit,
        reset,
        *([f"git apply -v - <<'{delimiter}'", instance.test_patch.rstrip("\n"), delimiter]
          if instance.test_patch.strip() else []),
        f": '{START_TEST_OUTPUT}'",
        instance.test_cmd,
        "SWEBENCH_TEST_EXIT_CODE=$?",
        f": '{END_TEST_OUTPUT}'",
        f"echo \"{TEST_EXIT_CODE}: $SWEBENCH_TEST_EXIT_CODE\"",
        reset, ""])
