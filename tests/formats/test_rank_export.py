"""Exporting K-way rankings: implied pairs (direct flagged), best vs worst, KTO, the full order."""

from __future__ import annotations

import io
from collections import Counter

import orjson
import pytest

from rankterm.core.model import RankTask, parse_task
from rankterm.formats.rank_data import read_rank_records, read_rank_tasks
from rankterm.formats.rank_export import RankPolicy, mean_rank_order, run_rank_export
from tests.formats.rank_fixtures import (
    TASKS,
    ranking_records,
    resolution,
    retraction,
    write_journal,
    write_pairs,
)


@pytest.fixture
def project(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    # alice ranks t1 C > A > D > B by 4 comparisons; the other 2 pairs are implied.
    alice = ranking_records("t1", "alice", "CADB", 4, [(0, 2), (0, 3), (1, 3), (2, 3)])
    # bob types t2 with a tie: B > A = C > D > E > F
    bob = ranking_records("t2", "bob", "B>A=C>D>E>F", 6)
    journal = write_journal(tmp_path / "j.jsonl", alice + bob)
    return tmp_path, pairs, journal


def export(pairs, journals, name, **kw):
    out = io.BytesIO()
    summary = run_rank_export(
        name, read_rank_tasks(pairs).tasks, read_rank_records(journals), out, **kw
    )
    return [orjson.loads(line) for line in out.getvalue().splitlines()], summary


def test_implied_pairs_flag_the_direct_ones(project):
    _, pairs, journal = project
    rows, summary = export(pairs, [journal], "ranking-pairs")
    t1 = [r for r in rows if r["id"] == "t1"]
    assert len(t1) == 6  # K(K-1)/2
    got = {(r["rankterm"]["chosen"], r["rankterm"]["rejected"]): r["direct"] for r in t1}
    assert got == {
        ("C", "A"): True, ("A", "D"): True, ("D", "B"): True, ("C", "D"): True,
        ("C", "B"): False, ("A", "B"): False,
    }  # fmt: skip
    row = next(r for r in t1 if r["rankterm"]["chosen"] == "C" and r["rankterm"]["rejected"] == "A")
    assert (row["prompt"], row["chosen"], row["rejected"]) == ("Name a prime.", " 7", " 2")
    assert row["rankterm"]["strength"] == 2 and row["rankterm"]["order"] == "C > A > D > B"
    # t2: 15 implied pairs, one of them tied (A = C), typed so none direct
    t2 = [r for r in rows if r["id"] == "t2"]
    assert len(t2) == 14 and not any(r["direct"] for r in t2)
    assert summary.dropped == Counter({"tied pair (no chosen response)": 1})
    assert (summary.labels, summary.records) == (2, 20)


def test_direct_only_keeps_the_compared_pairs(project):
    _, pairs, journal = project
    rows, summary = export(pairs, [journal], "ranking-pairs", direct_only=True)
    assert len(rows) == 4 and all(r["direct"] for r in rows)
    assert summary.dropped["implied pair (--direct-only)"] == 2 + 15


def test_best_vs_worst_and_kto(project):
    _, pairs, journal = project
    rows, _ = export(pairs, [journal], "ranking-dpo")
    by_id = {r["id"]: r for r in rows}
    assert (by_id["t1"]["chosen"], by_id["t1"]["rejected"]) == (" 7", " 4")
    assert by_id["t1"]["direct"] is False  # C and B were never compared
    assert (by_id["t2"]["chosen"], by_id["t2"]["rejected"]) == (" hello", " sup")
    rows, _ = export(pairs, [journal], "ranking-kto")
    kto = [(r["id"], r["completion"], r["label"]) for r in rows]
    assert kto == [("t1", " 7", True), ("t1", " 4", False), ("t2", " hello", True),
                   ("t2", " sup", False)]  # fmt: skip


def test_kto_writes_a_whole_tied_top_tier(tmp_path):
    pairs = write_pairs(tmp_path / "p.jsonl")
    journal = write_journal(tmp_path / "j.jsonl", ranking_records("t1", "a", "A=C>B=D", 4))
    rows, _ = export(pairs, [journal], "ranking-kto")
    assert [(r["rankterm"]["candidate"], r["label"]) for r in rows] == [
        ("A", True), ("C", True), ("B", False), ("D", False)
    ]  # fmt: skip


def test_full_order_rows_are_ranking_tasks_with_ranks(project):
    _, pairs, journal = project
    rows, _ = export(pairs, [journal], "ranking-full")
    t2 = next(r for r in rows if r["id"] == "t2")
    assert [x["rank"] for x in t2["ranking"]] == [2, 1, 2, 4, 5, 6]
    assert t2["order"] == [[1], [0, 2], [3], [4], [5]]
    task = parse_task(t2)
    assert isinstance(task, RankTask) and task.k == 6
    t1 = next(r for r in rows if r["id"] == "t1")
    assert t1["rankterm"]["direct"] == [[0, 2], [0, 3], [1, 3], [2, 3]]
    assert t1["responses"][2] == {"content": "7", "model": "m-c"}


def test_the_order_of_record_is_the_resolution(project):
    tmp_path, pairs, journal = project
    extra = write_journal(tmp_path / "adj.jsonl", [resolution("t1", "BDAC", 4)])
    rows, _ = export(pairs, [journal, extra], "ranking-full")
    t1 = next(r for r in rows if r["id"] == "t1")
    assert t1["order"] == [[1], [3], [0], [2]]
    assert t1["rankterm"]["label_source"] == "resolution"
    assert t1["rankterm"]["annotators"] == ["expert"]
    rows, _ = export(pairs, [journal, extra], "ranking-full", policy=RankPolicy.ALL)
    assert next(r for r in rows if r["id"] == "t1")["order"] == [[2], [0], [3], [1]]


def test_retracted_and_replaced_rankings(tmp_path):
    pairs = write_pairs(tmp_path / "p.jsonl")
    first = ranking_records("t1", "alice", "ABCD", 4)
    second = ranking_records("t1", "alice", "DCBA", 4)
    withdrawn = ranking_records("t1", "bob", "ABCD", 4)
    flagged = ranking_records("t1", "carol", "ABCD", 4, flagged=True)
    journal = write_journal(
        tmp_path / "j.jsonl", first + second + withdrawn + [retraction(withdrawn[-1])] + flagged
    )
    rows, summary = export(pairs, [journal], "ranking-full")
    assert [(r["rankterm"]["annotators"], r["order"]) for r in rows] == [
        (["alice"], [[3], [2], [1], [0]])
    ]
    assert summary.dropped == Counter({"flagged": 1})
    rows, _ = export(pairs, [journal], "ranking-full", keep_flagged=True)
    assert len(rows) == 2


def test_mean_rank_order_ties_equal_means():
    assert mean_rank_order([[[0], [1], [2]], [[1], [0], [2]]], 3) == [[0, 1], [2]]
    assert mean_rank_order([[[2], [0, 1]]], 3) == [[2], [0, 1]]


def test_a_ranking_that_does_not_fit_its_task_is_dropped(tmp_path):
    pairs = write_pairs(tmp_path / "p.jsonl")
    wrong_k = ranking_records("t1", "alice", "ABC", 3)  # t1 has 4 candidates
    orphan = ranking_records("gone", "alice", "ABC", 3)
    journal = write_journal(tmp_path / "j.jsonl", wrong_k + orphan)
    rows, summary = export(pairs, [journal], "ranking-pairs")
    assert rows == []
    assert summary.dropped == Counter(
        {"ranking does not fit the task": 1, "ranking of a task not in the pairs file": 1}
    )


def test_chat_tasks_make_every_prompt_a_message_list(tmp_path):
    chat = RankTask(
        id="c1",
        messages=[{"role": "system", "content": "terse"}, {"role": "user", "content": "hi"}],
        responses=["a", "b", "c"],
    )
    pairs = write_pairs(tmp_path / "p.jsonl", tasks=[*TASKS, chat])
    journal = write_journal(
        tmp_path / "j.jsonl",
        ranking_records("c1", "x", "CBA", 3) + ranking_records("t1", "x", "ABCD", 4),
    )
    rows, _ = export(pairs, [journal], "ranking-dpo")
    assert all(isinstance(r["prompt"], list) for r in rows)
    c1 = next(r for r in rows if r["id"] == "c1")
    assert c1["chosen"] == [{"role": "assistant", "content": "c"}]


def test_cli_exports_rankings_and_says_what_it_left(cli, project):
    tmp_path, pairs, journal = project
    ran = cli("export", journal, "--pairs", pairs, "--to", "ranking-pairs", "-o", "out.jsonl",
              "--direct-only")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    assert "wrote 4 ranking-pairs records from 1 order of record (2 ranking tasks" in ran.stderr
    assert "1 pairwise record not written by ranking-pairs" in ran.stderr
    assert len((tmp_path / "out.jsonl").read_bytes().splitlines()) == 4
    ran = cli("export", journal, "--pairs", pairs, "--to", "trl", "-o", "t.jsonl", "--direct-only")
    assert ran.exit_code == 2 and "--direct-only applies to --to ranking-pairs" in ran.stderr


def test_pairwise_export_says_what_it_did_with_ranking_tasks(cli, project):
    _, pairs, journal = project
    with pairs.open("ab") as f:
        f.write(b'{"id": "bad", "prompt": "x", "responses": ["only", "two"]}\n')
    ran = cli("export", journal, "--pairs", pairs, "--to", "trl", "-o", "t.jsonl")
    assert ran.exit_code == 0, ran.stderr
    assert "2 K-way ranking tasks in" in ran.stderr and "not written by trl" in ran.stderr
    # the ranking lines are not reported as broken pairs; the broken ranking record is
    assert "response_a: " not in ran.stderr and "Field required" not in ran.stderr, ran.stderr
    assert "1 bad input line skipped" in ran.stderr and ":4: " in ran.stderr
    assert "3 to 9 responses" in ran.stderr


def test_leaderboard_counts_every_comparison_of_a_ranking(cli, project):
    _, pairs, journal = project
    ran = cli("leaderboard", journal, "--pairs", pairs, "--json", "--bootstrap", "0")
    assert ran.exit_code == 0, ran.stderr
    board = orjson.loads(ran.stdout)
    # t1 (models m-a..m-d): C > A > D > B gives 6 battles; t2 has no model names
    assert board["ranking_battles"] == 6
    assert board["dropped"]["no model names"] == 15
    standing = {m["model"]: (m["wins"], m["losses"]) for m in board["models"]}
    assert standing == {"m-c": (3, 0), "m-a": (2, 1), "m-d": (1, 2), "m-b": (0, 3)}
    assert [m["model"] for m in board["models"]] == ["m-c", "m-a", "m-d", "m-b"]
    assert "response_a" not in ran.stderr


def test_a_server_export_unpacked_exports_its_rankings(tmp_path):
    """A server export keeps journal records in journal shape (server/reports.py), so rankings
    in it go through ``rankterm unpack`` into files this export reads."""
    import typer
    from typer.testing import CliRunner

    from rankterm.commands import unpack
    from rankterm.storage.journal import encode

    app = typer.Typer()
    app.callback()(lambda: None)
    unpack.register(app)

    records = ranking_records("t1", "alice", "CADB", 4, [(0, 2)])
    lines = [orjson.dumps({"kind": "project", "name": "p"}) + b"\n"]
    lines += [orjson.dumps({"kind": "pair", "pair": t.to_json_dict()}) + b"\n" for t in TASKS]
    lines += [encode(r) for r in records]
    (tmp_path / "dump.ndjson").write_bytes(b"".join(lines))
    runner = CliRunner()
    done = runner.invoke(app, ["unpack", str(tmp_path / "dump.ndjson"), "-o", str(tmp_path / "u")])
    assert done.exit_code == 0, done.output
    rows, _ = export(tmp_path / "u" / "pairs.jsonl", [tmp_path / "u" / "judgments.jsonl"],
                     "ranking-full")  # fmt: skip
    assert [(r["id"], r["order"]) for r in rows] == [("t1", [[2], [0], [3], [1]])]
    assert rows[0]["rankterm"]["direct"] == [[0, 2]]


def test_an_order_of_record_is_not_a_pair_missing_from_the_pairs_file(cli, project):
    tmp_path, pairs, journal = project
    adj = write_journal(tmp_path / "adj.jsonl", [resolution("t1", "BDAC", 4)])
    ran = cli("export", journal, adj, "--pairs", pairs, "--to", "trl", "-o", "t.jsonl")
    assert ran.exit_code == 0, ran.stderr
    assert "not in pairs file" not in ran.stderr
    ran = cli("leaderboard", journal, adj, "--pairs", pairs, "--json", "--policy", "adjudicated")
    assert ran.exit_code == 0, ran.stderr
    board = orjson.loads(ran.stdout)
    assert "judged pair not in pairs file" not in board["dropped"]
    assert board["ranking_battles"] == 6  # the order of record B > D > A > C
    assert [m["model"] for m in board["models"]] == ["m-b", "m-d", "m-a", "m-c"]


def test_ranking_export_of_a_pairs_only_file_says_so(cli, tmp_path):
    pairs = write_pairs(tmp_path / "p.jsonl", tasks=())
    journal = write_journal(tmp_path / "j.jsonl", [])
    ran = cli("export", journal, "--pairs", pairs, "--to", "ranking-dpo", "-o", "o.jsonl")
    assert ran.exit_code == 0, ran.stderr
    assert "holds no K-way ranking task" in ran.stderr
    assert read_rank_records([journal]).rankings == {}
