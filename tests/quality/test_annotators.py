"""Per-annotator figures on small hand-built journals."""

from __future__ import annotations

import pytest

from rankterm.core.model import Choice, Gold, Resolution
from rankterm.quality import annotator_stats, ratings_from_judgments
from rankterm.quality.annotators import picked_left, sessions_of

from .factory import judge


def by_name(stats):
    return {s.annotator: s for s in stats}


def test_gold_accuracy_choice_and_strength_within_one() -> None:
    judgments = [
        judge("g1", "ann", "A3"),  # gold A3: right, close
        judge("g2", "ann", "A1"),  # gold A3: right choice, strength 2 away
        judge("g3", "ann", "B"),  # gold A: wrong
        judge("g4", "ann", "tie"),  # gold tie: right
        judge("p1", "ann", "B"),  # not gold
    ]
    gold = {
        "g1": Gold(choice=Choice.A, strength=3),
        "g2": Gold(choice=Choice.A, strength=3),
        "g3": Gold(choice=Choice.A),
        "g4": Gold(choice=Choice.TIE),
    }
    (stats,) = annotator_stats(judgments, gold=gold)
    assert (stats.gold.hits, stats.gold.n) == (3, 4)
    assert (stats.gold_close.hits, stats.gold_close.n) == (2, 4)
    assert stats.pairs == stats.judgments == 5


def test_majority_of_others_and_adjudicated() -> None:
    judgments = [
        # p1: others of "x" are A, A, B -> majority A; x agrees.
        judge("p1", "x", "A"),
        judge("p1", "y", "A"),
        judge("p1", "z", "A"),
        judge("p1", "w", "B"),
        # p2: others of "x" are A, B -> tied, skipped for x.
        judge("p2", "x", "A"),
        judge("p2", "y", "A"),
        judge("p2", "z", "B"),
    ]
    resolutions = {
        "p1": Resolution(pair_id="p1", adjudicator="lead", choice=Choice.B, strength=1),
        "p2": Resolution(pair_id="p2", adjudicator="lead", guideline_unclear=True, note="?"),
    }
    stats = by_name(annotator_stats(judgments, resolutions=resolutions))
    assert (stats["x"].majority.hits, stats["x"].majority.n) == (1, 1)
    # w is alone against A, A, A.
    assert (stats["w"].majority.hits, stats["w"].majority.n) == (0, 1)
    # z on p2: others are A, A -> majority A, z said B.
    assert (stats["z"].majority.hits, stats["z"].majority.n) == (1, 2)
    # Only p1 is settled (p2 is guideline_unclear): w matches the adjudicated B.
    assert (stats["w"].adjudicated.hits, stats["w"].adjudicated.n) == (1, 1)
    assert (stats["x"].adjudicated.hits, stats["x"].adjudicated.n) == (0, 1)


def test_self_consistency_uses_repeats_and_first_judgment_feeds_agreement() -> None:
    judgments = [
        judge("p1", "x", "A3", minute=0, swapped=False),
        judge("p1", "x", "A2", minute=40, swapped=True),  # same choice, other screen order
        judge("p1", "x", "B1", minute=80, swapped=False),  # changed their mind
        judge("p2", "x", "tie", minute=1),
        judge("p2", "x", "tie", minute=90),
        judge("p1", "y", "A1", minute=2),
    ]
    (x, _y) = annotator_stats(judgments)
    assert (x.self_consistency.hits, x.self_consistency.n) == (2, 3)
    assert x.repeats_swapped == 1
    assert x.judgments == 5 and x.pairs == 2
    # The agreement table keeps x's first verdict on p1 (A3), not the later B1.
    table = ratings_from_judgments(judgments)
    assert table.units["p1"] == {"x": "A", "y": "A"}
    assert table.repeats == 3


def test_first_judgment_is_earliest_even_if_journaled_later() -> None:
    judgments = [judge("p1", "x", "B", minute=10), judge("p1", "x", "A", minute=5)]
    assert ratings_from_judgments(judgments).units["p1"] == {"x": "A"}


def test_position_bias_share_left_and_binomial_p() -> None:
    # Left is A unless shown_swapped: 9 of 10 A/B verdicts pick the left response.
    judgments = [judge(f"p{i}", "x", "A", swapped=False) for i in range(5)]
    judgments += [judge(f"q{i}", "x", "B", swapped=True) for i in range(4)]
    judgments += [judge("r0", "x", "B", swapped=False)]  # right
    judgments += [judge("t0", "x", "tie"), judge("t1", "x", "both_bad", swapped=True)]
    (x,) = annotator_stats(judgments)
    assert (x.position_left.hits, x.position_left.n) == (9, 10)
    assert x.position_p == pytest.approx(0.021484375)  # R: binom.test(9, 10)
    assert picked_left(judgments[-1]) is None


def test_pace_and_fatigue_are_within_session() -> None:
    # Two sessions (gap of 2 h). Within each, every label takes 1000 ms longer than the last,
    # but the second session starts fast again: the pooled slope is exactly 1000 ms per label.
    judgments = []
    for session, start in enumerate((0, 120)):
        for i in range(5):
            judgments.append(
                judge(
                    f"s{session}p{i}",
                    "x",
                    "A",
                    minute=start + i,
                    duration_ms=2000 + 1000 * i,
                )
            )
    judgments.append(judge("z", "x", "A", minute=130, duration_ms=0))  # not recorded
    (x,) = annotator_stats(judgments)
    assert x.sessions == 2
    assert x.median_duration_ms == 4000
    assert x.duration_slope_ms == pytest.approx(1000)
    assert sessions_of(judgments)[1][-1].pair_id == "z"


def test_agreement_trend_falls_within_a_session() -> None:
    gold = {f"g{i}": Gold(choice=Choice.A) for i in range(6)}
    verdicts = ["A", "A", "A", "B", "B", "B"]  # right early, wrong late
    judgments = [judge(f"g{i}", "x", v, minute=i) for i, v in enumerate(verdicts)]
    (x,) = annotator_stats(judgments, gold=gold)
    assert x.agreement_slope is not None and x.agreement_slope < 0


def test_tag_usage_and_choices() -> None:
    judgments = [
        judge("p1", "x", "A", tags=["factual_error", "verbose"]),
        judge("p2", "x", "both_bad", tags=["factual_error"]),
    ]
    (x,) = annotator_stats(judgments)
    assert x.tags == {"factual_error": 2, "verbose": 1}
    assert x.choices == {"A": 1, "both_bad": 1}
    data = x.to_dict()
    assert data["gold"] == {"hits": 0, "n": 0, "rate": None}
    assert data["annotator"] == "x"
