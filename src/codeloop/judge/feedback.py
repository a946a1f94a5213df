"""Execution feedback text for multi-turn code generation.

Templates:
- RLEF (Gehring et al., arXiv 2410.02089, appendix C): "Your code failed the following
  tests:", one line per failed public test (expected/got, the stack trace, "Execution took too
  long." or "Out of memory."), then "Give it another try." and the answer-format line. Code that
  does not compile gets RLEF's "Could not parse your code." with the compiler's message (RLEF
  used Python only; for a compiled language that message is the compiler's, paths reduced).
- Granularities of arXiv 2410.08105 (Zheng et al., section 3): ``binary`` (only that the
  solution was wrong), ``failed`` (the failed tests, as RLEF), ``all`` (failed tests, then the
  passed ones as "- input `x` passed with expected output `y`"). Traceback paths are reduced
  to file names (the program is ``solution.py``), and the text is capped near 1024 tokens.
"""

from __future__ import annotations

import enum
import re

from codeloop.judge.core import Judgement, TestResult, Verdict
from codeloop.judge.tests import TestKind


def format_line(fence: str = "python") -> str:
    """RLEF's answer-format line, for code fenced as ``fence`` (its language's tag)."""
    return (f"Your code should be enclosed in triple backticks like so: ```{fence} YOUR CODE HERE ```. "
            "Use the backticks for your code only.")


FORMAT_LINE = format_line()
FAILED_HEADER = "Your code failed the following tests:"
BINARY_TEXT = "This solution was wrong."
RETRY = "Give it another try."
COMPILE_TEXT = "Could not parse your code."
MAX_CHARS = 4096  # ~1024 tokens of code-tokenizer text
MAX_FIELD_CHARS = 512
_PATH = re.compile(r'File "(?:[^"]*/)?([^"/]+)"')


class Granularity(enum.StrEnum):
    BINARY = "binary"
    FAILED = "failed"
    ALL = "all"


def _clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "...(truncated)"


def normalize_traceback(stderr: str) -> str:
    """Paths become bare file names (the program is ``solution.py``, the test ``test.py``)."""
    return "\n".join(_PATH.sub(r'File "\1"', line) for line in stderr.rstrip().splitlines())


def failure_line(result: TestResult) -> str:
    """One RLEF feedback line for a failed test."""
    shown = f"- input '{_clip(result.test.shown_input())}' failed: "
    if result.verdict == Verdict.WA and result.test.kind != TestKind.SCRIPT:
        expected, got = _clip(result.test.shown_output().rstrip()), _clip(result.got.rstrip())
        return shown + f"Expected output '{expected}' but got '{got}'"
    if result.verdict == Verdict.TLE:
        return shown + "Execution took too long."
    if result.verdict == Verdict.MLE:
        return shown + "Out of memory."
    if result.verdict == Verdict.OLE:
        return shown + "Output limit exceeded."
    return shown + _clip(normalize_traceback(result.error_text), 2 * MAX_FIELD_CHARS)


def passed_line(result: TestResult) -> str:
    return (f"- input `{_clip(result.test.shown_input())}` passed with expected output "
            f"`{_clip(result.test.shown_output())}`")


def feedback(judgement: Judgement, granularity: Granularity | str = Granularity.FAILED,
             format_line: str = FORMAT_LINE) -> str:
    """Feedback text for a failed judgement on the public tests ('' when it passed)."""
    granularity = Granularity(granularity)
    if judgement.passed:
        return ""
    if judgement.verdict == Verdict.CE:
        body = f"{COMPILE_TEXT}\n{judgement.compile_error}"
    elif granularity == Granularity.BINARY:
        body = BINARY_TEXT
    else:
        lines = [failure_line(r) for r in judgement.results if r.verdict != Verdict.OK]
        if granularity == Granularity.ALL:
            lines += [passed_line(r) for r in judgement.results if r.verdict == Verdict.OK]
        body = FAILED_HEADER + "\n" + "\n".join(lines)
    tail = f"\n{RETRY} {format_line}".rstrip()
    if len(body) + len(tail) > MAX_CHARS:
        body = body[:MAX_CHARS - len(tail) - 15] + "\n...(truncated)"
    return body + tail
