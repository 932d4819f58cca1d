"""Slices, quota coverage, conflict rules and the lowest-agreement list."""

from __future__ import annotations

import pytest

from rankterm.core.model import Pair
from rankterm.quality import (
    contested_order,
    coverage,
    is_conflict,
    lowest_agreement,
    overall_agreement,
    parse_quota,
    parse_rule,
    quality_summary,
    ratings_from_judgments,
    slice_stats,
)
from rankterm.quality.slices import MISSING, UNKNOWN_PAIR, labels_by_key, pair_labels

from .factory import judge


def pair(pid: str, **extra) -> Pair:
    return Pair(id=pid, prompt="q", response_a="a", response_b="b", **extra)


# -- slices ---------------------------------------------------------------------------------


def test_pair_labels_for_every_key_kind() -> None:
    p = pair(
        "p1",
        metadata={"domain": "code", "lang": {"name": "en"}, "dialects": ["AAVE", "en-GB"]},
        tags=["safety"],
        model_a="m1",
        model_b="m2",
        team_column=True,
    )
    assert pair_labels(p, "metadata.domain") == ["code"]
    assert pair_labels(p, "metadata.lang.name") == ["en"]
    assert pair_labels(p, "metadata.dialects") == ["AAVE", "en-GB"]
    assert pair_labels(p, "metadata.absent") == [MISSING]
    assert pair_labels(p, "tags") == ["safety"]
    assert pair_labels(p, "model") == ["m1", "m2"]
    assert pair_labels(p, "model_a") == ["m1"]
    assert pair_labels(p, "team_column") == ["true"]
    assert pair_labels(pair("p2"), "tags") == [MISSING]


def test_slice_stats_counts_and_agreement() -> None:
    pairs = [
        pair("c1", metadata={"domain": "code"}),
        pair("c2", metadata={"domain": "code"}),
        pair("m1", metadata={"domain": "med"}),
    ]
    judgments = [
        judge("c1", "x", "A"),
        judge("c1", "y", "A"),
        judge("c2", "x", "B"),
        judge("c2", "y", "B"),
        judge("m1", "x", "A"),
        judge("m1", "y", "B"),
        judge("orphan", "x", "A"),
    ]
    labels = labels_by_key(pairs, ["metadata.domain"])["metadata.domain"]
    stats = {s.value: s for s in slice_stats(ratings_from_judgments(judgments), "domain", labels)}
    code = stats["code"]
    assert (code.pairs, code.judgments, code.units) == (2, 4, 2)
    assert code.percent == 1.0 and code.alpha_nominal == pytest.approx(1.0)
    med = stats["med"]
    assert med.percent == 0.0 and med.alpha_nominal is not None
    orphan = stats[UNKNOWN_PAIR]
    assert orphan.units == 0 and orphan.alpha_nominal is None and "two or more" in orphan.reason


def test_parse_quota_forms_and_errors() -> None:
    q = parse_quota("metadata.dialect=AAVE:200")
    assert (q.key, q.value, q.need) == ("metadata.dialect", "AAVE", 200)
    assert str(q) == "metadata.dialect=AAVE"
    assert parse_quota("metadata.url=http://x:1", 5).value == "http://x:1"
    for bad in ("metadata.dialect=AAVE", "dialect:5", "=x:3", "k=v:many", "k=v:-1"):
        with pytest.raises(ValueError, match="quota"):
            parse_quota(bad)


def test_coverage_have_need_gap() -> None:
    pairs = [pair(f"a{i}", metadata={"dialect": "AAVE"}) for i in range(4)]
    pairs += [pair("s1", metadata={"dialect": "SAE"})]
    labels = labels_by_key(pairs, ["metadata.dialect"])
    judged = {"a0": 2, "a1": 1, "s1": 3}
    quotas = [parse_quota("metadata.dialect=AAVE:3"), parse_quota("metadata.dialect=SAE:1")]
    aave, sae = coverage(quotas, labels, judged)
    assert (aave.have, aave.need, aave.gap, aave.available, aave.met) == (2, 3, 1, 4, False)
    assert (sae.have, sae.gap, sae.met) == (1, 0, True)
    (strict,) = coverage(quotas[:1], labels, judged, min_annotators=2)
    assert strict.have == 1


# -- conflicts ------------------------------------------------------------------------------


def test_conflict_rules() -> None:
    agree = [judge("p", "x", "A3"), judge("p", "y", "A1")]
    sides = [judge("p", "x", "A1"), judge("p", "y", "B1")]
    tie_vs_bad = [judge("p", "x", "tie"), judge("p", "y", "both_bad")]
    assert not is_conflict(agree)
    assert is_conflict(agree, "ordinal_spread>=2")
    assert not is_conflict(agree, "ordinal_spread>=3")
    assert is_conflict(sides, "opposite_sides") and is_conflict(sides)
    assert is_conflict(tie_vs_bad) and not is_conflict(tie_vs_bad, "opposite_sides")
    # both_bad has no ordinal value: one value left, no spread.
    assert not is_conflict(tie_vs_bad, "ordinal_spread>=1")
    # One annotator judging twice is not a conflict; their first verdict stands.
    assert not is_conflict([judge("p", "x", "A", minute=0), judge("p", "x", "B", minute=5)])
    with pytest.raises(ValueError, match="known rules"):
        parse_rule("most_votes")
    with pytest.raises(ValueError, match="1 to 6"):
        parse_rule("ordinal_spread>=9")


