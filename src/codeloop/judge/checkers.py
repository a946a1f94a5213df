"""Output checkers: does a program's stdout match the expected output?"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

INTEGER = re.compile(r"[+-]?\d+")
FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")

Checker = Callable[[str, str], bool]


def tokens_equal(got: str, expected: str, tolerance: float = 1e-6) -> bool:
    """Compare two tokens. The rule:

    - equal text is equal;
    - an expected **integer** is matched only by the same value, exactly and at any size: ``3``,
      ``+3``, ``3.0`` or ``3e0`` for ``3``; never an approximation (``-3.7310546753297495e+28``
      does not match ``-37310546753297493775586249672``, nor ``10**18 + 1`` match ``10**18``);
    - an expected **real** number (with a point or an exponent) is matched by any number within
      ``tolerance``, absolute or relative;
    - anything else only by equal text (case-sensitive).
    """
    if got == expected:
        return True
    if INTEGER.fullmatch(expected):
        if INTEGER.fullmatch(got):
            return int(got) == int(expected)
        if FLOAT.fullmatch(got):
            import decimal  # here: 2 ms of every command's start, for the rare real that equals an integer
            with contextlib.suppress(decimal.InvalidOperation):
                return decimal.Decimal(got) == int(expected)  # exact: Decimal keeps every digit
        return False
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
    """Compare call results: tuples as lists, recursively; as for tokens, an expected integer
    only by the same value (``3.0`` matches ``3``, ``1e30`` does not match ``10**30``), an expected
    float within tolerance."""
    if isinstance(got, tuple):
        got = list(got)
    if isinstance(expected, tuple):
        expected = list(expected)
    if isinstance(got, bool) or isinstance(expected, bool):
        return got is expected or (type(got) is type(expected) and got == expected)
    if isinstance(got, float | int) and isinstance(expected, float | int):
        if isinstance(expected, int):
            return got == expected  # Python compares int with float exactly
        return math.isclose(got, expected, rel_tol=tolerance, abs_tol=tolerance) or got == expected
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(
            values_equal(g, e, tolerance) for g, e in zip(got, expected, strict=True))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(
            values_equal(got[k], expected[k], tolerance) for k in got)
    return got == expected
