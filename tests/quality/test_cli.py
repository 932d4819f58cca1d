"""``rankterm agreement`` and ``rankterm report`` run for real on small generated journals."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from rankterm.commands import quality
from rankterm.core.errors import RanktermError
from rankterm.core.model import Choice, Resolution
from rankterm.storage.journal import encode

from .factory import judge


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run the quality commands through Typer, mapping RanktermError as the CLI's ``main`` does."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """rankterm (quality commands only)."""

    quality.register(app)

    def run(*args: object) -> Ran:
        result = CliRunner().invoke(app, [str(a) for a in args])
        code, stderr = result.exit_code, result.stderr
        if isinstance(result.exception, RanktermError):
            code = result.exception.exit_code
            stderr += f"rankterm: {result.exception}\n"
        elif result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ran(code, result.stdout, stderr)

    return run


def write_journal(path: Path, records, extra: bytes = b"") -> Path:
    path.write_bytes(b"".join(encode(r) for r in records) + extra)
    return path


def textbook_journals(tmp_path: Path) -> list[Path]:
    """Cohen's 2x2 textbook example as two annotators' journals: 20 yes-yes, 5 yes-no,
    10 no-yes, 15 no-no over 50 pairs, with "yes" = A2 and "no" = B2."""
    cells = [("A", "A")] * 20 + [("A", "B")] * 5 + [("B", "A")] * 10 + [("B", "B")] * 15
    first = [judge(f"p{i:02d}", "ann1", a, minute=i) for i, (a, _b) in enumerate(cells)]
    second = [judge(f"p{i:02d}", "ann2", b, minute=i) for i, (_a, b) in enumerate(cells)]
    return [
        write_journal(tmp_path / "ann1.jsonl", first),
        write_journal(tmp_path / "ann2.jsonl", second),
    ]


def test_agreement_json_matches_hand_computed_values(cli, tmp_path) -> None:
    """Cohen: p_o = 0.7, p_e = 0.5 -> 0.4 (also linear/quadratic: two ordinal values only).
    Krippendorff nominal: n = 100 values, n_A = 55, n_B = 45, 30 disagreeing ordered pairs:
    1 - 99 * 30 / (2 * 55 * 45) = 0.4. Fleiss (Scott's pi for two raters): p_e = 0.55^2 +
    0.45^2 = 0.505, (0.7 - 0.505) / 0.495 = 0.394."""
    ran = cli("agreement", *textbook_journals(tmp_path), "--json")
    assert ran.exit_code == 0, ran.stderr
    out = orjson.loads(ran.stdout)
    for key in (
        "cohen_kappa",
        "fleiss_kappa",
        "krippendorff_alpha",
        "percent_agreement",
        "annotators",
        "slices",
    ):
        assert key in out
    (pair,) = out["cohen_kappa"]["pairs"]
    assert pair["raters"] == ["ann1", "ann2"] and pair["n"] == 50
    for weights in ("plain", "linear", "quadratic"):
        assert pair[weights] == pytest.approx(0.4)
    assert out["percent_agreement"]["value"] == pytest.approx(0.7)
    assert out["krippendorff_alpha"]["nominal"]["value"] == pytest.approx(0.4)
    assert out["krippendorff_alpha"]["ordinal"]["value"] == pytest.approx(0.4)
    assert out["fleiss_kappa"]["value"] == pytest.approx(0.394, abs=5e-4)
    assert out["both_bad_excluded_from_ordinal"] == 0
    assert [a["annotator"] for a in out["annotators"]] == ["ann1", "ann2"]
    assert [s["kind"] for s in out["sources"]] == ["journal", "journal"]


def test_agreement_tables_and_bad_lines(cli, tmp_path) -> None:
    journals = textbook_journals(tmp_path)
    with journals[0].open("ab") as handle:
        handle.write(b'{"kind": "judgment", "pair_id": "p99"}\n{not json\n')
    ran = cli("agreement", *journals)
    assert ran.exit_code == 0
    assert "Agreement" in ran.stdout and "Cohen's kappa per annotator pair" in ran.stdout
    assert "both_bad excluded from ordinal: 0" in ran.stdout
    assert "ann1.jsonl:51: " in ran.stderr and "ann1.jsonl:52: invalid JSON" in ran.stderr


def test_agreement_with_pairs_gold_and_slices(cli, tmp_path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": "c1", "prompt": "q", "response_a": "a", "response_b": "b", "gold": "A",
         "metadata": {"domain": "code"}},
        {"id": "c2", "prompt": "q", "response_a": "a", "response_b": "b",
         "metadata": {"domain": "code"}},
        {"id": "m1", "prompt": "q", "response_a": "a", "response_b": "b",
         "metadata": {"domain": "med"}},
    ]  # fmt: skip
    pairs.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    journal = write_journal(
        tmp_path / "j.jsonl",
        [
            judge("c1", "x", "A", tags=["terse"]),
            judge("c1", "y", "B"),
            judge("c2", "x", "B"),
            judge("c2", "y", "B"),
            judge("m1", "x", "tie"),
            judge("m1", "y", "both_bad"),
        ],
    )
    ran = cli(
        "agreement", journal, "--pairs", pairs, "--json", "--by", "metadata.domain",
        "--by", "judgment.tags",
    )  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    out = orjson.loads(ran.stdout)
    domains = {s["value"]: s for s in out["slices"]["metadata.domain"]}
    assert domains["code"]["pairs"] == 2 and domains["code"]["percent_agreement"] == 0.5
    assert domains["med"]["percent_agreement"] == 0.0
    assert {s["value"] for s in out["slices"]["judgment.tags"]} == {"terse", "(none)"}
    gold = {a["annotator"]: a["gold"] for a in out["annotators"]}
    assert gold["x"] == {"hits": 1, "n": 1, "rate": 1.0}
    assert gold["y"] == {"hits": 0, "n": 1, "rate": 0.0}
    assert out["both_bad_excluded_from_ordinal"] == 1


def test_nothing_to_measure_exits_1(cli, tmp_path) -> None:
    journal = write_journal(tmp_path / "solo.jsonl", [judge("p1", "x", "A"), judge("p2", "x", "B")])
    ran = cli("agreement", journal, "--json")
    assert ran.exit_code == 1
    assert "nothing to measure" in ran.stderr and ran.stdout == ""


def test_usage_errors_exit_2(cli, tmp_path) -> None:
    journals = textbook_journals(tmp_path)
    ran = cli("agreement", *journals, "--by", "metadata.domain")
    assert ran.exit_code == 2 and "--pairs" in ran.stderr
    assert cli("agreement", tmp_path / "missing.jsonl").exit_code == 2
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"id": "p00", "prompt": "q", "response_a": "a", "response_b": "b"}\n')
    ran = cli("report", *journals, "--pairs", pairs, "-o", "r.md", "--quota", "dialect:3")
    assert ran.exit_code == 2 and "KEY=VALUE:N" in ran.stderr


def test_report_is_complete_and_inert(cli, tmp_path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": f"p{i}", "prompt": f"question {i}", "response_a": "a", "response_b": "b",
         "metadata": {"dialect": "AAVE" if i < 2 else "SAE"}}
        for i in range(4)
    ]  # fmt: skip
    rows[0]["gold"] = {"choice": "A", "strength": 2}
    pairs.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    hostile = "<script>alert(1)</script> [click](http://evil) \x1b]52;c;aGk=\x07 | cell"
    records = [
        judge("p0", "x", "A", rationale=hostile),
        judge("p0", "y", "B", rationale="B is *clearly* better\nsecond line"),
        judge("p1", "x", "A"),
        judge("p1", "y", "A"),
        judge("p2", "x", "tie"),
        Resolution(pair_id="p0", adjudicator="lead", choice=Choice.A, strength=2),
        Resolution(
            pair_id="p1", adjudicator="lead", guideline_unclear=True, note="<img src=x> unclear"
        ),
    ]
    records[0] = records[0].model_copy(update={"guideline_version": "2025-02"})
    journal = write_journal(tmp_path / "j.jsonl", records, extra=b"{torn")
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text(
        '{"annotator": "x", "region": "US-South", "languages": ["en"], "email": "x@corp"}\n'
        '{"annotator": "y", "region": "UK"}\n'
    )
    out = tmp_path / "report.md"
    ran = cli(
        "report", journal, "--pairs", pairs, "-o", out, "--profiles", profiles,
        "--quota", "metadata.dialect=AAVE:2", "--quota", "metadata.dialect=SAE:5",
    )  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    assert "j.jsonl:8: invalid JSON" in ran.stderr
    text = out.read_text(encoding="utf-8")
    for heading in (
        "## Data sources",
        "## Annotator pool",
        "## Guideline versions",
        "## Agreement",
        "## Per-annotator quality",
        "## Slices",
        "## Coverage against quotas",
        "## Adjudication",
        "## Lowest-agreement items",
    ):
        assert heading in text
    assert hashlib.sha256(journal.read_bytes()).hexdigest() in text
    assert "`2025-02`" in text and "(not recorded)" in text
    assert "US\\-South" not in text and "US-South" in text  # a mid-text hyphen stays readable
    assert "x@corp" not in text and "email (1)" in text
    assert "| metadata.dialect=AAVE | 2 | 2 | 0 | 2 | met |" in text
    assert "| metadata.dialect=SAE | 1 | 5 | 4 | 2 | **GAP 4** (not enough pairs" in text
    assert "\\<img src=x\\> unclear" in text
    # Untrusted text is inert: no raw tag, link, control or table-breaking pipe.
    assert not re.search(r"(?<!\\)[<\[]", text)  # every < and [ is backslash-escaped
    assert "\\<script\\>" in text and "\\[click\\](http://evil)" in text and "\\| cell" in text
    assert "\x1b" not in text and "\x07" not in text
    assert "B is \\*clearly\\* better second line" in text
    assert "Prompt: question 0" in text


def test_real_entry_point_exit_codes(tmp_path) -> None:
    """Through ``python -m rankterm``: the command is registered and exit codes are real."""
    journals = textbook_journals(tmp_path)
    ok = subprocess.run(
        [sys.executable, "-m", "rankterm", "agreement", *map(str, journals), "--json"],
        capture_output=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert orjson.loads(ok.stdout)["percent_agreement"]["value"] == pytest.approx(0.7)
    solo = subprocess.run(
        [sys.executable, "-m", "rankterm", "agreement", str(journals[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert solo.returncode == 1 and "nothing to measure" in solo.stderr


def test_report_keeps_unclear_notes_and_comments_and_lists_only_disagreements(
    cli, tmp_path
) -> None:
    from rankterm.core.model import Comment

    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": f"p{i}", "prompt": f"q{i}", "response_a": "a", "response_b": "b"} for i in range(3)
    ]
    pairs.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    full = hashlib.sha256(b"the same guideline text").hexdigest()
    records = [
        judge("p0", "x", "A"),
        judge("p0", "y", "B"),
        judge("p1", "x", "A3"),  # same choice, other strength: full agreement on the choice
        judge("p1", "y", "A1"),
        judge("p2", "x", "tie"),
        judge("p2", "y", "tie"),
    ]
    # One document, stamped by a local run and by an older task server.
    records[0] = records[0].model_copy(update={"guideline_version": f"sha256:{full[:12]}"})
    records[1] = records[1].model_copy(update={"guideline_version": full})
    resolutions = [
        # The expert marks the guideline unclear, stays on the case (U), then decides it.
        Resolution(pair_id="p0", adjudicator="lead", guideline_unclear=True,
                   note="Say whether a shorter answer wins a tie"),
        Comment(pair_id="p0", author="lead", text="Asked the guideline owner about length"),
        Resolution(pair_id="p0", adjudicator="lead", choice=Choice.A, strength=2),
    ]  # fmt: skip
    journal = write_journal(tmp_path / "j.jsonl", records)
    adjudications = write_journal(tmp_path / "pairs.adjudications.jsonl", resolutions)
    out = tmp_path / "report.md"
    ran = cli("report", journal, adjudications, "--pairs", pairs, "-o", out)
    assert ran.exit_code == 0, ran.stderr
    text = out.read_text(encoding="utf-8")
    adjudication = text.split("## Adjudication")[1].split("\n## ")[0]
    assert "1 marked guideline-unclear" in adjudication
    assert "Say whether a shorter answer wins a tie" in adjudication
    assert "Asked the guideline owner about length" in adjudication
    lowest = text.split("## Lowest-agreement items")[1]
    assert "`p0`" in lowest
    assert "`p1`" not in lowest and "`p2`" not in lowest  # full agreement is not "lowest"
    versions = text.split("## Guideline versions")[1].split("\n## ")[0]
    assert versions.count("sha256:") == 1 and f"`sha256:{full[:12]}` | 2 | 2" in versions
    agreement = text.split("## Agreement")[1].split("\n## ")[0]
    for term in ("kappa", "alpha", "nominal", "ordinal", "interval", "linear", "quadratic"):
        assert term in agreement.split("| measure")[0].lower(), term  # explained before the table


def test_agreement_measures_a_model_judge_without_counting_it(cli, tmp_path):
    from rankterm.quality.agreement import cohen_kappa

    rows = [("p1", "long answer", "x"), ("p2", "long answer", "y"), ("p3", "a", "longer b"),
            ("p4", "a", "longer b")]  # fmt: skip
    (tmp_path / "pairs.jsonl").write_bytes(b"".join(
        orjson.dumps({"id": i, "prompt": "?", "response_a": a, "response_b": b,
                      "metadata": {"topic": "t" if i in ("p1", "p2") else "u"}}) + b"\n"
        for i, a, b in rows))  # fmt: skip
    votes = {"p1": "A", "p2": "B", "p3": "A", "p4": "B"}
    write_journal(
        tmp_path / "j.jsonl",
        [judge(p, who, v) for p, v in votes.items() for who in ("alice", "bob")]
        + [Resolution(pair_id="p2", adjudicator="carol", choice=Choice.A, strength=2)],
    )
    model = {("p1", "ab"): "A", ("p1", "ba"): "A", ("p2", "ab"): "A", ("p2", "ba"): "B",
             ("p3", "ab"): "A", ("p3", "ba"): "A", ("p4", "ab"): "B", ("p4", "ba"): "B",
             ("p1", "x"): None}  # fmt: skip
    (tmp_path / "judge.jsonl").write_bytes(b"".join(
        orjson.dumps({"source": "model", "judge": "j1", "pair_id": p, "order": o, "choice": c})
        + b"\n" for (p, o), c in model.items()) + b'{"torn')  # fmt: skip
    plain = cli("agreement", "j.jsonl", "--pairs", "pairs.jsonl", "--json")
    ran = cli("agreement", "j.jsonl", "--pairs", "pairs.jsonl", "--json", "--judge",
              "judge.jsonl", "--by", "metadata.topic")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    summary = orjson.loads(ran.stdout)
    before = orjson.loads(plain.stdout)
    for key in ("n_judgments", "n_units", "fleiss_kappa"):  # the judge is not a rater
        assert summary.get(key) == before.get(key)
    figures = summary["judges"]["j1"]
    expected = [("A", "A"), ("tie", "B"), ("A", "A"), ("B", "B")]  # p2's orders disagree: tie
    assert figures["kappa_vs_humans"] == round(cohen_kappa(expected), 4)
    assert figures["confusion_vs_humans"] == {"A": {"A": 2}, "B": {"B": 1}, "tie": {"B": 1}}
    assert figures["flip_rate"] == 0.25 and figures["n_both_orders"] == 4
    bias = {"judge_longer_win_rate": 0.6667, "human_longer_win_rate": 0.5, "n": 3, "n_humans": 4}
    assert figures["length_bias"] == bias
    assert figures["n_vs_adjudicated"] == 1
    assert figures["slices"]["metadata.topic"]["u"]["n"] == 2
    table = cli("agreement", "j.jsonl", "--pairs", "pairs.jsonl", "--judge", "judge.jsonl")
    assert "judge j1: kappa vs humans" in table.stdout and "flip rate 0.25" in table.stdout
