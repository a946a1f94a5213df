"""Golden tests for the output checkers."""

import pytest

from codeloop.judge import ExactChecker, TokenChecker, tokens_equal, values_equal

check = TokenChecker()


@pytest.mark.parametrize(("got", "expected", "equal"), [
    ("1 2 3", "1 2 3", True),
    ("1 2 3", "3 2 1", False),                                  # token order matters
    ("1000000000000000000", "1000000000000000001", False),      # big integers compare exactly
    ("123456789012345678901234567890", "123456789012345678901234567890", True),
    ("0.333333333", "0.3333333", True),                          # within 1e-6
    ("0.3334", "0.3333", False),
    ("1", "1.0", True),                                          # a float on either side: tolerance
    ("1e9", "1000000000.0000001", True),                         # relative tolerance
    ("Yes", "YES", False),                                       # case matters
    ("yes", "yes", True),
    ("1 2\n", "1 2", True),                                      # trailing whitespace ignored
    ("1 2   \n\n\n", "1 2\n", True),                             # blank lines ignored
    ("1\n2", "1 2", True),
    ("", "", True),
    ("1 2", "1 2 3", False),
    ("-0", "0", True),
    ("abc", "abd", False),
    ("nan", "nan", True),
    ("1.5x", "1.5", False),
])
def test_token_checker(got, expected, equal):
    assert check(got, expected) is equal


def test_tolerance_is_configurable():
    assert not TokenChecker(tolerance=1e-9)("0.333333333", "0.3333333")
    assert tokens_equal("100.5", "100.0", tolerance=0.01)
    assert not tokens_equal("100.5", "100", tolerance=0.01)  # an integer answer needs its exact value


def test_exact_checker():
    assert ExactChecker()("a b\n", "a b")
    assert not ExactChecker()("a  b", "a b")


def test_values_equal():
    assert values_equal((1, 2), [1, 2])
    assert values_equal([0.1 + 0.2], [0.3])
    assert not values_equal(True, 1)
    assert not values_equal(10**18, 10**18 + 1)
    assert values_equal({"a": [1, (2,)]}, {"a": [1, [2]]})
