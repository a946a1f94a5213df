"""Output checkers: does a program's stdout match the expected output?

Whatever a program prints or returns, a checker answers True or False and never raises: a huge
integer, an infinity, a deep nesting or a huge string is a wrong answer, not a crash of the judge
(the judge is a reward: an exception would abort the evaluation or training run that asked).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

# ASCII digits only: ``\d`` would also take Arabic-Indic ``١٢٣`` or fullwidth ``１２３`` for 123,
# which the expected text does not say.
INTEGER = re.compile(r"[+-]?[0-9]+")
FLOAT = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?")
# Token separators: the ASCII whitespace of C's isspace (space, \t, \n, \v, \f, \r), what a C or
# C++ checker's scanf skips. str.split() also splits on \x1c-\x1f and on Unicode spaces (\x85,
# \xa0, \u2000...), which would let ``1\x1f2`` pass for ``1 2``.
SPACE = " \t\n\v\f\r"
TOKEN = re.compile(f"[^{SPACE}]+")
_OTHER_ASCII_SPACE = "\x1c\x1d\x1e\x1f"

Checker = Callable[[str, str], bool]


def split_tokens(text: str) -> list[str]:
    """``text``'s tokens, separated by ASCII whitespace only."""
    if text.isascii() and not any(char in text for char in _OTHER_ASCII_SPACE):
        return text.split()  # the same split, 2x faster than the regular expression
    return TOKEN.findall(text)


def _integer_digits(token: str) -> str:
    """An integer token's value as text: sign, then the digits without leading zeros (``-007`` is
    ``-7``, ``-0`` is ``0``). Exact at any size, where ``int()`` refuses over 4300 digits."""
    digits = token.lstrip("+-").lstrip("0")
    return "-" + digits if token[0] == "-" and digits else digits


def tokens_equal(got: str, expected: str, tolerance: float = 1e-6) -> bool:
    """Compare two tokens. The rule:

    - equal text is equal;
    - an expected **integer** is matched only by the same value, exactly and at any size: ``3``,
      ``+3``, ``03``, ``3.0`` or ``3e0`` for ``3``; never an approximation (``-3.7310546753297495e+28``
      does not match ``-37310546753297493775586249672``, nor ``10**18 + 1`` match ``10**18``);
    - an expected **real** number (with a point or an exponent) is matched by any number within
      ``tolerance``, absolute or relative, both read as doubles; one beyond a double's range
      (``1e400``) only by its own text;
    - anything else only by equal text (case-sensitive).

    Numbers are written in ASCII digits only.
    """
    if got == expected:
        return True
    if INTEGER.fullmatch(expected):
        if INTEGER.fullmatch(got):
            return _integer_digits(got) == _integer_digits(expected)
        if FLOAT.fullmatch(got):
            import decimal  # here: 2 ms of every command's start, for the rare real that equals an integer
            try:
                return decimal.Decimal(got) == decimal.Decimal(expected)  # exact: Decimal keeps every digit
            except decimal.InvalidOperation:  # an exponent beyond Decimal's range: no integer's value
                return False
        return False
    if FLOAT.fullmatch(got) and FLOAT.fullmatch(expected):
        a, b = float(got), float(expected)  # never raises: out of range reads as inf or 0.0
        return math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)
    return False


@dataclass(frozen=True)
class TokenChecker:
    """The default: tokens separated by ASCII whitespace, in order, compared by ``tokens_equal``.

    Splitting on any run of whitespace ignores trailing spaces and blank lines; case matters.
    """

    tolerance: float = 1e-6

    def __call__(self, got: str, expected: str) -> bool:
        got_tokens, expected_tokens = split_tokens(got), split_tokens(expected)
        return len(got_tokens) == len(expected_tokens) and all(
            tokens_equal(g, e, self.tolerance) for g, e in zip(got_tokens, expected_tokens, strict=True))


@dataclass(frozen=True)
class ExactChecker:
    """Byte-for-byte equality after dropping trailing ASCII whitespace at the very end."""

    def __call__(self, got: str, expected: str) -> bool:
        return got.rstrip(SPACE) == expected.rstrip(SPACE)


@dataclass(frozen=True)
class ProgramChecker:
    """A checker program, run in the sandbox with ``input.txt``, ``expected.txt`` and
    ``output.txt`` in its working directory (also as argv 1..3); exit status 0 accepts."""

    source: str


def _close(got: int | float, expected: float, tolerance: float) -> bool:
    """``got`` within ``tolerance`` of the float ``expected``, absolute or relative (math.isclose's rule)."""
    try:
        return math.isclose(got, expected, rel_tol=tolerance, abs_tol=tolerance) or got == expected
    except OverflowError:  # an int beyond a float's range: compare exactly, as fractions
        if not math.isfinite(expected):
            return False
        from fractions import Fraction  # here: it imports decimal (see tokens_equal)
        a, b = Fraction(got), Fraction(expected)
        return abs(a - b) <= max(Fraction(tolerance) * max(abs(a), abs(b)), Fraction(tolerance))


def _leaf_equal(got: object, expected: object, tolerance: float) -> bool:
    """Equality of values that ``values_equal`` does not look into."""
    if isinstance(got, bool) or isinstance(expected, bool):
        return got is expected or (type(got) is type(expected) and got == expected)
    if isinstance(got, float | int) and isinstance(expected, float | int):
        if isinstance(expected, int):
            return got == expected  # Python compares int with float exactly, at any size
        return _close(got, expected, tolerance)
    return got == expected


def values_equal(got: object, expected: object, tolerance: float = 1e-6) -> bool:
    """Compare call results: tuples as lists, recursively; as for tokens, an expected integer
    only by the same value (``3.0`` matches ``3``, ``1e30`` does not match ``10**30``), an expected
    float within tolerance. A loop over pending pairs, not recursion: however deep the nesting,
    the answer is a verdict, never a RecursionError."""
    pending = [(got, expected)]
    while pending:
        got, expected = pending.pop()
        if isinstance(got, tuple):
            got = list(got)
        if isinstance(expected, tuple):
            expected = list(expected)
        if isinstance(got, list) and isinstance(expected, list):
            if len(got) != len(expected):
                return False
            pending.extend(zip(got, expected, strict=True))
        elif isinstance(got, dict) and isinstance(expected, dict):
            if got.keys() != expected.keys():
                return False
            pending.extend((got[key], expected[key]) for key in got)
        elif not _leaf_equal(got, expected, tolerance):
            return False
    return True
