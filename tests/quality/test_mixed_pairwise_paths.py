"""Pairwise code paths on a pairs file that holds K-way ranking tasks too (issue #16).

The index serves :class:`RankTask` records beside pairs; ``scan_pairs`` (the lean reader the
leaderboard, ``agreement`` and ``report`` walk the file with) must leave them out as
``iter_pairs`` does and let the caller count them, so that no pairwise path crashes on a
ranking task (priority, gold order) or counts it as an unjudged pair. Each command exits 0
and says what it did with the rankings.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from rankterm.commands.cli import main
from rankterm.core.model import Choice, Gold, Judgment, Pair, RankTask
from rankterm.storage.index import index_pairs
from rankterm.storage.pair_columns import scan_pairs
from tests.formats.rank_fixtures import ranking_records, resolution, write_journal, write_pairs

TASKS = [
    # A priority sends the record through the model in scan_pairs (the index compares it).
    RankTask(
        id="r-prio",
        prompt="Name a prime.",
        responses=[{"content": c, "model": f"m-{c}"} for c in ("2", "4", "7", "9")],
        priority=5,
        gold="ACBD",
        metadata={"lang": "en"},
        tags=["math"],
    ),
    RankTask(
        id="r-plain",
        prompt="Say hi.",
        responses=[{"content": c, "model": f"m-{c}"} for c in ("hi", "yo", "hey")],
        metadata={"lang": "fr"},
    ),
]
PAIRS = [
    Pair(
        id="p1",
        prompt="2+2?",
        response_a="4",
        response_b="5",
        model_a="m-2",
        model_b="m-4",
        gold=Gold(choice=Choice.A),
        metadata={"lang": "en"},
    ),
    Pair(id="p2", prompt="3+3?", response_a="6", response_b="7", model_a="m-7", model_b="m-9"),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> tuple[Path, list[Path]]:
    # Rates make agreement and report walk the pairs for cost per model pair as well.
    config = tmp_path / "config.toml"
    config.write_text('currency = "USD"\n[rates]\n"*" = 18.0\n')
    monkeypatch.setenv("RANKTERM_CONFIG", str(config))
    pairs = write_pairs(tmp_path / "mixed.jsonl", tasks=TASKS, pairs=PAIRS)
    journals = []
    for who, order4, order3, choice in (("ana", "ACBD", "ABC", "A"), ("ben", "CABD", "BAC", "B")):
        records = [
            Judgment(pair_id="p1", annotator=who, choice=Choice.A, strength=2),
            Judgment(pair_id="p2", annotator=who, choice=Choice(choice), strength=1),
            *ranking_records("r-prio", who, order4, 4, [(0, 1), (0, 2), (1, 2), (2, 3)]),
            *ranking_records("r-plain", who, order3, 3, [(0, 1), (1, 2)]),
        ]
        journals.append(write_journal(tmp_path / f"{who}.jsonl", records))
    journals.append(write_journal(tmp_path / "adj.jsonl", [resolution("r-plain", "BAC", 3)]))
    return pairs, journals


def run(capsys, *args: object) -> tuple[int, str, str]:
    """The CLI in-process as the console script runs it; an uncaught exception fails here."""
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def test_scan_pairs_leaves_ranking_tasks_out_and_counts_them(project) -> None:
    pairs, _ = project
    with index_pairs(pairs) as index:
        skipped: list[str] = []
        rows = list(scan_pairs(index, rankings=skipped))
        assert [r.id for r in rows] == ["p1", "p2"]
        assert sorted(skipped) == ["r-plain", "r-prio"]
        assert [p.id for p in index.iter_pairs()] == [r.id for r in rows]


def test_export_trl_writes_the_pairs_and_names_the_rankings(project, capsys, tmp_path) -> None:
    pairs, journals = project
    out = tmp_path / "trl.jsonl"
    code, _, err = run(capsys, "export", "--to", "trl", "--pairs", pairs, *journals, "-o", out)
    assert code == 0, err
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert {r["rankterm"]["pair_id"] for r in rows} == {"p1"}  # p2 is a split vote
    assert "2 K-way ranking tasks" in err and "ranking-pairs" in err


def test_agreement_measures_pairs_and_rankings_apart(project, capsys) -> None:
    pairs, journals = project
    code, out, err = run(capsys, "agreement", "--pairs", pairs, *journals, "--json")
    assert code == 0, err
    summary = orjson.loads(out)
    assert summary["n_pairs"] == 2 and summary["n_judgments"] == 4
    assert summary["rankings"]["n_tasks"] == 2 and summary["rankings"]["n_shared_tasks"] == 2
    # The ranking task's gold order is no pairwise gold: only p1's gold verdict is scored.
    code, out, err = run(capsys, "agreement", "--pairs", pairs, *journals)
    assert code == 0, err
    assert "rankings: 4 by 2 annotators on 2 tasks" in out + err


def test_report_by_metadata_slices_pairs_only(project, capsys, tmp_path) -> None:
    pairs, journals = project
    md = tmp_path / "r.md"
    code, _, err = run(
        capsys, "report", "--pairs", pairs, *journals, "-o", md, "--by", "metadata.lang"
    )
    assert code == 0, err
    text = md.read_text()
    assert "## Rankings" in text
    assert "lang" in text  # the pairs' slice, with no ranking task counted in it
    code, _, err = run(capsys, "report", "--pairs", pairs, *journals, "-o", tmp_path / "all.md")
    assert code == 0, err


def test_leaderboard_counts_ranking_tasks_as_rankings_not_unjudged(project, capsys) -> None:
    pairs, journals = project
    code, out, err = run(capsys, "leaderboard", "--pairs", pairs, *journals, "--json")
    assert code == 0, err
    board = orjson.loads(out)
    assert "unjudged" not in board["dropped"], board["dropped"]
    # Every annotator's order (the default policy ``all``): 6 + 6 on r-prio, 3 + 3 on r-plain.
    assert board["ranking_battles"] == 6 + 6 + 3 + 3
    code, out, err = run(
        capsys, "leaderboard", "--pairs", pairs, *journals, "--policy", "adjudicated"
    )
    assert code == 0, err
    # The resolution's order stands for r-plain's two annotators: 6 + 6 + 3.
    assert "15 of the battles come from K-way rankings" in err
    assert "unjudged" not in out + err


def test_leaderboard_names_ranking_tasks_nobody_ranked(project, capsys) -> None:
    pairs, _ = project
    votes_only = pairs.with_name("votes.jsonl")
    write_journal(
        votes_only,
        [Judgment(pair_id="p1", annotator=a, choice=Choice.A, strength=2) for a in "xy"],
    )
    code, out, err = run(capsys, "leaderboard", "--pairs", pairs, votes_only)
    assert code == 0, err
    assert "2 K-way ranking tasks in the pairs file: no ranking of them to count" in err
    assert "1 unjudged" in out + err  # p2 only: the ranking tasks are not unjudged pairs