def test_contested_order_most_contested_first() -> None:
    judgments = [
        # p_split: A, B, tie -> entropy log2(3), the most split.
        judge("p_split", "x", "A"),
        judge("p_split", "y", "B"),
        judge("p_split", "z", "tie"),
        # p_far: A3 vs B3 -> entropy 1, ordinal variance 9.
        judge("p_far", "x", "A3"),
        judge("p_far", "y", "B3"),
        # p_near: A1 vs B1 -> entropy 1, variance 1.
        judge("p_near", "x", "A1"),
        judge("p_near", "y", "B1"),
        # p_ok: unanimous, not a conflict.
        judge("p_ok", "x", "A"),
        judge("p_ok", "y", "A"),
    ]
    order = [c.pair_id for c in contested_order(judgments)]
    assert order == ["p_split", "p_far", "p_near"]
    assert [c.pair_id for c in contested_order(judgments, "ordinal_spread>=5")] == ["p_far"]


def test_lowest_agreement_lists_rationales_side_by_side() -> None:
    judgments = [
        judge("bad", "x", "A", rationale="A cites sources"),
        judge("bad", "y", "B", rationale="B is shorter"),
        judge("bad", "z", "tie"),
        judge("meh", "x", "A"),
        judge("meh", "y", "A"),
        judge("meh", "z", "B"),
        judge("good", "x", "A"),
        judge("good", "y", "A"),
        judge("single", "x", "B"),
    ]
    items = lowest_agreement(judgments, limit=2)
    assert [i.pair_id for i in items] == ["bad", "meh"]
    worst = items[0]
    assert worst.agreement == 0.0
    assert [(v.annotator, v.rationale) for v in worst.verdicts] == [
        ("x", "A cites sources"),
        ("y", "B is shorter"),
        ("z", ""),
    ]
    assert items[1].agreement == pytest.approx(1 / 3)
    assert worst.to_dict()["verdicts"][0]["choice"] == "A"


# -- summary --------------------------------------------------------------------------------


def test_overall_agreement_counts_both_bad_and_repeats() -> None:
    judgments = [
        judge("p1", "x", "A3"),
        judge("p1", "y", "A2"),
        judge("p2", "x", "B1"),
        judge("p2", "y", "both_bad"),
        judge("p3", "x", "tie"),
        judge("p3", "y", "tie"),
        judge("p3", "y", "B", minute=60),  # a blind repeat: not a vote
    ]
    out = overall_agreement(judgments)
    assert out["n_judgments"] == 7 and out["repeats_ignored"] == 1
    assert out["n_units"] == 3 and out["n_annotators"] == 2
    assert out["both_bad_excluded_from_ordinal"] == 1
    assert out["percent_agreement"]["value"] == pytest.approx(2 / 3)
    ordinal = out["krippendorff_alpha"]["ordinal"]
    assert ordinal["both_bad_excluded"] == 1 and ordinal["n_units"] == 2
    (pair_kappa,) = out["cohen_kappa"]["pairs"]
    assert pair_kappa["raters"] == ["x", "y"] and pair_kappa["n"] == 3
    assert pair_kappa["n_ordinal"] == 2


def test_overall_agreement_reports_reasons_when_undefined() -> None:
    out = overall_agreement([judge("p1", "x", "A")])
    assert out["percent_agreement"] == {
        "value": None,
        "reason": "no unit has two or more ratings",
        "n_units": 0,
    }
    assert out["krippendorff_alpha"]["nominal"]["value"] is None
    assert out["fleiss_kappa"]["value"] is None


def test_quality_summary_slices_by_judgment_tags_and_coverage() -> None:
    judgments = [
        judge("p1", "x", "A", tags=["unsafe"]),
        judge("p1", "y", "A"),
        judge("p2", "x", "B"),
        judge("p2", "y", "A"),
    ]
    pairs = [pair("p1", metadata={"lang": "de"}), pair("p2", metadata={"lang": "fr"})]
    quotas = [parse_quota("metadata.lang=de:2")]
    labels = labels_by_key(pairs, ["metadata.lang"])
    out = quality_summary(
        judgments, slice_labels=labels, slice_keys=["judgment.tags", "metadata.lang"], quotas=quotas
    )
    tags = {s["value"]: s for s in out["slices"]["judgment.tags"]}
    assert tags["unsafe"]["percent_agreement"] == 1.0
    assert tags[MISSING]["percent_agreement"] == 0.0
    assert out["coverage"] == [
        {"quota": "metadata.lang=de", "have": 1, "need": 2, "gap": 1, "available": 1, "met": False}
    ]
    assert [a["annotator"] for a in out["annotators"]] == ["x", "y"]
