"""Agreement, gold accuracy and tag rates per guideline version, and how often pairs
re-judged under a new version changed verdict: in ``agreement --json`` and the report."""

from __future__ import annotations

import orjson

from .factory import judge
from .test_cli import cli, write_journal  # noqa: F401  (fixture)


def v(version, *args, **kwargs):
    return judge(*args, **kwargs).model_copy(update={"guideline_version": version})


def _files(tmp_path):
    rows = [{"id": f"p{i}", "prompt": "q", "response_a": "a", "response_b": "b"} for i in range(4)]
    rows[3]["gold"] = "A"
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    records = [
        # v1: p0 agreed (A), p1 split (A / B, first verdict A), gold p3: x right, y wrong.
        v("v1", "p0", "x", "A", minute=0, tags=["verbose"]),
        v("v1", "p0", "y", "A", minute=1),
        v("v1", "p1", "x", "A", minute=2),
        v("v1", "p1", "y", "B", minute=3, tags=["verbose"]),
        v("v1", "p3", "x", "A", minute=4),
        v("v1", "p3", "y", "B", minute=5),
        # v2: p0 and p1 re-judged (p0 stays A, p1 becomes B), p2 new, p3 both right.
        v("v2", "p0", "x", "A", minute=10),
        v("v2", "p0", "y", "A", minute=11),
        v("v2", "p1", "x", "B", minute=12),
        v("v2", "p1", "y", "B", minute=13),
        v("v2", "p2", "x", "tie", minute=14),
        v("v2", "p3", "x", "A", minute=15),
        v("v2", "p3", "y", "A", minute=16),
    ]
    return pairs, write_journal(tmp_path / "j.jsonl", records)


def test_versions_in_agreement_json(cli, tmp_path) -> None:  # noqa: F811
    pairs, journal = _files(tmp_path)
    ran = cli("agreement", journal, "--pairs", pairs, "--json")
    assert ran.exit_code == 0, ran.stderr
    figures = orjson.loads(ran.stdout)["guideline_versions"]
    v1, v2 = figures["versions"]
    assert (v1["version"], v2["version"]) == ("v1", "v2")
    assert v1["agreement"]["units"] == 3 and v1["agreement"]["percent"] == round(1 / 3, 4)
    assert v2["agreement"]["units"] == 3 and v2["agreement"]["percent"] == 1.0
    assert v1["gold"] == {"hits": 1, "n": 2, "rate": 0.5}
    assert v2["gold"] == {"hits": 2, "n": 2, "rate": 1.0}
    assert v1["tag_rates"] == {"verbose": round(2 / 6, 4)} and v2["tag_rates"] == {}
    rejudged = figures["rejudged"]
    # p0, p1, p3 judged under both; p1 (A -> B) and p3 (tie broken by the first verdict, A,
    # -> A) : only p1 changed.
    assert rejudged["pairs"] == 3 and rejudged["changed"] == 1
    assert rejudged["transitions"] == [
        {"from": "v1", "to": "v2", "pairs": 3, "changed": 1, "changed_rate": round(1 / 3, 4)}
    ]


def test_versions_in_report(cli, tmp_path) -> None:  # noqa: F811
    pairs, journal = _files(tmp_path)
    ran = cli("report", journal, "--pairs", pairs, "-o", "r.md")
    assert ran.exit_code == 0, ran.stderr
    text = (tmp_path / "r.md").read_text()
    section = text.split("## Guideline versions")[1].split("\n## ")[0]
    assert "Re-judged under a later version: 3 pairs, 1 changed verdict" in section
    assert "`v1`" in section and "`v2`" in section and "verbose" in section


def test_one_version_reuses_the_overall_table() -> None:
    from rankterm.quality import quality_summary
    from rankterm.quality.versions import version_figures

    records = [
        v("v1", "p0", "x", "A"), v("v1", "p0", "y", "A"), v("v1", "p1", "x", "A"),
        v("v1", "p1", "y", "B"), v("v1", "p2", "x", "tie"), v("v1", "p2", "x", "B", minute=1),
    ]  # fmt: skip
    alone = version_figures(records)
    shared = version_figures(records, overall=quality_summary(records))
    assert alone == shared
    agreement = alone["versions"][0]["agreement"]
    assert agreement["units"] == 2 and agreement["percent"] == 0.5
    assert alone["rejudged"] == {"pairs": 0, "changed": 0, "changed_rate": None, "transitions": []}
