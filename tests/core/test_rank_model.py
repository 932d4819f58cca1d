"""The K-way ranking records: tasks, typed orders, implied comparisons, journal records."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from rankterm.core.model import (
    Choice,
    Comparison,
    Pair,
    Ranking,
    RankTask,
    Resolution,
    format_order,
    implied_pairs,
    parse_order,
    parse_task,
    ranks,
)


def task(**extra) -> dict:
    return {
        "id": "r1",
        "prompt": "Sort these",
        "responses": ["one", "two", "three", "four"],
        **extra,
    }


def test_a_record_with_responses_is_a_ranking_task_and_one_without_is_a_pair() -> None:
    ranked = parse_task(task())
    assert isinstance(ranked, RankTask)
    assert ranked.k == 4 and ranked.responses[2].content == "three"
    pair = parse_task({"id": "p", "prompt": "x", "response_a": "a", "response_b": "b"})
    assert isinstance(pair, Pair)


@pytest.mark.parametrize("n", [0, 1, 2, 10])
def test_k_outside_three_to_nine_is_refused_by_name(n: int) -> None:
    with pytest.raises(ValidationError, match="3 to 9 responses"):
        parse_task(task(responses=[f"r{i}" for i in range(n)]))


def test_candidates_keep_their_model_and_unknown_fields() -> None:
    ranked = RankTask.model_validate(
        task(responses=[{"content": "x", "model": "m1", "score": 3}, "y", "z"], team="t")
    )
    assert ranked.responses[0].model == "m1"
    assert ranked.to_json_dict()["responses"][0]["score"] == 3
    assert ranked.to_json_dict()["team"] == "t"


@pytest.mark.parametrize(
    ("typed", "order"),
    [
        ("CADB", [[2], [0], [3], [1]]),
        ("3142", [[2], [0], [3], [1]]),
        ("c > a = d > b", [[2], [0, 3], [1]]),
        ("31=42", [[2], [0, 3], [1]]),
        ("A=B=C=D", [[0, 1, 2, 3]]),
    ],
)
def test_typed_orders(typed: str, order: list[list[int]]) -> None:
    assert parse_order(typed, 4) == order


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("CAD", "leaves out B"),
        ("CADBA", "placed twice"),
        ("CAEB", "not a candidate here"),
        ("=CADB", "between two"),
        ("CADB=", "between two"),
        ("C?ADB", "not a candidate"),
        ("", "no order"),
    ],
)
def test_a_wrong_typed_order_says_what_is_wrong(typed: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_order(typed, 4)


def test_gold_order_shorthand_and_a_partial_gold_is_refused() -> None:
    assert RankTask.model_validate(task(gold="B>A=C>D")).gold.order == [[1], [0, 2], [3]]
    assert RankTask.model_validate(task(gold=[[3], [2], [1], [0]])).gold.order[0] == [3]
    with pytest.raises(ValidationError, match="leaves out"):
        RankTask.model_validate(task(gold={"order": [[0], [1]]}))


def test_implied_pairs_are_k_choose_2_with_ties() -> None:
    order = [[2], [0, 3], [1]]
    pairs = implied_pairs(order)
    assert len(pairs) == 6
    assert (0, 2, Choice.B) in pairs  # C above A
    assert (0, 3, Choice.TIE) in pairs
    assert (1, 3, Choice.B) in pairs  # D above B
    assert format_order(order) == "C > A = D > B"
    assert ranks(order) == {2: 1.0, 0: 2.5, 3: 2.5, 1: 4.0}


def test_comparison_and_ranking_records_validate_like_judgments() -> None:
    rid = uuid.uuid4()
    c = Comparison(pair_id="r1", annotator="ann", ranking_id=rid, a=0, b=2, choice="A", strength=2)
    with pytest.raises(ValidationError, match="strength"):
        Comparison(pair_id="r1", annotator="ann", ranking_id=rid, a=0, b=2, choice="A")
    with pytest.raises(ValidationError, match="both_bad"):
        Comparison(pair_id="r1", annotator="a", ranking_id=rid, a=0, b=1, choice="both_bad")
    with pytest.raises(ValidationError, match="two different"):
        Comparison(pair_id="r1", annotator="a", ranking_id=rid, a=1, b=1, choice="tie")
    r = Ranking(
        pair_id="r1", annotator="ann", ranking_id=rid, k=3, order=[[2], [0, 1]], comparisons=[c.id]
    )
    assert r.comparisons == [c.id]
    with pytest.raises(ValidationError, match="leaves out"):
        Ranking(pair_id="r1", annotator="ann", ranking_id=rid, k=4, order=[[2], [0, 1]])


def test_an_adjudicator_sets_an_order_of_record_instead_of_a_choice() -> None:
    res = Resolution(pair_id="r1", adjudicator="exp", order=[[1], [0], [2]])
    assert res.choice is None and res.order == [[1], [0], [2]]
    with pytest.raises(ValidationError, match=r"choice \(a pair\) or an order"):
        Resolution(pair_id="r1", adjudicator="exp", order=[[0], [1]], choice="A", strength=1)


def test_a_journal_replays_comparisons_and_rankings_and_their_undo(tmp_path) -> None:
    from rankterm.storage.journal import Journal, read_journal, replay

    rid = uuid.uuid4()
    first = Comparison(pair_id="r1", annotator="a", ranking_id=rid, a=0, b=1, choice="tie")
    second = Comparison(
        pair_id="r1", annotator="a", ranking_id=rid, a=2, b=0, choice="B", strength=1
    )
    path = tmp_path / "j.jsonl"
    journal = Journal.open(path)
    journal.append_many([first, second])
    from rankterm.core.model import Retraction

    journal.append(Retraction(retracts=second.id, pair_id="r1", annotator="a"))
    journal.append(
        Ranking(
            pair_id="r1",
            annotator="a",
            ranking_id=rid,
            k=3,
            order=[[0, 1], [2]],
            comparisons=[first.id],
        )
    )
    journal.close()
    state = replay(read_journal(path))
    assert [c.id for c in state.open_comparisons(rid)] == [first.id]
    assert [r.order for r in state.active_rankings("a")] == [[[0, 1], [2]]]
    assert state.active() == []
