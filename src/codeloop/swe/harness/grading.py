"""Grading a test log exactly as the official SWE-bench harness does.

With the ``swe`` extra installed (``swebench``), the log is parsed and graded by swebench's own
``PARSER_REGISTRY`` and ``get_eval_report``: the verdict is the official harness's on the same
log. Without it, ``codeloop`` grades with the reimplementation below, of the rules of swebench
5.0.2's ``harness/grading.py`` (tests in ``tests/test_swe.py`` compare the two on every fixture
log and on crafted ones):

- the log's part between ``>>>>> Start Test Output`` and ``>>>>> End Test Output`` is parsed into
  a status map (``PASSED``, ``FAILED``, ``SKIPPED``, ``ERROR``, ``XFAIL`` per test); if that gives
  nothing, the whole log is; no results and no sign a suite ran, or a bad marker (patch apply
  failed, reset failed, tests errored or timed out) make the log unusable;
- a non-zero recorded test exit status with no failing test in the map makes it unusable too;
- FAIL_TO_PASS tests must be PASSED or XFAIL; PASS_TO_PASS may also be SKIPPED (``pass_and_fail``);
  ``fail_only`` counts every test not marked FAILED as a success; a truncated parametrised id
  (more ``[`` than ``]``) matches by prefix when every match agrees on pass or fail;
- resolved = every FAIL_TO_PASS and every PASS_TO_PASS test succeeded (``RESOLVED_FULL``).

The codeloop grader knows the pytest, jest (``--verbose``) and TAP parsers; other parser names
need the ``swe`` extra. It does not classify infrastructure failures (swebench's advisory
``infra_failure`` field).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from codeloop.swe.harness.instances import END_TEST_OUTPUT, START_TEST_OUTPUT, TEST_EXIT_CODE, Instance, Prediction

PASSED, FAILED, SKIPPED, ERROR, XFAIL = "PASSED", "FAILED", "SKIPPED", "ERROR", "XFAIL"
STATUSES = (FAILED, PASSED, SKIPPED, ERROR, XFAIL)
BAD_MARKERS = (">>>>> Patch Apply Failed", ">>>>> Reset Failed", ">>>>> Tests Errored", ">>>>> Tests Timed Out")
# evidence a runner executed (swebench's SUITE_RAN): every count must be non-zero
SUITE_RAN = re.compile(r"Executed [1-9]\d* of \d+|TOTAL: [1-9]\d* (?:SUCCESS|FAILED)|[1-9]\d* passing"
                       r"|Tests:\s+[1-9]\d*|Test Suites:\s+(?:\d+ \w+, )*[1-9]\d* total|^# tests [1-9]\d*"
                       r"|[1-9]\d* specs?, \d+ failures?|': ok$", re.M)
EXIT_CODE = re.compile(re.escape(TEST_EXIT_CODE) + r":\s*(-?\d+)")
SKIP_SUMMARY = re.compile(r"^\[\d+\]$")
JEST_LINE = re.compile(r"^\s*(✓|✕|○)\s(.+?)(?:\s\((\d+\s*m?s)\))?$")
JEST_STATUS = {"✓": PASSED, "✕": FAILED, "○": SKIPPED}
TAP_LINE = re.compile(r"^(ok|not ok) (\d+) (.+)$")


def parse_pytest(log: str) -> dict[str, str]:
    """``STATUS test_id`` lines (pytest ``-rA``); ``FAILED id - message`` drops the message's dash."""
    statuses: dict[str, str] = {}
    for line in log.split("\n"):
        if not line.startswith(STATUSES):
            continue
        if line.startswith(FAILED):
            line = line.replace(" - ", " ")
        words = line.split()
        if len(words) <= 1 or (words[0] == SKIPPED and SKIP_SUMMARY.match(words[1])):
            continue
        statuses[words[1]] = words[0]
    return statuses


def parse_jest(log: str) -> dict[str, str]:
    """jest ``--verbose``: ``✓ name (3 ms)``, ``✕ name``, ``○ name``."""
    statuses = {}
    for line in log.split("\n"):
        match = JEST_LINE.match(line.strip())
        if match:
            statuses[match.group(2).strip()] = JEST_STATUS[match.group(1)]
    return statuses


def parse_tap(log: str) -> dict[str, str]:
    """TAP (``mocha --reporter tap``, node's test runner): ``ok 1 name`` / ``not ok 2 name``."""
    statuses = {}
    for line in log.split("\n"):
        match = TAP_LINE.match(line.strip())
        if match:
            statuses[match.group(3)] = PASSED if match.group(1) == "ok" else FAILED
    return statuses


PARSERS: dict[str, Callable[[str], dict[str, str]]] = {
    "parse_log_pytest": parse_pytest, "parse_log_jest": parse_jest, "parse_log_tap": parse_tap}


def logs_eval(log: str, parser: Callable[[str], dict[str, str]]) -> tuple[dict[str, str], bool]:
    """(status map, usable): swebench's ``get_logs_eval`` on the log's text."""
    if any(marker in log for marker in BAD_MARKERS) or not (START_TEST_OUTPUT in log and END_TEST_OUTPUT in log):
        return {}, False
    statuses = parser(log.split(START_TEST_OUTPUT)[1].split(END_TEST_OUTPUT)[0]) or parser(log)
    if not statuses and not SUITE_RAN.search(log):
        return {}, False
    match = EXIT_CODE.search(log)
    exit_code = int(match.group(1)) if match else None
    if exit_code not in (None, 0) and statuses and not any(s in (FAILED, ERROR) for s in statuses.values()):
        return {}, False
    return statuses, True


def _key(case: str, statuses: dict[str, str]) -> str | None:
    if case in statuses:
        return case
    if case.count("[") > case.count("]"):
        matches = [name for name in statuses if name.startswith(case)]
        if matches and len({statuses[name] in (PASSED, XFAIL) for name in matches}) == 1:
            return matches[0]
    return None


def _passed(case: str, statuses: dict[str, str]) -> bool:
    key = _key(case, statuses)
    return key is not None and statuses[key] in (PASSED, XFAIL)


def _maintained(case: str, statuses: dict[str, str]) -> bool:
    key = _key(case, statuses)
    return _passed(case, statuses) or (key is not None and statuses[key] == SKIPPED)


def _failed(case: str, statuses: dict[str, str]) -> bool:
    key = _key(case, statuses)
    return key is None or statuses[key] in (FAILED, ERROR, SKIPPED)


def tests_report(statuses: dict[str, str], instance: Instance) -> dict[str, dict[str, list[str]]]:
    """FAIL_TO_PASS and PASS_TO_PASS split into success and failure (swebench's ``get_eval_tests_report``)."""
    report = {}
    for key, cases, succeeded in (("FAIL_TO_PASS", instance.FAIL_TO_PASS, _passed),
                                  ("PASS_TO_PASS", instance.PASS_TO_PASS, _maintained)):
        success: list[str] = []
        failure: list[str] = []
        for case in cases:
            if instance.eval_type == "fail_only":
                (failure if statuses.get(case) == FAILED else success).append(case)
            elif succeeded(case, statuses):
                success.append(case)
            elif _failed(case, statuses):
                failure.append(case)
        report[key] = {"success": success, "failure": failure}
    report["FAIL_TO_FAIL"] = {"success": [], "failure": []}
    report["PASS_TO_FAIL"] = {"success": [], "failure": []}
    return report


def resolution_status(report: dict[str, dict[str, list[str]]]) -> str:
    def rate(key: str) -> float:
        total = len(report[key]["success"]) + len(report[key]["failure"])
        return 1 if total == 0 else len(report[key]["success"]) / total
    f2p, p2p = rate("FAIL_TO_PASS"), rate("PASS_TO_PASS")
    if f2p == 1 and p2p == 1:
        return "RESOLVED_FULL"
    return "RESOLVED_PARTIAL" if 0 < f2p < 1 and p2p == 1 else "RESOLVED_NO"


def codeloop_report(instance: Instance, prediction: Prediction, log: str) -> dict:
    """The per-instance report (swebench's ``get_eval_report`` layout, ``include_tests_status``)."""
    entry: dict = {"patch_is_None": False, "patch_exists": False, "patch_successfully_applied": False,
                   "resolved": False, "infra_failure": False}
    if prediction.model_patch is None:
        entry["patch_is_None"] = True
        return {instance.instance_id: entry}
    entry["patch_exists"] = True
    if instance.log_parser not in PARSERS:
        raise ValueError(f"{instance.instance_id}: log parser {instance.log_parser!r} needs the swebench "
                         "package: pip install 'codeloop[swe]'")
    statuses, usable = logs_eval(log, PARSERS[instance.log_parser])
    if not usable:
        return {instance.instance_id: entry}
    entry["patch_successfully_applied"] = True
    report = tests_report(statuses, instance)
    entry["resolved"] = resolution_status(report) == "RESOLVED_FULL"
    entry["tests_status"] = report
    return {instance.instance_id: entry}


def swebench_report(instance: Instance, prediction: Prediction, log_path: str) -> dict:
    """The official grader: swebench's ``get_eval_report`` on the log file."""
    from swebench.harness.grading import get_eval_report
    from swebench.types import TestSpec
    spec = TestSpec(instance_id=instance.instance_id, image=instance.image, eval_script_list=[], repo=instance.repo,
                    version=instance.version, FAIL_TO_PASS=list(instance.FAIL_TO_PASS),
                    PASS_TO_PASS=list(instance.PASS_TO_PASS), log_parser=instance.log_parser,
                    eval_type=instance.eval_type, image_assets=instance.image_assets)
    row = {"instance_id": prediction.instance_id, "model_name_or_path": prediction.model_name_or_path,
           "model_patch": prediction.model_patch}
    return get_eval_report(test_spec=spec, prediction=row, test_log_path=log_path, include_tests_status=True)


def swebench_available() -> bool:
    try:
        import swebench.harness.grading  # noqa: F401
    except ImportError:
        return False
    return True


def grade(instance: Instance, prediction: Prediction, log_path: str, grader: str = "auto") -> tuple[dict, str]:
    """(report, grader used): ``swebench`` when installed (or asked), else ``codeloop``."""
    if grader == "swebench" or (grader == "auto" and swebench_available()):
        if not swebench_available():
            raise RuntimeError("--grader swebench needs the swebench package: pip install 'codeloop[swe]'")
        return swebench_report(instance, prediction, log_path), "swebench"
    with open(log_path, errors="replace") as handle:
        return codeloop_report(instance, prediction, handle.read()), "codeloop"
