"""The audit report says how many red-team negatives each tag produced."""

from __future__ import annotations

import orjson

from rankterm.core.model import Choice, Judgment

from .test_cli import cli, write_journal  # noqa: F401  (fixture)


def j(pid, who, choice, **extra):
    c = Choice(choice)
    return Judgment(
        pair_id=pid, annotator=who, choice=c, strength=2 if c in ("A", "B") else None, **extra
    )


def test_report_counts_negatives_per_tag(cli, tmp_path) -> None:  # noqa: F811
    rows = [{"id": f"s{i}", "prompt": "q", "response_a": "a", "response_b": "b"} for i in range(4)]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    journal = write_journal(
        tmp_path / "j.jsonl",
        [
            j("s0", "x", "B", tags=["unsafe_advice"], tag_sides={"unsafe_advice": "A"}),
            j("s0", "y", "B", tags=["unsafe_advice"], tag_sides={"unsafe_advice": "A"}),
            j("s1", "x", "both_bad", tags=["toxicity"], tag_sides={"toxicity": "both"}),
            j("s1", "y", "both_bad"),
            j("s2", "x", "A", tags=["privacy_leak"]),  # pair-level: unplaced
            j("s2", "y", "A"),
            j("s3", "x", "tie"),
            j("s3", "y", "tie"),
        ],
    )
    ran = cli("report", journal, "--pairs", pairs, "-o", "r.md")
    assert ran.exit_code == 0, ran.stderr
    text = (tmp_path / "r.md").read_text()
    assert "## Red-team negatives" in text
    assert "3 responses on 2 pairs are negatives" in text
    cells = [
        [c.strip().replace("\\_", "_") for c in line.split("|")[1:-1]]
        for line in text.split("## Red-team negatives")[1].split("##")[0].splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    assert cells == [
        ["tag", "negatives", "unplaced"],
        ["privacy_leak", "0", "1"],
        ["toxicity", "2", "0"],
        ["unsafe_advice", "1", "0"],
        ["both_bad", "2", "0"],
    ]


def test_no_section_without_negatives(cli, tmp_path) -> None:  # noqa: F811
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(b'{"id": "p", "prompt": "q", "response_a": "a", "response_b": "b"}\n')
    journal = write_journal(tmp_path / "j.jsonl", [j("p", "x", "A"), j("p", "y", "B")])
    assert cli("report", journal, "--pairs", pairs, "-o", "r.md").exit_code == 0
    assert "Red-team negatives" not in (tmp_path / "r.md").read_text()
