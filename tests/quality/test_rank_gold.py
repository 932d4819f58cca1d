"""Gold rankings scored by Kendall's tau-b (issue #16)."""

from __future__ import annotations

import math

import pytest

from rankterm.quality.rank_gold import kendall_tau, mean_tau


def test_the_gold_order_scores_one_and_its_reverse_minus_one() -> None:
    gold = [[0], [1], [2], [3]]
    assert kendall_tau(gold, gold) == pytest.approx(1.0)
    assert kendall_tau([[3], [2], [1], [0]], gold) == pytest.approx(-1.0)
    # One adjacent swap of four: 5 concordant, 1 discordant of 6 pairs.
    assert kendall_tau([[1], [0], [2], [3]], gold) == pytest.approx(4 / 6)


def test_ties_use_tau_b() -> None:
    # A = B against A > B > C: 2 concordant, 0 discordant, one pair tied in the first only.
    assert kendall_tau([[0, 1], [2]], [[0], [1], [2]]) == pytest.approx(2 / math.sqrt(2 * 3))
    assert kendall_tau([[0, 1, 2]], [[0], [1], [2]]) is None


def test_orders_of_different_candidates_are_refused() -> None:
    with pytest.raises(ValueError):
        kendall_tau([[0], [1], [2]], [[0], [1], [3]])


def test_mean_tau_skips_undefined_scores() -> None:
    assert mean_tau([1.0, None, 0.0]) == pytest.approx(0.5)
    assert mean_tau([None]) is None
