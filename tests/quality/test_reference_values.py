"""Agreement coefficients against published worked examples, to 3 decimals."""

from __future__ import annotations

import pytest

from rankterm.quality import (
    NotEnoughData,
    Ratings,
    binomial_two_sided,
    cohen_kappa,
    fleiss_from_ratings,
    fleiss_kappa,
    kappa_from_confusion,
    krippendorff_alpha,
    pairwise_cohen,
    percent_agreement,
)

N = None

#: Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
#: Communication, departmental paper 43, section C ("any number of observers, any metric,
#: missing data"): 4 observers (rows) x 12 units (columns), values 1-5, None = missing.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_worked_example(level: str, expected: float) -> None:
    """The paper reports alpha_nominal = .743, alpha_ordinal = .815, alpha_interval = .849 and
    alpha_ratio = .797. Unit 12 has a single value and must be ignored (n = 40 pairable
    values); nominal by hand: D_o = 10/40 (o_ck off-diagonal sum 10 over n = 40),
    D_e = (40^2 - sum n_c^2) / (40 * 39) = (1600 - 678) / 1560, alpha = 1 - (0.25 / 0.591)
    = 0.743.
    """
    ratings = Ratings.from_matrix(KRIPPENDORFF_2011)
    assert krippendorff_alpha(ratings, level) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_ignores_single_value_units() -> None:
    ratings = Ratings.from_matrix(KRIPPENDORFF_2011)
    without_unit_12 = [row[:11] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(ratings) == krippendorff_alpha(Ratings.from_matrix(without_unit_12))


def test_cohen_kappa_two_by_two_textbook() -> None:
    """Wikipedia, "Cohen's kappa", simple worked example (after Cohen 1960): 50 proposals,
    20 yes-yes, 5 yes-no, 10 no-yes, 15 no-no. p_o = 35/50 = 0.7; reader A says yes 25/50,
    reader B 30/50, so p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5 and kappa = (0.7 - 0.5) / 0.5 = 0.4.
    """
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4, abs=5e-4)


#: Altman, D. G. (1991). Practical Statistics for Medical Research, Chapman & Hall, p. 403
#: (two radiologists grading 85 xeromammograms: normal, benign, suspected cancer, cancer);
#: the same data are the ``rate2`` example of the Stata manual [R] kappa.
ALTMAN_RADIOLOGY = [
    [21, 12, 0, 0],
    [4, 17, 1, 0],
    [3, 9, 15, 2],
    [0, 0, 0, 1],
]


def _altman_confusion() -> dict[tuple[int, int], int]:
    return {
        (i + 1, j + 1): count
        for i, row in enumerate(ALTMAN_RADIOLOGY)
        for j, count in enumerate(row)
        if count
    }


@pytest.mark.parametrize(
    ("weights", "expected"),
    [(None, 0.473), ("linear", 0.568), ("quadratic", 0.671)],
)
def test_weighted_kappa_altman_radiology(weights: str | None, expected: float) -> None:
    """Stata [R] kappa, ``kap rada radb`` (expected agreement 30.82%, kappa 0.4728) and
    ``wgt(w)`` (86.67% / 69.11%, kappa 0.5684); ``wgt(w2)`` computed by hand below.
    By hand: row totals 33, 22, 29, 1; column totals 28, 38, 16, 3; n = 85.
    Plain: p_o = 54/85 = 0.6353, p_e = 2227/7225 = 0.3082 -> 0.4728. Linear agreement weights
    1 - |i-j|/3: p_o = 0.8667, p_e = 0.6911 -> 0.5684. Quadratic 1 - (i-j)^2/9:
    p_o = 0.9477, p_e = 0.8409 -> (0.9477 - 0.8409) / (1 - 0.8409) = 0.671.
    """
    assert kappa_from_confusion(_altman_confusion(), weights) == pytest.approx(expected, abs=5e-4)


def test_pairwise_cohen_from_ratings_matches_confusion() -> None:
    rows = []
    unit = 0
    for (a, b), count in _altman_confusion().items():
        for _ in range(count):
            unit += 1
            rows += [(f"u{unit}", "rad_a", a), (f"u{unit}", "rad_b", b)]
    ratings = Ratings.from_rows(rows)
    (result,) = pairwise_cohen(ratings, ratings)
    assert result.raters == ("rad_a", "rad_b")
    assert result.n == result.n_ordinal == 85
    assert result.plain == pytest.approx(0.473, abs=5e-4)
    assert result.linear == pytest.approx(0.568, abs=5e-4)
    assert result.quadratic == pytest.approx(0.671, abs=5e-4)


#: Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters each, 5 categories;
#: the page gives P-bar = 0.378, P-bar_e = 0.213 and kappa = 0.210.
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_wikipedia_example() -> None:
    assert fleiss_kappa(FLEISS_WIKIPEDIA) == pytest.approx(0.210, abs=5e-4)


def _fleiss_as_ratings() -> Ratings:
    rows = []
    for unit, counts in enumerate(FLEISS_WIKIPEDIA):
        rater = 0
        for category, count in enumerate(counts):
            for _ in range(count):
                rater += 1
                rows.append((f"s{unit}", f"r{rater}", category))
    return Ratings.from_rows(rows)


def test_fleiss_from_ratings_and_percent_agreement() -> None:
    ratings = _fleiss_as_ratings()
    result = fleiss_from_ratings(ratings)
    assert result.value == pytest.approx(0.210, abs=5e-4)
    assert (result.raters_per_unit, result.n_units, result.units_dropped) == (14, 10, 0)
    # Percent agreement is Fleiss' P-bar: 0.378 on the same page.
    assert percent_agreement(ratings) == pytest.approx(0.378, abs=5e-4)


def test_fleiss_uses_modal_rater_count() -> None:
    ratings = _fleiss_as_ratings()
    ratings.units["extra"] = {"x": 1, "y": 1}  # a 2-rater unit: not the modal 14
    result = fleiss_from_ratings(ratings)
    assert result.value == pytest.approx(0.210, abs=5e-4)
    assert result.units_dropped == 1


def test_fleiss_rejects_unequal_counts_with_clear_error() -> None:
    with pytest.raises(ValueError, match="same number of ratings per unit"):
        fleiss_kappa([[1, 1], [2, 1]])
    with pytest.raises(NotEnoughData):
        fleiss_from_ratings(Ratings.from_rows([("u", "a", 1)]))


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    # R: binom.test(k, n)$p.value
    [(7, 10, 0.34375), (9, 10, 0.021484375), (5, 10, 1.0), (0, 5, 0.0625), (10, 10, 0.001953125)],
)
def test_binomial_two_sided_matches_r(k: int, n: int, expected: float) -> None:
    assert binomial_two_sided(k, n) == pytest.approx(expected, rel=1e-9)


def test_binomial_matches_brute_force_for_other_p() -> None:
    from math import comb

    n, p = 12, 0.3
    pmf = [comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    for k in range(n + 1):
        expected = sum(q for q in pmf if q <= pmf[k] * (1 + 1e-7))
        assert binomial_two_sided(k, n, p) == pytest.approx(min(1.0, expected), rel=1e-9)


def test_binomial_large_n_is_finite() -> None:
    assert binomial_two_sided(50_500, 100_000) < 0.002
