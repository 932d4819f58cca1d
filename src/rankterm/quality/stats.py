"""Small exact statistics with the standard library only (no scipy in the core)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence


def binomial_two_sided(successes: int, trials: int, p: float = 0.5) -> float:
    """Exact two-sided binomial test p-value, as R's ``binom.test``.

    Sums the probabilities of every outcome no more likely than the observed one (Clopper &
    Pearson's "minlike" rule; for p = 0.5 it equals doubling the smaller tail, capped at 1).
    Computed in log space with ``lgamma`` so that a hundred thousand trials neither overflow
    nor build huge integers. Reference: binom.test(7, 10) gives 0.34375.
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError("need 0 <= successes <= trials")
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    if trials == 0:
        return 1.0
    if p == 0.5:
        return _fair_coin_two_sided(successes, trials)
    log_p, log_q = math.log(p), math.log1p(-p)
    lg_n = math.lgamma(trials + 1)

    def log_pmf(k: int) -> float:
        return (
            lg_n
            - math.lgamma(k + 1)
            - math.lgamma(trials - k + 1)
            + k * log_p
            + (trials - k) * log_q
        )

    observed = log_pmf(successes)
    # Relative tolerance as in R, so that outcomes equal in exact arithmetic are counted.
    threshold = observed + math.log1p(1e-7)
    terms = [lp for k in range(trials + 1) if (lp := log_pmf(k)) <= threshold]
    top = max(terms)
    total = math.exp(top) * math.fsum(math.exp(t - top) for t in terms)
    return min(1.0, total)


def _fair_coin_two_sided(successes: int, trials: int) -> float:
    """For p = 0.5 the distribution is symmetric: twice the smaller tail, capped at 1.

    The tail is summed from its inner end outwards and stops once terms no longer change the
    sum, so even a hundred thousand trials cost a few hundred terms.
    """
    low = min(successes, trials - successes)
    if 2 * low == trials:
        return 1.0
    lg_n = math.lgamma(trials + 1)
    log_half = trials * math.log(0.5)
    terms = []
    for k in range(low, -1, -1):
        term = lg_n - math.lgamma(k + 1) - math.lgamma(trials - k + 1) + log_half
        terms.append(term)
        if term < terms[0] - 50:  # e^-50: below double precision of the sum
            break
    top = max(terms)
    tail = math.exp(top) * math.fsum(math.exp(t - top) for t in terms)
    return min(1.0, 2 * tail)


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def pooled_slope(groups: Iterable[Sequence[tuple[float, float]]]) -> float | None:
    """Least-squares slope of y on x, pooled within groups (each group centred on its means).

    Used for fatigue: x is the position of a judgment within its session, so that a slow
    person and a fast person, or a long and a short session, do not fake a trend.
    Returns None when x never varies within a group.
    """
    sxy = sxx = 0.0
    for points in groups:
        n = len(points)
        if n < 2:
            continue
        xs = [x for x, _ in points]
        ys = [y for _, y in points]
        mx = sum(xs) / n
        my = sum(ys) / n
        dx = [x - mx for x in xs]
        sxy += sum(d * (y - my) for d, y in zip(dx, ys, strict=True))
        sxx += sum(d * d for d in dx)
    if sxx == 0:
        return None
    return sxy / sxx


def entropy(values: Iterable[Hashable]) -> float:
    """Shannon entropy in bits of the empirical distribution of ``values``."""
    counts = Counter(values)
    total = sum(counts.values())
    if total == 0:
        return 0.0
    return -math.fsum((c / total) * math.log2(c / total) for c in counts.values())


def variance(values: Sequence[float]) -> float:
    """Population variance (0 for fewer than two values)."""
    if len(values) < 2:
        return 0.0
    mean = math.fsum(values) / len(values)
    return math.fsum((v - mean) ** 2 for v in values) / len(values)


def pairwise_agreement(values: Sequence[Hashable]) -> float | None:
    """Share of the unit's rater pairs that agree (Fleiss' P_i); None for < 2 values."""
    m = len(values)
    if m < 2:
        return None
    if m == 2:
        return 1.0 if values[0] == values[1] else 0.0
    agreeing = sum(c * (c - 1) for c in tally(values).values())
    return agreeing / (m * (m - 1))


def tally(values: Iterable[Hashable]) -> dict[Hashable, int]:
    """Value counts as a plain dict: for the handful of ratings of one unit this is several
    times faster than ``Counter``, whose constructor dominates a million-unit loop."""
    counts: dict[Hashable, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts
