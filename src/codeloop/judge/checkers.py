"""Output checkers: does a program's stdout match the expected output?"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

INTEGER = re.compile(r"[+-]?\d+")
FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")

Checker = Callable[[str, str], bool]


def tokens_equal(got: str, expected: str, tolerance: float = 1e-6) -> bool:
    """Compare two tokens: integers exactly, numbers with a float among them within tolerance."""
    if got == expected:
        return True
    if INTEGER.fullmatch(got) and INTEGER.fullmatch(expected):
        return int(got) == int(expected)  # exact at any size: 10**18 != 10**18 + 1
    if FLOAT.fullmatch(got) and FLOAT.fullmatch(expected):
        a, b = float(got), float(expected)
        return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)
    return False


@dataclass(frozen=True)
class TokenChecker:
    """The default: whitespace-separated tokens, in order, compared by ``tokens_equal``.

    Splitting on any whitespace ignores trailing spaces and blank lines; case matters.
    """

    tolerance: float = 1e-6

    def __call__(self, got: str, expected: str) -> bool:
        got_tokens, expected_tokens = got.split(), expected.split()
        return len(got_tokens) == len(expected_tokens) and all(
            tokens_equal(g, e, self.tolerance) for g, e in zip(got_tokens, expected_tokens, strict=True))


@dataclass(frozen=True)
class ExactChecker:
    """Byte-for-byte equality after dropping trailing whitespace at the very end."""

    def __call__(self, got: str, expected: str) -> bool:
        return got.rstrip() == expected.rstrip()


@dataclass(frozen=True)
class ProgramChecker:
    """A checker program, run in the sandbox with ``input.txt``, ``expected.txt`` and
    ``output.txt`` in its working directory (also as argv 1..3); exit status 0 accepts."""

    source: str


def values_equal(got: object, expected: object, tolerance: float = 1e-6) -> bool:
    """Compare call results: tuples as lists, floats within tolerance, recursively."""
    if isinstance(got, tuple):
        got = list(got)
    if isinstance(expected, tuple):
        expected = list(expected)
    if isinstance(got, bool) or isinstance(expected, bool):
        return got is expected or (type(got) is type(expected) and got == expected)
    if isinstance(got, float | int) and isinstance(expected, float | int):
        if isinstance(got, int) and isinstance(expected, int):
            return got == expected
        return math.isclose(got, expected, rel_tol=tolerance, abs_tol=tolerance) or got == expected
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(
            values_equal(g, e, tolerance) for g, e in zip(got, expected, strict=True))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(
            values_equal(got[k], expected[k], tolerance) for k in got)
    return got == expected
