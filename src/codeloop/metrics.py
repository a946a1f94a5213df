"""pass@k, n@k and bootstrap confidence intervals.

pass@k (Chen et al. 2021, arXiv 2107.03374, section 2.1): with n samples of which c are correct,
the unbiased estimate of "at least one of k samples drawn without replacement is correct" is

    pass@k = 1 - C(n - c, k) / C(n, k) = 1 - prod_{i = n-c+1}^{n} (1 - k / i)

The product form never forms a large binomial. It is 1 when n - c < k (every k-subset holds a
correct sample) and 0 when c = 0 (the product is empty, so 1). With n < k the
estimate is undefined: ``pass_at_k`` raises, and ``mean_pass_at_k`` leaves such k out.

n@k (AlphaCode, Li et al. 2022, arXiv 2203.07814, section 2.2; RLEF, arXiv 2410.02089, section
4.1): draw k samples, submit n of them, chosen among those that pass the public tests (at random
among them; if fewer than n pass, every one that does plus random others), and count the task
solved if a submission passes the hidden tests. ``n_at_k`` gives the exact expectation over the
k-subsets of the N samples and over the random choice of submissions. In multi-turn runs every
turn is a sample (arXiv 2410.08105, section 3).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task with ``n`` samples, ``c`` of them correct."""
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if k < 1 or n < k:
        raise ValueError(f"pass@{k} needs at least k={k} samples, got n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def mean_pass_at_k(counts: Sequence[tuple[int, int]], ks: Sequence[int]) -> dict[str, float]:
    """Mean pass@k over tasks given (n, c) per task; a k above some task's n is left out."""
    smallest = min((n for n, _ in counts), default=0)
    return {f"pass@{k}": sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)
            for k in ks if counts and k <= smallest}


def n_at_k(samples: Sequence[tuple[bool, bool]], n: int, k: int) -> float:
    """Exact n@k for one task; each sample is (passes public tests, passes hidden tests)."""
    total = len(samples)
    if k < 1 or n < 1 or total < k:
        raise ValueError(f"{n}@{k} needs 1 <= n and 1 <= k <= samples, got {total} samples")
    a = sum(1 for public, hidden in samples if public and hidden)        # good, and visible
    b = sum(1 for public, hidden in samples if public and not hidden)    # looks good, is not
    c = sum(1 for public, hidden in samples if not public and hidden)
    d = total - a - b - c
    failed = 0
    for i in range(min(a, k) + 1):          # i public-passing correct samples among the k
        for j in range(min(b, k - i) + 1):  # j public-passing wrong ones
            rest = k - i - j
            if rest > c + d:
                continue
            weight = math.comb(a, i) * math.comb(b, j) * math.comb(c + d, rest)
            if i + j >= n:  # n submissions among the i + j public passers: all wrong?
                fail = math.comb(j, n) / math.comb(i + j, n)
            elif i > 0:
                fail = 0.0
            else:  # every public passer (all wrong) plus n - j random others from the rest
                draw = min(n - j, rest)
                fail = math.comb(d, draw) / math.comb(c + d, draw)
            failed += weight * fail
    return 1.0 - failed / math.comb(total, k)


def bootstrap_ci(values: Sequence[float], confidence: float = 0.95, resamples: int = 2000,
                 statistic: Callable[[Sequence[float]], float] | None = None,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` (default: the mean) over per-task values."""
    if not values:
        return (math.nan, math.nan)
    statistic = statistic or (lambda xs: sum(xs) / len(xs))
    rng = random.Random(seed)
    stats = sorted(statistic(rng.choices(values, k=len(values))) for _ in range(resamples))
    low = stats[int((1 - confidence) / 2 * (resamples - 1))]
    high = stats[int((1 + confidence) / 2 * (resamples - 1))]
    return (low, high)
