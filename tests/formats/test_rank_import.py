"""Reading K-way rankings in: UltraFeedback as 4-way tasks, ranking datasets read back."""

from __future__ import annotations

import io

import orjson
import pytest

from rankterm.core.model import Ranking, RankTask, parse_task
from rankterm.formats import ImportReader, ReadOptions
from rankterm.formats.base import RecordError
from rankterm.formats.rank_data import read_rank_records, read_rank_tasks
from rankterm.formats.rank_export import run_rank_export
from rankterm.formats.ranked_read import convert
from rankterm.storage.journal import read_journal
from tests.formats.rank_fixtures import PAIR, TASKS, ranking_records, write_journal, write_pairs


def test_ultrafeedback_as_four_way_rankings(data):
    with ImportReader(
        data / "ultrafeedback_raw.jsonl", options=ReadOptions(uf_pairing="ranking")
    ) as r:
        items = list(r)
    task = items[0].pair
    assert isinstance(task, RankTask) and task.k == 4 and task.id.startswith("ufr-")
    assert [c.model for c in task.responses] == [
        "gpt-4", "llama-2-7b-chat", "alpaca-7b", "falcon-40b-instruct"
    ]  # fmt: skip
    assert items[0].order == [[0], [1], [2], [3]]
    assert task.metadata["scores"] == [5.0, 4.5, 2.5, 1.25]
    # the second prompt has one scored completion: too few to rank, said with its line
    assert "a ranking needs 3" in str(items[1]) and ":2:" in str(items[1])


def test_ultrafeedback_ranking_cli_writes_tasks_and_prior_rankings(cli, data, tmp_path):
    ran = cli("import", data / "ultrafeedback_raw.jsonl", "--uf-pairing", "ranking",
              "-o", "p.jsonl", "--labels", "j.jsonl")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    assert "imported 0 pairs and 1 K-way ranking task" in ran.stderr
    assert "1 source label appended" in ran.stderr
    [line] = (tmp_path / "p.jsonl").read_bytes().splitlines()
    assert isinstance(parse_task(orjson.loads(line)), RankTask)
    [ranking] = list(read_journal(tmp_path / "j.jsonl"))
    assert isinstance(ranking, Ranking) and ranking.order == [[0], [1], [2], [3]]
    assert ranking.annotator == "source" and ranking.k == 4
    again = cli("import", data / "ultrafeedback_raw.jsonl", "--uf-pairing", "ranking",
                "-o", "p.jsonl", "--labels", "j.jsonl", "--force")  # fmt: skip
    assert "(1 already there)" in again.stderr
    assert len(list(read_journal(tmp_path / "j.jsonl"))) == 1


def test_ties_in_scores_are_tied_in_the_order():
    from rankterm.formats import ultrafeedback

    record = {
        "instruction": "x",
        "completions": [
            {"model": m, "response": r, "fine-grained_score": s}
            for m, r, s in (("a", "1", 3.0), ("b", "2", 4.0), ("c", "3", 3.0))
        ],
    }
    item = ultrafeedback.convert(record, 1, ReadOptions(uf_pairing="ranking"))
    assert item.order == [[1], [0, 2]]


