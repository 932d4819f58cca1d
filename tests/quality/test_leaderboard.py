"""Bradley-Terry ratings: recovers known strengths, stays finite, intervals are seeded."""

from __future__ import annotations

import math
import random

import pytest

from rankterm.core.model import Choice
from rankterm.quality.leaderboard import Battle, battle_from, compute, fit

TRUE = {"m1": 1.0, "m2": 2.0, "m3": 4.0, "m4": 8.0}


def synthetic(strengths: dict[str, float], n: int, seed: int = 7, ties: float = 0.0):
    rng = random.Random(seed)
    models = list(strengths)
    battles = []
    for _ in range(n):
        a, b = rng.sample(models, 2)
        if rng.random() < ties:
            battles.append(Battle(a, b, Choice.TIE))
            continue
        p_a = strengths[a] / (strengths[a] + strengths[b])
        battles.append(Battle(a, b, Choice.A if rng.random() < p_a else Choice.B))
    return battles


def test_recovers_order_and_ratios():
    board = compute(synthetic(TRUE, 12_000), bootstrap=0)
    assert [s.model for s in board.standings] == ["m4", "m3", "m2", "m1"]
    rating = {s.model: s.rating for s in board.standings}
    for weak, strong in (("m1", "m2"), ("m2", "m3"), ("m3", "m4"), ("m1", "m4")):
        ratio = 10 ** ((rating[strong] - rating[weak]) / 400)
        assert ratio == pytest.approx(TRUE[strong] / TRUE[weak], rel=0.15)
    assert sum(rating.values()) / 4 == pytest.approx(1000)


def test_a_model_that_never_wins_gets_a_finite_lowest_rating():
    battles = synthetic(TRUE, 3000)
    battles += [Battle("m1", "hopeless", Choice.A) for _ in range(200)]
    battles += [Battle("hopeless", "m4", Choice.B) for _ in range(200)]
    board = compute(battles, bootstrap=20)
    last = board.standings[-1]
    assert last.model == "hopeless" and last.wins == 0 and last.losses == 400
    assert math.isfinite(last.rating) and math.isfinite(last.ci_low)
    assert last.rating < board.standings[-2].rating - 200
    # And one that never loses is finite too.
    board = compute([Battle("champ", "m1", Choice.A)] * 50 + synthetic(TRUE, 500), bootstrap=0)
    assert board.standings[0].model == "champ" and math.isfinite(board.standings[0].rating)


def test_ties_count_half_and_matrix_and_counts():
    battles = [Battle("x", "y", Choice.A), Battle("y", "x", Choice.TIE), Battle("x", "y", Choice.B)]
    board = compute(battles, bootstrap=0)
    assert board.win_rate["x"]["y"] == pytest.approx(0.5)
    assert board.battles["x"]["y"] == board.battles["y"]["x"] == 3
    x = next(s for s in board.standings if s.model == "x")
    assert (x.wins, x.losses, x.ties, x.battles) == (1, 1, 1, 3)
    assert board.standings[0].rating == pytest.approx(board.standings[1].rating)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    battles = synthetic(TRUE, 2000, ties=0.1)
    one = compute(battles, bootstrap=50, seed=3)
    two = compute(battles, bootstrap=50, seed=3)
    assert one.to_json() == two.to_json()
    for s in one.standings:
        assert s.ci_low <= s.rating <= s.ci_high
        assert s.ci_high - s.ci_low < 150


def test_anchor_pins_a_model_at_1000():
    board = compute(synthetic(TRUE, 2000), bootstrap=5, anchor="m1")
    rating = {s.model: s for s in board.standings}
    assert rating["m1"].rating == pytest.approx(1000)
    assert rating["m4"].rating > 1200
    with pytest.raises(ValueError):
        compute(synthetic(TRUE, 10), anchor="nobody")


def test_both_bad_dropped_or_tied_and_same_model_ignored():
    assert battle_from("x", "y", Choice.BOTH_BAD) is None
    assert battle_from("x", "y", Choice.BOTH_BAD, "tie") == Battle("x", "y", Choice.TIE)
    assert battle_from("x", "x", Choice.A) is None


def test_empty_and_disconnected():
    assert compute([]).standings == []
    board = compute([Battle("a", "b", Choice.A), Battle("c", "d", Choice.A)], bootstrap=10)
    assert all(math.isfinite(s.rating) for s in board.standings)
    assert "c" not in board.win_rate["a"]


def test_fit_matches_the_closed_form_for_two_models():
    # With prior 0, two models with 30-10 record: p_x / p_y = 3.
    p = fit(2, {(0, 1): [30.0, 40.0]}, prior=1e-9)
    assert p[0] / p[1] == pytest.approx(3, rel=1e-4)
