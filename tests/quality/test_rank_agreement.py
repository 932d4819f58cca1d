"""Agreement on K-way rankings, against values worked by hand."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from itertools import combinations, product

import pytest

from rankterm.core.model import Ranking, RankTask, parse_order, ranks
from rankterm.quality.rank_agreement import (
    gold_tau,
    kendall_tau_b,
    kendall_w,
    mean_tau,
    rank_agreement,
)


def o(text: str, k: int):
    return parse_order(text, k)


def ranking(task: str, who: str, order: str, k: int) -> Ranking:
    return Ranking(pair_id=task, annotator=who, ranking_id=uuid.uuid4(), k=k, order=o(order, k))


def test_kendall_w_by_hand():
    # ranks A 1,1,2 B 2,3,1 C 3,2,3: sums 4,6,8 around 6, S = 8; W = 12*8 / (9*(27-3))
    assert kendall_w([o("ABC", 3), o("ACB", 3), o("BAC", 3)], 3) == pytest.approx(96 / 216)
    assert kendall_w([o("ABCD", 4)] * 3, 4) == pytest.approx(1.0)
    assert kendall_w([o("ABC", 3), o("CBA", 3)], 3) == pytest.approx(0.0)


def test_kendall_w_corrects_for_ties():
    # A>B>C and A=B>C: sums 2.5, 3.5, 6 around 4, S = 6.5; T = 2^3 - 2 = 6
    # W = 12 * 6.5 / (4 * 24 - 2 * 6) = 78 / 84 (uncorrected it would be 78 / 96)
    assert kendall_w([o("ABC", 3), o("A=B>C", 3)], 3) == pytest.approx(78 / 84)


def test_kendall_w_undefined():
    assert kendall_w([o("ABC", 3)], 3) is None
    assert kendall_w([o("A=B=C", 3), o("A=B=C", 3)], 3) is None


def test_kendall_tau_b_by_hand():
    assert kendall_tau_b(o("ABCD", 4), o("ABDC", 4)) == pytest.approx(4 / 6)
    assert kendall_tau_b(o("ABCD", 4), o("DCBA", 4)) == pytest.approx(-1.0)
    # one tie in the second order: (2 - 0) / sqrt(3 * 2), as scipy.stats.kendalltau gives
    assert kendall_tau_b(o("ABC", 3), o("A=B>C", 3)) == pytest.approx(2 / 6**0.5)
    assert kendall_tau_b(o("ABC", 3), o("A=B=C", 3)) is None


def test_kendall_tau_b_with_ties_in_both_orders():
    # A=B>C against A>B=C: A-B tied in the first, B-C in the second, A-C concordant:
    # (1 - 0) / sqrt((3 - 1) * (3 - 1)) = 0.5
    assert kendall_tau_b(o("A=B>C", 3), o("A>B=C", 3)) == pytest.approx(0.5)
    assert kendall_tau_b(o("A=B>C=D", 4), o("A=B>C=D", 4)) == pytest.approx(1.0)
    assert kendall_tau_b(o("A=B>C=D", 4), o("C=D>A=B", 4)) == pytest.approx(-1.0)


def _weak_orders(k: int) -> list[list[list[int]]]:
    """Every order of k candidates with ties (each candidate gets a level; empty levels go)."""
    out = []
    for levels in product(range(k), repeat=k):
        out.append([[i for i in range(k) if levels[i] == u] for u in sorted(set(levels))])
    return out


def _textbook_tau_b(x: list[float], y: list[float]) -> float | None:
    """tau-b by the textbook formula over rank vectors: (nc - nd) / sqrt((n0 - n1)(n0 - n2)),
    n1 and n2 the tied pairs counted by group sizes, sum t(t-1)/2."""
    n = len(x)
    s = sum(
        ((x[i] > x[j]) - (x[i] < x[j])) * ((y[i] > y[j]) - (y[i] < y[j]))
        for i, j in combinations(range(n), 2)
    )
    n0 = n * (n - 1) // 2
    n1 = sum(t * (t - 1) // 2 for t in Counter(x).values())
    n2 = sum(t * (t - 1) // 2 for t in Counter(y).values())
    if n0 in (n1, n2):
        return None
    return s / math.sqrt((n0 - n1) * (n0 - n2))


def test_kendall_tau_b_matches_the_textbook_on_every_tied_order_of_four():
    """The one tau of the project (the server scores gold with it): every pair of orders of
    four candidates, ties included, against the textbook tau-b over mean ranks."""
    orders = _weak_orders(4)
    for first in orders:
        rx = ranks(first)
        x = [rx[i] for i in range(4)]
        for second in orders:
            ry = ranks(second)
            expected = _textbook_tau_b(x, [ry[i] for i in range(4)])
            got = kendall_tau_b(first, second)
            if expected is None:
                assert got is None, (first, second)
            else:
                assert got == pytest.approx(expected), (first, second)


def test_mean_tau_skips_undefined_scores():
    assert mean_tau([1.0, None, 0.0]) == pytest.approx(0.5)
    assert mean_tau([None]) is None


def test_rank_agreement_section():
    standing = {
        "t1": [ranking("t1", "a", "ABC", 3), ranking("t1", "b", "ACB", 3)],
        "t2": [ranking("t2", "a", "ABCD", 4), ranking("t2", "b", "ABCD", 4)],
        "t3": [ranking("t3", "a", "ABC", 3)],  # one ranker: counted, not measured
    }
    out = rank_agreement(standing)
    assert (out["n_tasks"], out["n_rankings"], out["n_shared_tasks"]) == (3, 5, 2)
    # t1: W = 12 * (0.25 * 2 ... ) -> sums 2, 5, 5 around 4: S = 4 + 1 + 1 = 6; 72 / 96
    assert out["kendall_w"]["mean"] == pytest.approx(round((72 / 96 + 1) / 2, 4))
    # implied verdicts: t1 agrees on 2 of 3 pairs, t2 on all 6
    assert out["implied_pairs"]["percent"] == pytest.approx(round(8 / 9, 4))
    assert out["implied_pairs"]["n_comparisons"] == 9
    assert out["alpha_ranks"]["n_units"] == 7
    assert 0 < out["alpha_ranks"]["ordinal"] < 1 and 0 < out["alpha_ranks"]["interval"] < 1


def test_perfect_and_reversed_rankings_give_alpha_one_and_negative():
    same = {"t": [ranking("t", "a", "ABCD", 4), ranking("t", "b", "ABCD", 4)]}
    assert rank_agreement(same)["alpha_ranks"]["interval"] == 1.0
    reversed_ = {"t": [ranking("t", "a", "ABCD", 4), ranking("t", "b", "DCBA", 4)]}
    out = rank_agreement(reversed_)
    assert out["alpha_ranks"]["interval"] < 0 and out["implied_pairs"]["percent"] == 0


def test_gold_tau_per_annotator():
    gold = RankTask(id="g", prompt="p", responses=["1", "2", "3", "4"], gold="ABCD")
    plain = RankTask(id="n", prompt="p", responses=["1", "2", "3"])
    standing = {
        "g": [ranking("g", "a", "ABCD", 4), ranking("g", "b", "ABDC", 4)],
        "n": [ranking("n", "a", "CBA", 3)],
    }
    out = gold_tau(standing, {"g": gold, "n": plain})
    assert out["a"] == {"mean_tau": 1.0, "min_tau": 1.0, "n": 1, "undefined": 0}
    assert out["b"]["mean_tau"] == pytest.approx(round(4 / 6, 4))
