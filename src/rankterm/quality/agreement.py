"""Percent agreement, Cohen's kappa (plain and weighted) and Fleiss' kappa.

Sources for the formulas:

* Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
  Psychological Measurement* 20(1), 37-46: ``kappa = (p_o - p_e) / (1 - p_e)``.
* Cohen, J. (1968). Weighted kappa. *Psychological Bulletin* 70(4), 213-220:
  ``kappa_w = 1 - sum w_xy O_xy / sum w_xy E_xy`` with disagreement weights ``w``; here
  ``|x - y|`` (linear) or ``(x - y)^2`` (quadratic) on the numeric values, which for
  consecutive integer categories equals the usual ``|i - j| / (k - 1)`` weights (kappa is
  unchanged by scaling the weights).
* Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
  *Psychological Bulletin* 76(5), 378-382.
* Light, R. J. (1971). Measures of response agreement for qualitative data. *Psychological
  Bulletin* 76(5), 365-377: the mean of pairwise Cohen's kappas for more than two raters.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

from rankterm.quality.stats import pairwise_agreement, tally
from rankterm.quality.table import NotEnoughData, Ratings
from rankterm.storage.bulk import bulk_pass

Weights = Literal["linear", "quadratic"] | None


def percent_agreement(ratings: Ratings | Iterable[Sequence[Hashable]]) -> float:
    """Mean over units with 2+ ratings of the share of rater pairs that agree.

    Each unit counts once however many raters it has (Fleiss 1971's ``P-bar``), so that a
    heavily re-annotated item cannot dominate the figure.
    """
    rows = ratings.unit_values(min_raters=2) if isinstance(ratings, Ratings) else ratings
    total = 0.0
    units = 0
    for values in rows:
        share = pairwise_agreement(list(values))
        if share is None:
            continue
        total += share
        units += 1
    if not units:
        raise NotEnoughData("no unit has two or more ratings")
    return total / units


# -- Cohen --------------------------------------------------------------------------------------


def _disagreement(weights: Weights):
    if weights is None:
        return lambda x, y: 0.0 if x == y else 1.0
    if weights == "linear":
        return lambda x, y: float(abs(x - y))
    if weights == "quadratic":
        return lambda x, y: float((x - y) ** 2)
    raise ValueError(f"unknown weights {weights!r}; expected None, 'linear' or 'quadratic'")


def kappa_from_confusion(
    confusion: Mapping[tuple[Hashable, Hashable], int], weights: Weights = None
) -> float:
    """Cohen's kappa from a confusion table ``{(rater1 value, rater2 value): count}``."""
    n = sum(confusion.values())
    if n == 0:
        raise NotEnoughData("the two raters have no unit in common")
    rows: Counter = Counter()
    cols: Counter = Counter()
    for (x, y), count in confusion.items():
        rows[x] += count
        cols[y] += count
    if weights is not None:
        for value in (*rows, *cols):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"weighted kappa needs numeric (ordinal) values, got {value!r}")
    w = _disagreement(weights)
    observed = sum(w(x, y) * count for (x, y), count in confusion.items()) / n
    expected = sum(w(x, y) * rx * cy for x, rx in rows.items() for y, cy in cols.items()) / (n * n)
    if expected == 0:
        raise NotEnoughData("both raters used one and the same value throughout (kappa 0/0)")
    return 1.0 - observed / expected


def cohen_kappa(pairs: Iterable[tuple[Hashable, Hashable]], weights: Weights = None) -> float:
    """Cohen's kappa of two raters given as ``(rater1 value, rater2 value)`` per unit.

    ``weights`` is None (nominal), ``"linear"`` or ``"quadratic"`` (numeric values needed).
    Raises :class:`NotEnoughData` when kappa is undefined (no units, or chance agreement 1).
    """
    return kappa_from_confusion(Counter(pairs), weights)


@dataclass(frozen=True, slots=True)
class PairKappa:
    """Cohen's kappas of one annotator pair; None where undefined for their data."""

    raters: tuple[str, str]
    #: Units both rated on the nominal scale.
    n: int
    plain: float | None
    #: Units both rated on the ordinal scale (both_bad left out).
    n_ordinal: int
    linear: float | None
    quadratic: float | None


def _confusions(ratings: Ratings) -> dict[tuple[str, str], Counter]:
    tables: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for _unit, cell in ratings.pairable():
        for a, b in combinations(sorted(cell), 2):
            tables[(a, b)][(cell[a], cell[b])] += 1
    return tables


