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
    assert ExactChecker()("a b \t\r\n\v\f", "a b")
    assert not ExactChecker()("a b\x1c", "a b") and not ExactChecker()("a b\u3000", "a b")  # not ASCII whitespace


def test_values_equal():
    assert values_equal((1, 2), [1, 2])
    assert values_equal([0.1 + 0.2], [0.3])
    assert not values_equal(True, 1)
    assert not values_equal(10**18, 10**18 + 1)
    assert values_equal({"a": [1, (2,)]}, {"a": [1, [2]]})


def test_hostile_numbers_get_an_answer_never_an_exception():
    """Python's int() refuses over 4300 digits and math.isclose overflows on a huge int: a checker
    must still answer, exactly, whatever the program printed or returned."""
    many = "1" * 5000
    assert tokens_equal("0" * 5000 + "5", "5")                 # the right value, leading zeros as "05"
    assert tokens_equal("-" + "0" * 5000, "0") and tokens_equal("+" + many, "0" + many)
    assert not tokens_equal("9" * 5000, "5")
    assert not tokens_equal(many, many[:-1] + "2")             # exact at any size
    assert tokens_equal(many + ".000", many) and not tokens_equal(many + ".5", many)
    assert not tokens_equal("1e999999999999999999999", "5")    # beyond Decimal's exponents
    assert not tokens_equal(many, "1.5") and not tokens_equal("1e400", "1.5")
    assert not tokens_equal("1e400", "1e401")                  # beyond a double: not "both infinite"
    assert check("0" * 5000 + "5\n", "5\n") and not check("9" * 5000 + "\n", "5\n")
    assert not values_equal(10**400, 1.5) and not values_equal([10**400], [1.5])
    assert not values_equal({"a": 10**400}, {"a": 1e300}) and not values_equal(10**400, float("inf"))
    assert values_equal(10**400, 10**400) and not values_equal(10**400, 10**400 + 1)
    assert values_equal(2**1024, 1.7976931348623157e308)       # past the largest float, within 1e-6 of it
    assert not values_equal(float("inf"), 1.5) and not values_equal(float("nan"), 1.5)


def test_deep_nesting_is_compared_without_recursion():
    got, expected = [], []
    for _ in range(100_000):
        got, expected = [got], [expected]
    assert values_equal(got, expected)
    assert not values_equal(got, [[[1]]])


@pytest.mark.parametrize("got", ["١٢٣", "１２３", "12３", "١٢٣.0", "１.２３e2"])
def test_numbers_are_ascii_digits_only(got):
    assert not tokens_equal(got, "123") and not check(got, "123")
    assert not tokens_equal(got, "123.0")


@pytest.mark.parametrize(("got", "equal"), [
    ("1 2", True), ("1\t2", True), ("1\r\n2\r\n", True), ("1\v2\f", True),  # C's isspace: ASCII whitespace
    ("1\x1c2", False), ("1\x1f2", False), ("1\x852", False), ("1\xa02", False),  # str.split() would split these
    ("1\u20002", False), ("1\u30002", False), ("\x1e1 2", False), ("1 2\u2028", False),
])
def test_tokens_are_separated_by_ascii_whitespace_only(got, equal):
    assert check(got, "1 2") is equal
