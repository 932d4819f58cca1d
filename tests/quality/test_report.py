"""The Markdown helpers and the report's own figures (pool, guidelines, adjudication)."""

from __future__ import annotations

import pytest

from rankterm.core.model import Choice, Resolution
from rankterm.quality import lowest_agreement, quality_summary
from rankterm.quality.markdown import code, md, table
from rankterm.quality.report import (
    ReportData,
    Source,
    adjudication_summary,
    guideline_versions,
    pool_composition,
    render_report,
)

from .factory import judge


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("1. first", "1\\. first"),
        ("en-GB (UK)", "en-GB (UK)"),
        ("<b>x</b>", "\\<b\\>x\\</b\\>"),
        ("![img](http://x)", "\\!\\[img\\](http://x)"),
        ("a | b", "a \\| b"),
        ("&lt;", "&amp;lt;"),
        ("line1\n\nline2\tend", "line1 line2 end"),
        ("red \x1b[31m bell \x07", "red ␛\\[31m bell ␇"),
        ("rtl \u202e txt", "rtl \\<U+202E\\> txt"),
    ],
)
def test_md_escapes_untrusted_text(raw: str, expected: str) -> None:
    assert md(raw) == expected


def test_md_limit_and_code_spans() -> None:
    assert md("x" * 20, limit=10) == "x" * 9 + "…"
    assert code("pair-1") == "`pair-1`"
    assert code("a`b") == "``a`b``"
    assert code("") == "` `"
    assert table(["a"], []) == "| a |\n| --- |\n| — |"


def test_pool_composition_counts_only_listed_fields() -> None:
    profiles = [
        {"annotator": "x", "region": "EU", "languages": ["en", "de"], "phone": "555"},
        {"annotator": "y", "region": "EU", "expertise": None},
        {"annotator": "z", "region": "NA"},
    ]
    pool = pool_composition(profiles, ["x", "y", "w"])
    assert pool["profiles"] == 3
    assert (pool["judging_with_profile"], pool["judging_without_profile"]) == (2, 1)
    assert pool["profiles_without_judgments"] == 1
    assert pool["values"]["region"] == {"EU": 2, "NA": 1}
    assert pool["values"]["languages"] == {"en": 1, "de": 1}
    assert "expertise" not in pool["values"] or not pool["values"]["expertise"]
    assert pool["other_fields"] == {"phone": 1}


def test_guideline_versions_and_adjudication_summary() -> None:
    judgments = [
        judge("p1", "x", "A").model_copy(update={"guideline_version": "v2"}),
        judge("p1", "y", "A").model_copy(update={"guideline_version": "v2"}),
        judge("p1", "z", "B"),
        judge("p2", "x", "A"),
        judge("p2", "y", "B"),
    ]
    assert guideline_versions(judgments) == [(None, 3, 3), ("v2", 2, 2)]
    resolutions = [
        Resolution(pair_id="p1", adjudicator="a1", choice=Choice.B, strength=1),
        Resolution(pair_id="p1", adjudicator="a2", choice=Choice.A, strength=2),
        Resolution(pair_id="p2", adjudicator="a1", guideline_unclear=True, note="?"),
    ]
    adj = adjudication_summary(resolutions, judgments)
    assert (adj["records"], adj["pairs"], adj["settled"]) == (3, 2, 1)
    assert adj["adjudicators"] == {"a2": 1, "a1": 1}
    assert adj["choices"] == {"A": 1}
    assert (adj["with_majority"], adj["against_majority"]) == (1, 0)
    assert [r.pair_id for r in adj["unclear"]] == ["p2"]


def test_render_report_without_optional_inputs() -> None:
    judgments = [judge("p1", "x", "A"), judge("p1", "y", "B", rationale="[x](javascript:1)")]
    text = render_report(
        ReportData(
            summary=quality_summary(judgments),
            sources=[Source("journal", "j.jsonl", "0" * 64, 2, 0, "2 judgments")],
            judgments=judgments,
            resolutions=[],
            lowest=lowest_agreement(judgments),
            generated_at="2025-01-01 00:00 UTC",
            version="0.1.0",
        )
    )
    assert "No annotator profiles file was given" in text
    assert "No quotas given" in text and "No resolutions in the journals." in text
    assert "\\[x\\](javascript:1)" in text
    assert text.endswith("\n")
