"""``agreement`` and ``report`` on journals and pairs files that hold K-way rankings."""

from __future__ import annotations

import orjson
import pytest

from rankterm.core.model import Choice, Judgment, RankTask
from tests.formats.rank_fixtures import TASKS, ranking_records, write_journal, write_pairs
from tests.quality.test_cli import cli  # noqa: F401  (the fixture)

GOLD = RankTask(id="g1", prompt="Order", responses=["1", "2", "3"], gold="ABC")


@pytest.fixture
def project(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", tasks=[*TASKS, GOLD])
    records = (
        ranking_records("t1", "alice", "CADB", 4, [(0, 2), (0, 3), (1, 3), (2, 3)])
        + ranking_records("t1", "bob", "CABD", 4)
        + ranking_records("t2", "alice", "ABCDEF", 6)
        + ranking_records("t2", "bob", "ABCDEF", 6)
        + ranking_records("g1", "alice", "ABC", 3)
        + ranking_records("g1", "bob", "CBA", 3)
    )
    journal = write_journal(tmp_path / "j.jsonl", records)
    return tmp_path, pairs, journal


def test_agreement_on_rankings_only(cli, project):  # noqa: F811
    _, pairs, journal = project
    ran = cli("agreement", journal, "--pairs", pairs, "--json")
    assert ran.exit_code == 0, ran.stderr
    out = orjson.loads(ran.stdout)
    section = out["rankings"]
    assert (section["n_tasks"], section["n_rankings"], section["n_shared_tasks"]) == (3, 6, 3)
    assert section["gold_tau"]["alice"]["mean_tau"] == 1.0
    assert section["gold_tau"]["bob"]["mean_tau"] == -1.0
    assert section["implied_pairs"]["n_comparisons"] == 6 + 15 + 3
    # the ranking records are not reported as broken pairs
    assert "response_a" not in ran.stderr
    text = cli("agreement", journal, "--pairs", pairs)
    assert text.exit_code == 0, text.stderr
    assert "Kendall's W" in text.stdout and "gold tau bob: mean -1.000" in text.stdout


def test_agreement_with_pairs_and_rankings(cli, project):  # noqa: F811
    tmp_path, pairs, journal = project
    votes = [Judgment(pair_id="p1", annotator=a, choice=Choice.A, strength=2) for a in ("x", "y")]
    extra = write_journal(tmp_path / "votes.jsonl", votes)
    ran = cli("agreement", journal, extra, "--pairs", pairs, "--json")
    assert ran.exit_code == 0, ran.stderr
    out = orjson.loads(ran.stdout)
    assert out["n_units"] == 1 and out["rankings"]["n_shared_tasks"] == 3


def test_report_has_a_rankings_section(cli, project):  # noqa: F811
    tmp_path, pairs, journal = project
    ran = cli("report", journal, "--pairs", pairs, "-o", "r.md")
    assert ran.exit_code == 0, ran.stderr
    text = (tmp_path / "r.md").read_text()
    assert "## Rankings" in text and "Kendall's W" in text and "| bob | -1.000 |" in text
    section = text.split("## Rankings")[1].split("\n## ")[0]
    assert "\\." not in section  # numbers are not Markdown-escaped
