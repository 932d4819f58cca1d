"""The label policy: which verdict is a pair's label of record, and what is dropped and why."""

from __future__ import annotations

from rankterm.core.model import Choice, Gold, Judgment, Pair, Resolution, Retraction
from rankterm.labels import (
    BOTH_BAD,
    FLAGGED,
    GOLD,
    LOW_AGREEMENT,
    SPLIT,
    TIE,
    UNCLEAR,
    UNJUDGED,
    UNKNOWN_PAIR,
    GoldRule,
    Keep,
    LabelOptions,
    Policy,
    describe_drops,
    select_labels,
)
from rankterm.storage.journal import replay


def pair(pid: str, **extra) -> Pair:
    return Pair(id=pid, prompt="q", response_a="a", response_b="b", **extra)


def vote(pid: str, who: str, choice: str, strength: int | None = None, **extra) -> Judgment:
    c = Choice(choice)
    if c in (Choice.A, Choice.B) and strength is None:
        strength = 2
    return Judgment(pair_id=pid, annotator=who, choice=c, strength=strength, **extra)


def labels(entries, pairs, **options):
    return select_labels(replay(entries), pairs, LabelOptions(**options))


def test_majority_with_agreement_and_median_strength():
    result = labels(
        [vote("p", "a", "A", 3), vote("p", "b", "A", 1), vote("p", "c", "B", 2)], [pair("p")]
    )
    (label,) = result.labels
    assert (label.choice, label.strength, label.source) == (Choice.A, 1, "majority")
    assert label.annotators == ("a", "b") and label.votes == 3
    assert abs(label.agreement - 2 / 3) < 1e-9
    assert not result.dropped


def test_split_vote_is_dropped_not_broken_by_strength():
    result = labels([vote("p", "a", "A", 3), vote("p", "b", "B", 1)], [pair("p")])
    assert not result.labels and result.dropped == {SPLIT: 1}


def test_rejudgment_replaces_and_retraction_removes():
    first = vote("p", "a", "B")
    entries = [first, vote("p", "a", "A"), vote("p", "b", "A")]
    (label,) = labels(entries, [pair("p")]).labels
    assert label.choice is Choice.A and label.votes == 2
    gone = vote("p", "c", "B")
    entries = [vote("p", "a", "A"), gone, Retraction(retracts=gone.id, pair_id="p", annotator="c")]
    (label,) = labels(entries, [pair("p")]).labels
    assert label.votes == 1 and label.agreement == 1.0


def test_adjudication_first_then_majority():
    split = [vote("p", "a", "A"), vote("p", "b", "B")]
    resolution = Resolution(pair_id="p", adjudicator="judge", choice=Choice.B, strength=3,
                            rationale="B cites a source")  # fmt: skip
    result = labels([*split, resolution], [pair("p")])
    (label,) = result.labels
    assert (label.choice, label.strength, label.source) == (Choice.B, 3, "resolution")
    assert label.annotators == ("judge",) and label.agreement == 0.5
    assert label.rationale == "B cites a source"
    # Under "majority" the resolution is ignored, so the split vote is dropped again.
    result = labels([*split, resolution], [pair("p")], policy=Policy.MAJORITY)
    assert result.dropped == {SPLIT: 1}


def test_latest_resolution_wins_and_unclear_drops():
    entries = [
        vote("p", "a", "A"),
        Resolution(pair_id="p", adjudicator="j", choice=Choice.A, strength=2),
        Resolution(pair_id="p", adjudicator="j", guideline_unclear=True, note="rule 4?"),
    ]
    result = labels(entries, [pair("p")])
    assert not result.labels and result.dropped == {UNCLEAR: 1}


def test_ties_and_both_bad_filters():
    entries = [vote("t", "a", "tie"), vote("x", "a", "both_bad", ideal_response="Better.")]
    pairs = [pair("t"), pair("x")]
    assert labels(entries, pairs).dropped == {TIE: 1, BOTH_BAD: 1}
    kept = labels(entries, pairs, ties=Keep.KEEP, both_bad=Keep.KEEP).labels
    assert [lab.choice for lab in kept] == [Choice.TIE, Choice.BOTH_BAD]
    assert kept[1].ideal_responses == ("Better.",) and kept[0].strength is None


def test_flagged_dropped_by_default_unless_adjudicated():
    entries = [vote("p", "a", "A", flagged=True), vote("p", "b", "A")]
    assert labels(entries, [pair("p")]).dropped == {FLAGGED: 1}
    (label,) = labels(entries, [pair("p")], flagged=Keep.KEEP).labels
    assert label.flagged
    resolved = [*entries, Resolution(pair_id="p", adjudicator="j", choice=Choice.A, strength=2)]
    (label,) = labels(resolved, [pair("p")]).labels
    assert label.source == "resolution" and not label.flagged


def test_min_agreement_applies_to_majority_only():
    entries = [vote("p", "a", "A"), vote("p", "b", "A"), vote("p", "c", "B")]
    assert labels(entries, [pair("p")], min_agreement=0.75).dropped == {LOW_AGREEMENT: 1}
    assert labels(entries, [pair("p")], min_agreement=0.6).labels
    resolved = [*entries, Resolution(pair_id="p", adjudicator="j", choice=Choice.B, strength=1)]
    assert labels(resolved, [pair("p")], min_agreement=0.99).labels


def test_gold_items():
    gold = pair("g", gold=Gold(choice=Choice.B))
    entries = [vote("g", "a", "A")]
    assert labels(entries, [gold]).labels[0].choice is Choice.A
    assert labels(entries, [gold], gold=GoldRule.DROP).dropped == {GOLD: 1}
    (truth,) = labels([], [gold], gold=GoldRule.TRUTH).labels
    assert (truth.choice, truth.strength, truth.source) == (Choice.B, 2, "gold")


def test_all_policy_gives_one_label_per_annotator():
    entries = [
        vote("p", "a", "A"),
        vote("p", "b", "B", flagged=True),
        vote("p", "c", "tie"),
        vote("p", "d", "B"),
    ]
    result = labels(entries, [pair("p")], policy=Policy.ALL)
    assert [(lab.annotators, lab.choice) for lab in result.labels] == [
        (("a",), Choice.A),
        (("d",), Choice.B),
    ]
    assert result.dropped == {FLAGGED: 1, TIE: 1}


def test_unjudged_and_unknown_pairs_are_counted():
    result = labels([vote("elsewhere", "a", "A")], [pair("p"), pair("q")])
    assert result.dropped == {UNJUDGED: 2, UNKNOWN_PAIR: 1}
    assert describe_drops(result.dropped) == (
        "dropped 3: 2 unjudged, 1 judged pair not in pairs file"
    )
    assert describe_drops(labels([], []).dropped) == "dropped nothing"


def test_rationales_and_tags_of_supporting_votes_travel():
    entries = [
        vote("p", "a", "A", rationale="clear", tags=["verbose"]),
        vote("p", "b", "A", rationale="clear", tags=["verbose", "bias"]),
        vote("p", "c", "B", rationale="B is shorter", tags=["toxicity"]),
    ]
    (label,) = labels(entries, [pair("p")]).labels
    assert label.rationales == ("clear",)
    assert label.tags == ("verbose", "bias")
