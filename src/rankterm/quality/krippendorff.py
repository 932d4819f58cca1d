"""Krippendorff's alpha for any number of raters, missing data and four levels of measurement.

Formulas from Krippendorff, K. (2011). *Computing Krippendorff's Alpha-Reliability*.
University of Pennsylvania, Annenberg School for Communication, departmental paper 43
(https://repository.upenn.edu/asc_papers/43), section "C. Any number of observers, any
metric, missing data":

* coincidences: ``o_ck = sum over units u of (number of c-k pairs in u) / (m_u - 1)``, where
  ``m_u`` is the number of values in unit u; units with ``m_u < 2`` are not pairable and are
  ignored;
* marginals ``n_c = sum_k o_ck`` and ``n = sum_c n_c`` (the number of pairable values);
* ``alpha = 1 - D_o / D_e = 1 - (n - 1) * sum o_ck d2_ck / sum n_c n_k d2_ck``;
* difference functions d2: nominal 0/1; ordinal
  ``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2``; interval ``(c - k)^2``; ratio
  ``((c - k) / (c + k))^2``.

The paper's worked example (4 observers x 12 units) gives nominal 0.743, ordinal 0.815,
interval 0.849 and ratio 0.797; ``tests/quality/test_reference_values.py`` checks them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass
from itertools import accumulate, permutations
from typing import Literal

from rankterm.quality.table import NotEnoughData, Ratings

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True, slots=True)
class Coincidences:
    """The coincidence matrix of reliability data and what it was built from."""

    matrix: dict[tuple[Hashable, Hashable], float]
    marginals: dict[Hashable, float]
    #: Number of pairable values (the paper's n).
    n: float
    #: Number of units with two or more values.
    n_units: int


def coincidences(units: Iterable[Collection[Hashable]] | Ratings) -> Coincidences:
    """Tabulate ``o_ck`` in one pass over the units.

    Pair counts are accumulated as integers per unit size ``m`` and divided by ``m - 1``
    once at the end, which is both faster and exact up to the final division.
    """
    if isinstance(units, Ratings):
        units = units.unit_values(min_raters=2)
    by_size: dict[int, Counter] = defaultdict(Counter)
    n_units = 0
    for values in units:
        m = len(values)
        if m < 2:
            continue
        n_units += 1
        # Ordered pairs of distinct positions: n_c * n_k pairs for c != k and n_c (n_c - 1)
        # for c == k, exactly the paper's pair counts; Counter.update counts them in C.
        by_size[m].update(permutations(values, 2))
    matrix: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for m, tally in by_size.items():
        scale = 1.0 / (m - 1)
        for key, count in tally.items():
            matrix[key] += count * scale
    marginals: dict[Hashable, float] = defaultdict(float)
    for (c, _k), value in matrix.items():
        marginals[c] += value
    return Coincidences(dict(matrix), dict(marginals), sum(marginals.values()), n_units)


def _difference(
    level: Level, marginals: dict[Hashable, float]
) -> Callable[[object, object], float]:
    """The squared difference function ``d2(c, k)`` for a level of measurement."""
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    values = list(marginals)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{level} alpha needs numeric values, got {value!r}")
    if level == "interval":
        return lambda c, k: float(c - k) ** 2  # type: ignore[operator]
    if level == "ratio":

        def ratio(c: float, k: float) -> float:
            total = c + k
            return 0.0 if total == 0 else ((c - k) / total) ** 2

        return ratio  # type: ignore[return-value]
    if level == "ordinal":
        ordered = sorted(values)  # type: ignore[type-var]
        rank = {v: i for i, v in enumerate(ordered)}
        cumulative = [0.0, *accumulate(marginals[v] for v in ordered)]

        def ordinal(c: object, k: object) -> float:
            i, j = rank[c], rank[k]
            if i > j:
                i, j = j, i
            between = cumulative[j + 1] - cumulative[i]
            return (between - (marginals[c] + marginals[k]) / 2) ** 2

        return ordinal
    raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")


def alpha_from_coincidences(table: Coincidences, level: Level = "nominal") -> float:
    """Alpha from an already tabulated coincidence matrix (lets callers reuse one table)."""
    if table.n_units == 0:
        raise NotEnoughData("no unit has two or more ratings")
    delta = _difference(level, table.marginals)
    observed = sum(count * delta(c, k) for (c, k), count in table.matrix.items())
    marginals = list(table.marginals.items())
    expected = sum(nc * nk * delta(c, k) for c, nc in marginals for k, nk in marginals)
    if expected == 0:
        raise NotEnoughData("every value is the same, so agreement is not measurable (alpha 0/0)")
    return 1.0 - (table.n - 1) * observed / expected


def krippendorff_alpha(
    units: Iterable[Collection[Hashable]] | Ratings, level: Level = "nominal"
) -> float:
    """Krippendorff's alpha of reliability data given as the values of each unit.

    ``units`` is a :class:`Ratings` table or any iterable of per-unit value collections
    (missing ratings simply absent). Units with fewer than two values are ignored. Raises
    :class:`NotEnoughData` when alpha is undefined: no pairable unit, or no variation at all.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    return alpha_from_coincidences(coincidences(units), level)
