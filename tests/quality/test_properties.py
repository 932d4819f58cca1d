"""Properties every agreement coefficient must have, whatever the data."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rankterm.quality import (
    NotEnoughData,
    Ratings,
    cohen_kappa,
    fleiss_from_ratings,
    krippendorff_alpha,
    percent_agreement,
)

CATEGORIES = st.integers(min_value=-3, max_value=3)

#: Reliability data: units x raters, each cell a value or None (missing).
matrices = st.integers(min_value=2, max_value=5).flatmap(
    lambda raters: st.lists(
        st.lists(st.one_of(st.none(), CATEGORIES), min_size=raters, max_size=raters),
        min_size=1,
        max_size=25,
    )
)


def to_ratings(units: list[list[int | None]]) -> Ratings:
    rows = [
        (f"u{u}", f"r{r}", value)
        for u, cells in enumerate(units)
        for r, value in enumerate(cells)
        if value is not None
    ]
    return Ratings.from_rows(rows)


def alpha_or_none(ratings: Ratings, level: str = "nominal") -> float | None:
    try:
        return krippendorff_alpha(ratings, level)  # type: ignore[arg-type]
    except NotEnoughData:
        return None


@given(
    st.lists(CATEGORIES, min_size=2, max_size=30),
    st.integers(min_value=2, max_value=6),
)
def test_identical_raters_agree_perfectly(truth: list[int], raters: int) -> None:
    assume(len(set(truth)) > 1)  # without variation the coefficients are 0/0
    ratings = Ratings.from_rows(
        (f"u{u}", f"r{r}", value) for u, value in enumerate(truth) for r in range(raters)
    )
    for level in ("nominal", "ordinal", "interval"):
        assert krippendorff_alpha(ratings, level) == pytest.approx(1.0)
    assert percent_agreement(ratings) == 1.0
    assert fleiss_from_ratings(ratings).value == pytest.approx(1.0)
    pairs = [(v, v) for v in truth]
    for weights in (None, "linear", "quadratic"):
        assert cohen_kappa(pairs, weights) == pytest.approx(1.0)


@given(matrices, st.permutations(["w", "x", "y", "z", "q", "p", "o"]))
def test_nominal_coefficients_ignore_category_names(units, names) -> None:
    relabel = dict(zip(range(-3, 4), names, strict=True))
    original = to_ratings(units)
    renamed = to_ratings([[None if v is None else relabel[v] for v in row] for row in units])
    before, after = alpha_or_none(original), alpha_or_none(renamed)
    if before is None:
        assert after is None
    else:
        assert after == pytest.approx(before)
    if original.n_pairable():
        assert percent_agreement(renamed) == pytest.approx(percent_agreement(original))
        f_before, f_after = fleiss_from_ratings(original), fleiss_from_ratings(renamed)
        assert f_before.n_units == f_after.n_units
        if f_before.value is not None:
            assert f_after.value == pytest.approx(f_before.value)


@given(matrices, st.integers(min_value=1, max_value=5), st.sampled_from([-3, 0, 2]))
def test_units_with_fewer_than_two_values_are_ignored(units, extra, lone) -> None:
    padded = [*units, *([[None] * len(units[0])] * extra), [lone] + [None] * (len(units[0]) - 1)]
    for level in ("nominal", "ordinal", "interval"):
        assert alpha_or_none(to_ratings(padded), level) == alpha_or_none(to_ratings(units), level)


@given(matrices)
def test_alpha_bounds(units) -> None:
    ratings = to_ratings(units)
    nominal = alpha_or_none(ratings)
    if nominal is not None:
        assert -1.0 - 1e-9 <= nominal <= 1.0 + 1e-9
    for level in ("ordinal", "interval"):
        value = alpha_or_none(ratings, level)
        if value is not None:
            assert value <= 1.0 + 1e-9


@given(st.lists(st.tuples(CATEGORIES, CATEGORIES), min_size=1, max_size=40))
def test_kappa_symmetric_in_rater_order(pairs) -> None:
    swapped = [(b, a) for a, b in pairs]
    for weights in (None, "linear", "quadratic"):
        try:
            forward = cohen_kappa(pairs, weights)
        except NotEnoughData:
            with pytest.raises(NotEnoughData):
                cohen_kappa(swapped, weights)
            continue
        assert cohen_kappa(swapped, weights) == pytest.approx(forward)
        if weights is None:
            assert -1.0 - 1e-9 <= forward <= 1.0 + 1e-9


@settings(max_examples=50)
@given(matrices)
def test_alpha_ignores_rater_and_unit_order(units) -> None:
    forward = to_ratings(units)
    backward = to_ratings([list(reversed(row)) for row in reversed(units)])
    for level in ("nominal", "ordinal"):
        a, b = alpha_or_none(forward, level), alpha_or_none(backward, level)
        assert (a is None) == (b is None)
        if a is not None:
            assert b == pytest.approx(a)


def test_no_variation_is_reported_not_nan() -> None:
    ratings = Ratings.from_rows([("u1", "a", 1), ("u1", "b", 1), ("u2", "a", 1), ("u2", "b", 1)])
    with pytest.raises(NotEnoughData, match="same"):
        krippendorff_alpha(ratings)
    with pytest.raises(NotEnoughData):
        cohen_kappa([(1, 1), (1, 1)])
    with pytest.raises(NotEnoughData, match="two or more"):
        krippendorff_alpha(Ratings.from_rows([("u1", "a", 1)]))


def test_weighted_kappa_needs_numbers() -> None:
    with pytest.raises(TypeError, match="numeric"):
        cohen_kappa([("A", "B"), ("B", "B")], "linear")
    with pytest.raises(TypeError, match="numeric"):
        krippendorff_alpha([["A", "B"], ["B", "B"]], "interval")


def _naive_alpha(units: list[list[int]], level: str) -> float:
    """Krippendorff's alpha straight from its definition, pair by pair (O(n^2)): the
    coincidence-matrix implementation must agree with it."""
    pairable = [u for u in units if len(u) >= 2]
    values = [v for u in pairable for v in u]
    n = len(values)
    counts = {v: values.count(v) for v in set(values)}
    ordered = sorted(counts)

    def delta(c: int, k: int) -> float:
        if level == "nominal":
            return float(c != k)
        if level == "interval":
            return float((c - k) ** 2)
        lo, hi = sorted((ordered.index(c), ordered.index(k)))
        between = sum(counts[g] for g in ordered[lo : hi + 1])
        return (between - (counts[c] + counts[k]) / 2) ** 2

    observed = sum(
        delta(u[i], u[j]) / (len(u) - 1)
        for u in pairable
        for i in range(len(u))
        for j in range(len(u))
        if i != j
    )
    expected = sum(delta(values[i], values[j]) for i in range(n) for j in range(n) if i != j)
    return 1 - (n - 1) * observed / expected


@settings(max_examples=60)
@given(matrices)
def test_coincidence_alpha_equals_pairwise_definition(units) -> None:
    ratings = to_ratings(units)
    cells = [list(cell.values()) for cell in ratings.units.values()]
    for level in ("nominal", "ordinal", "interval"):
        fast = alpha_or_none(ratings, level)
        if fast is None:
            continue
        assert fast == pytest.approx(_naive_alpha(cells, level), abs=1e-9)
