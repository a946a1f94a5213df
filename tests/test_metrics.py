"""pass@k and n@k against brute-force enumeration of every k-subset."""

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codeloop.metrics import bootstrap_ci, mean_pass_at_k, n_at_k, pass_at_k


def brute_pass_at_k(n, c, k):
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


def brute_n_at_k(samples, n, k):
    """Average over k-subsets, and over every way of picking the submissions."""
    total = Fraction(0)
    subsets = list(itertools.combinations(range(len(samples)), k))
    for subset in subsets:
        passing = [i for i in subset if samples[i][0]]
        others = [i for i in subset if not samples[i][0]]
        if len(passing) >= n:
            picks = list(itertools.combinations(passing, n))
        else:
            fill = min(n - len(passing), len(others))
            picks = [tuple(passing) + extra for extra in itertools.combinations(others, fill)]
        solved = sum(any(samples[i][1] for i in pick) for pick in picks)
        total += Fraction(solved, len(picks))
    return float(total / len(subsets))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_matches_enumeration(case):
    n, c, k = case
    assert pass_at_k(n, c, k) == pytest.approx(brute_pass_at_k(n, c, k), abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=8).flatmap(
    lambda s: st.tuples(st.just(s), st.integers(1, len(s)), st.integers(1, len(s)))))
def test_n_at_k_matches_enumeration(case):
    samples, n, k = case
    assert n_at_k(samples, n, k) == pytest.approx(brute_n_at_k(samples, n, k), abs=1e-12)


def test_edge_cases():
    assert pass_at_k(10, 0, 5) == 0.0           # c = 0
    assert pass_at_k(10, 6, 5) == 1.0           # n - c < k
    assert pass_at_k(10, 1, 1) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="at least k=5"):
        pass_at_k(3, 1, 5)                      # n < k is undefined
    # large n: the product form stays finite where C(n, k) would overflow a float
    assert 0 < pass_at_k(2000, 3, 100) < 1
    assert pass_at_k(2000, 3, 100) == pytest.approx(1 - math.comb(1997, 100) / math.comb(2000, 100))


def test_mean_pass_at_k_skips_k_above_n():
    assert mean_pass_at_k([(1, 1), (1, 0)], [1, 10]) == {"pass@1": 0.5}


def test_n_at_k_special_cases():
    # 1@1 is pass@1
    samples = [(True, True), (False, False), (True, False)]
    assert n_at_k(samples, 1, 1) == pytest.approx(1 / 3)
    # with k = N and n >= all public passers, solved iff some public passer is correct
    assert n_at_k(samples, 2, 3) == 1.0
    # filtering helps: one good sample hidden among public-failing ones
    assert n_at_k([(True, True)] + [(False, False)] * 9, 1, 10) == 1.0


def test_bootstrap_ci_contains_mean():
    values = [1.0] * 30 + [0.0] * 70
    low, high = bootstrap_ci(values)
    assert low < 0.3 < high and low > 0.15 and high < 0.45
    assert bootstrap_ci(values) == bootstrap_ci(values)  # seeded