def _safe(confusion: Mapping, weights: Weights) -> float | None:
    try:
        return kappa_from_confusion(confusion, weights) if confusion else None
    except NotEnoughData:
        return None


@bulk_pass
def pairwise_cohen(nominal: Ratings, ordinal: Ratings | None = None) -> list[PairKappa]:
    """Cohen's kappa for every annotator pair with a unit in common.

    Plain kappa reads the nominal table; linear and quadratic weighted kappa read the ordinal
    table when one is given. Raters of a pair are in sorted order (kappa is symmetric).
    """
    plain_tables = _confusions(nominal)
    ordinal_tables = _confusions(ordinal) if ordinal is not None else {}
    results = []
    for key in sorted(set(plain_tables) | set(ordinal_tables)):
        plain = plain_tables.get(key, Counter())
        ordered = ordinal_tables.get(key, Counter())
        results.append(
            PairKappa(
                raters=key,
                n=sum(plain.values()),
                plain=_safe(plain, None),
                n_ordinal=sum(ordered.values()),
                linear=_safe(ordered, "linear"),
                quadratic=_safe(ordered, "quadratic"),
            )
        )
    return results


def mean_kappa(results: Iterable[PairKappa], which: str = "plain") -> float | None:
    """Light's kappa: the unweighted mean of the defined pairwise kappas."""
    values = [v for r in results if (v := getattr(r, which)) is not None]
    return sum(values) / len(values) if values else None


# -- Fleiss -------------------------------------------------------------------------------------


def _as_dict(row: Mapping[Hashable, int] | Sequence[int]) -> dict[Hashable, int]:
    return dict(row) if isinstance(row, Mapping) else dict(enumerate(row))


def fleiss_kappa(table: Sequence[Mapping[Hashable, int] | Sequence[int]]) -> float:
    """Fleiss' kappa from per-unit category counts (each row sums to the same n >= 2).

    ``P_i = (sum_j n_ij^2 - n) / (n (n - 1))``, ``p_j = sum_i n_ij / (N n)``,
    ``kappa = (mean P_i - sum p_j^2) / (1 - sum p_j^2)`` (Fleiss 1971).
    """
    rows = [row if isinstance(row, dict) else _as_dict(row) for row in table]
    if not rows:
        raise NotEnoughData("no units to compute Fleiss' kappa on")
    n = sum(rows[0].values())
    for i, row in enumerate(rows):
        total = sum(row.values())
        if total != n:
            raise ValueError(
                f"Fleiss' kappa needs the same number of ratings per unit: unit {i + 1} has "
                f"{total}, unit 1 has {n} (use fleiss_from_ratings to pick the modal count)"
            )
    if n < 2:
        raise NotEnoughData("Fleiss' kappa needs at least two ratings per unit")
    big_n = len(rows)
    category_totals: dict[Hashable, int] = defaultdict(int)
    squares = 0
    for row in rows:
        for category, count in row.items():
            category_totals[category] += count
            squares += count * count
    p_bar = (squares - big_n * n) / (big_n * n * (n - 1))
    p_e = sum((total / (big_n * n)) ** 2 for total in category_totals.values())
    if p_e == 1:
        raise NotEnoughData("every rating is in one category (Fleiss' kappa 0/0)")
    return (p_bar - p_e) / (1 - p_e)


@dataclass(frozen=True, slots=True)
class FleissResult:
    """Fleiss' kappa over the units that have the modal number of raters."""

    value: float | None
    raters_per_unit: int
    n_units: int
    #: Units with 2+ raters left out because their rater count differs from the modal one.
    units_dropped: int
    reason: str = ""


def fleiss_from_ratings(ratings: Ratings) -> FleissResult:
    """Fleiss' kappa under a stated rule for unequal rater counts.

    Fleiss (1971) assumes every unit has the same number of ratings n. The rule here: use the
    units whose rater count is the most common one among units with 2+ raters (ties go to the
    larger count, which carries more information) and report how many units were dropped.
    """
    sizes = Counter(len(cell) for _unit, cell in ratings.pairable())
    if not sizes:
        raise NotEnoughData("no unit has two or more ratings")
    modal = max(sizes, key=lambda m: (sizes[m], m))
    rows = [tally(cell.values()) for _unit, cell in ratings.pairable() if len(cell) == modal]
    dropped = sum(sizes.values()) - len(rows)
    try:
        value: float | None = fleiss_kappa(rows)
        reason = ""
    except NotEnoughData as exc:
        value, reason = None, str(exc)
    return FleissResult(value, modal, len(rows), dropped, reason)