def test_ranking_full_export_reads_back_as_the_same_tasks(cli, tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", pairs=())
    journal = write_journal(
        tmp_path / "j.jsonl",
        ranking_records("t1", "alice", "C>A=D>B", 4) + ranking_records("t2", "bob", "FEDCBA", 6),
    )
    out = io.BytesIO()
    run_rank_export("ranking-full", read_rank_tasks(pairs).tasks, read_rank_records([journal]), out)
    (tmp_path / "full.jsonl").write_bytes(out.getvalue())
    ran = cli("import", "full.jsonl", "-o", "back.jsonl", "--labels", "back-j.jsonl")
    assert ran.exit_code == 0, ran.stderr
    assert "2 K-way ranking tasks" in ran.stderr
    back = read_rank_tasks(tmp_path / "back.jsonl").tasks
    assert back == {t.id: t for t in TASKS}
    orders = {r.pair_id: r.order for r in read_journal(tmp_path / "back-j.jsonl")}
    assert orders == {"t1": [[2], [0, 3], [1]], "t2": [[5], [4], [3], [2], [1], [0]]}


def test_argilla_ranking_values_and_bad_orders():
    record = {"id": "a", "prompt": "p", "responses": ["x", "y", "z"],
              "ranking": [{"value": "response-2", "rank": 1}, {"value": "response-1", "rank": 2},
                          {"value": "response-3", "rank": 2}]}  # fmt: skip
    assert convert(record, 1).order == [[1], [0, 2]]
    with pytest.raises(RecordError, match="order: the order leaves out C"):
        convert({"id": "a", "prompt": "p", "responses": ["x", "y", "z"], "order": [[0], [1]]}, 1)
    with pytest.raises(RecordError, match="3 to 9 responses"):
        convert({"id": "a", "prompt": "p", "responses": ["x", "y"]}, 1)
    with pytest.raises(RecordError, match="ranking\\[0\\]"):
        convert({"id": "a", "prompt": "p", "responses": ["x", "y", "z"],
                 "ranking": [{"value": "best", "rank": 1}]}, 1)  # fmt: skip


def test_a_mixed_pairs_file_imports_with_from_rankterm(cli, tmp_path):
    write_pairs(tmp_path / "mixed.jsonl")
    ran = cli("import", "mixed.jsonl", "--from", "rankterm", "-o", "out.jsonl")
    assert ran.exit_code == 0, ran.stderr
    assert "imported 1 pair and 2 K-way ranking tasks" in ran.stderr
    found = read_rank_tasks(tmp_path / "out.jsonl")
    assert set(found.tasks) == {"t1", "t2"} and found.pairs == 1


def test_a_pairs_file_that_begins_with_a_ranking_task_is_detected(cli, tmp_path):
    write_pairs(tmp_path / "mixed.jsonl", tasks=TASKS[:1], pairs=())
    with (tmp_path / "mixed.jsonl").open("ab") as f:
        f.write(orjson.dumps(PAIR.to_json_dict()) + b"\n")
    ran = cli("import", "mixed.jsonl", "-o", "out.jsonl")
    assert ran.exit_code == 0, ran.stderr
    assert "imported 1 pair and 1 K-way ranking task" in ran.stderr


def test_argilla_rankings_as_ranking_tasks(cli, data, tmp_path):
    ran = cli("import", data / "argilla_records.json", "--from", "argilla", "--as-rankings",
              "-o", "p.jsonl", "--labels", "j.jsonl")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    tasks = read_rank_tasks(tmp_path / "p.jsonl").tasks
    task = tasks["rec-5"]
    assert [c.content for c in task.responses] == ["one", "two", "three"]
    orders = {
        r.pair_id: r.order for r in read_journal(tmp_path / "j.jsonl") if isinstance(r, Ranking)
    }
    assert orders["rec-5"] == [[2], [0], [1]]  # response3 > response1 > response2
    plain = cli("import", data / "argilla_records.json", "--from", "argilla", "-o", "q.jsonl")
    assert plain.exit_code == 0, plain.stderr
    assert read_rank_tasks(tmp_path / "q.jsonl").tasks == {}  # default: implied pairs, as before


def test_argilla_orders_that_disagree_give_no_prior_order():
    from rankterm.formats import argilla

    record = {
        "id": "r", "fields": {"instruction": "x", "response1": "a", "response2": "b",
                              "response3": "c"},
        "responses": {"ranking": [
            {"value": ["response1", "response2", "response3"], "user_id": "u1"},
            {"value": ["response3", "response2", "response1"], "user_id": "u2"},
        ]},
    }  # fmt: skip
    [item] = argilla.convert(record, 1, ReadOptions(as_rankings=True))
    assert item.order is None
    assert item.pair.metadata["argilla_orders"] == ["A > B > C", "C > B > A"]
