"""The ranking source: every comparison journaled before the next question, the ranking in
the same write as its last comparison, resume at the same question, undo, typed orders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rankterm.core.errors import RanktermError
from rankterm.core.model import Choice, Comparison, Ranking, Retraction
from rankterm.sources.base import Draft
from rankterm.sources.local import open_local
from rankterm.sources.ranking import RankSource
from rankterm.storage.journal import read_journal

TRUTH = {"t1": [[2], [0], [3], [1]], "t2": [[1], [0, 2], [4], [3]]}


def write(path: Path) -> Path:
    records = [
        {"id": "p1", "prompt": "p", "response_a": "a", "response_b": "b"},
        {"id": "t1", "prompt": "q1", "responses": ["a0", "a1", "a2", "a3"]},
        {"id": "t2", "prompt": "q2", "responses": ["b0", "b1", "b2", "b3", "b4"], "priority": 1},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def answer(task_id: str, a: int, b: int) -> Choice:
    rank = {i: t for t, tier in enumerate(TRUTH[task_id]) for i in tier}
    if rank[a] == rank[b]:
        return Choice.TIE
    return Choice.A if rank[a] < rank[b] else Choice.B


def open_rank(path: Path, annotator: str = "ann", torn: bool = False):
    local, _, issues = open_local(path, annotator=annotator)
    assert len(issues) == torn and all("invalid JSON" in i.reason for i in issues)
    return local, RankSource(local)


def say(source: RankSource, truth_of=answer, draft: Draft | None = None) -> Comparison:
    view = source.rank_view()
    choice = truth_of(view.task.id, view.question.a, view.question.b)
    return source.record(choice, None if choice is Choice.TIE else 2, draft or Draft(), 100)


def test_full_rankings_are_journaled_comparison_by_comparison(tmp_path):
    path = write(tmp_path / "m.jsonl")
    local, source = open_rank(path)
    try:
        assert source.task_ids() == ["t2", "t1"]  # priority first
        journal = local.journal.path
        lines = 0
        while (view := source.rank_view()) is not None:
            assert view.question.a != view.question.b
            say(source, draft=Draft(tags={"x"}, rationale="why"))
            written = journal.read_text().splitlines()
            assert len(written) > lines  # on disk before the next question
            lines = len(written)
        assert source.progress().done == 2
        assert local.current().pair.id == "p1"  # the pair is the pairwise screen's
    finally:
        local.close()
    entries = list(read_journal(journal))
    rankings = [e for e in entries if isinstance(e, Ranking)]
    comparisons = {e.id: e for e in entries if isinstance(e, Comparison)}
    assert {r.pair_id: r.order for r in rankings} == TRUTH
    for r in rankings:
        assert r.comparisons and all(
            comparisons[c].ranking_id == r.ranking_id for c in r.comparisons
        )
        assert r.tags == ["x"] and r.rationale == "why" and not r.typed
        assert len(r.comparisons) < r.k * (r.k - 1) // 2
        # the ranking is in the same write as its last comparison: the line right after it
        index = entries.index(r)
        assert entries[index - 1].id == r.comparisons[-1]


def test_resume_after_a_crash_asks_the_same_question(tmp_path):
    path = write(tmp_path / "m.jsonl")
    local, source = open_rank(path)
    say(source)
    say(source)
    before = source.rank_view()
    local.session.journal.close()  # as a killed process leaves it: no close, no ranking
    local2, again = open_rank(path)
    try:
        after = again.rank_view()
        assert after.task.id == before.task.id
        assert (after.question, after.asked) == (before.question, 2)
        assert after.placement == before.placement
        while again.rank_view() is not None:
            say(again)
        rankings = again.session.state.active_rankings("ann")
        assert {r.pair_id: r.order for r in rankings} == TRUTH
        first = next(r for r in rankings if r.pair_id == before.task.id)
        assert len(first.comparisons) >= 3  # the two made before the crash are in it
    finally:
        local2.close()


def test_undo_retracts_the_last_comparison_then_reopens_the_last_ranking(tmp_path):
    local, source = open_rank(write(tmp_path / "m.jsonl"))
    try:
        first = source.rank_view()
        made = say(source)
        assert source.undo().id == made.id
        assert source.rank_view().question == first.question
        while source.rank_view().task.id == "t2":
            say(source)
        assert source.progress().done == 1
        undone = source.undo()
        assert isinstance(undone, Ranking) and undone.pair_id == "t2"
        assert source.progress().done == 0
        view = source.rank_view()
        assert view.task.id == "t2" and view.asked == len(undone.comparisons) - 1
        say(source)
        assert source.progress().done == 1
        kinds = [type(e) for e in read_journal(local.journal.path)]
        assert kinds.count(Retraction) == 3
    finally:
        local.close()


def test_both_bad_is_refused(tmp_path):
    local, source = open_rank(write(tmp_path / "m.jsonl"))
    try:
        with pytest.raises(RanktermError, match="no place in an order"):
            source.record(Choice.BOTH_BAD, None, Draft(), 1)
    finally:
        local.close()


def test_typed_order_that_agrees_is_the_ranking(tmp_path):
    local, source = open_rank(write(tmp_path / "m.jsonl"))
    try:
        say(source)
        ranking = source.type_order("B>A=C>E>D", Draft(flagged=True))
        assert ranking is not None and ranking.typed and ranking.flagged
        assert ranking.order == TRUTH["t2"] and len(ranking.comparisons) == 1
        with pytest.raises(ValueError, match="leaves out"):
            source.type_order("CA", Draft())
    finally:
        local.close()


def test_contradicting_typed_order_is_reasked_and_settled(tmp_path):
    local, source = open_rank(write(tmp_path / "m.jsonl"))
    try:
        while source.rank_view().asked < 3:
            say(source)
        # the reverse of the truth contradicts every comparison made
        assert source.type_order("D>E>A=C>B", Draft()) is None
        view = source.rank_view()
        assert view.question.recheck and view.reask_reason
        assert "typed order says" in view.reask_reason
        # the person sides with their comparisons: the typed order is set aside
        say(source)
        assert source.take_notices()[0].startswith("Typed order set aside")
        assert not source.rank_view().question.recheck
        # now type a contradicting order and insist on it at every re-ask
        typed = "D>E>A=C>B"
        assert source.type_order(typed, Draft()) is None
        rank = {i: t for t, tier in enumerate([[3], [4], [0, 2], [1]]) for i in tier}

        def insist(task_id, a, b):
            if rank[a] == rank[b]:
                return Choice.TIE
            return Choice.A if rank[a] < rank[b] else Choice.B

        while source.progress().done == 0:
            view = source.rank_view()
            assert view.question.recheck
            say(source, insist)
        ranking = source.session.state.active_rankings("ann")[0]
        assert ranking.typed and ranking.order == [[3], [4], [0, 2], [1]]
        # what the re-asks withdrew is retracted; the rest agrees with the order
        standing = [source.session.state.comparisons[c] for c in ranking.comparisons]
        assert all(c.id not in source.session.state.retracted for c in standing)
        for c in standing:
            assert c.choice is insist("t2", c.a, c.b)
    finally:
        local.close()


def test_a_torn_tail_that_lost_the_ranking_is_closed_on_open(tmp_path):
    """A crash can only cut the tail off a write: the last comparison of a task landed but
    the ranking in the same write did not. On open the order is complete: it is closed."""
    path = write(tmp_path / "m.jsonl")
    local, source = open_rank(path)
    while source.progress().done == 0:
        say(source)
    journal = local.journal.path
    local.close()
    lines = journal.read_bytes().splitlines(keepends=True)
    assert b'"kind":"ranking"' in lines[-1]
    journal.write_bytes(b"".join(lines[:-1]) + lines[-1][:20])  # torn in the ranking
    local, source = open_rank(path, torn=True)
    try:
        view = source.rank_view()
        assert view.task.id == "t1" and view.asked == 0
        rankings = source.session.state.active_rankings("ann")
        assert [r.pair_id for r in rankings] == ["t2"] and rankings[0].order == TRUTH["t2"]
    finally:
        local.close()


def test_contradicting_comparisons_in_a_journal_the_later_wins(tmp_path):
    path = write(tmp_path / "m.jsonl")
    local, source = open_rank(path)
    rid = source._attempt("t2")[0]

    def comp(a, b, choice):
        return Comparison(
            pair_id="t2", annotator="ann", ranking_id=rid, a=a, b=b, choice=choice, strength=2
        )

    # B > A, A > C, then C > B (a cycle: merged journals); the last one stands
    for c in (comp(1, 0, Choice.A), comp(0, 2, Choice.A), comp(2, 1, Choice.A)):
        local.session.append(c)
    try:
        view = source.rank_view()
        ranker = source._ranker(view.task, source._attempt("t2")[1])
        assert ranker.closure.consistent
        assert ranker.relation(2, 1) is Choice.A
        assert ranker.dropped  # what the later comparison overrode
    finally:
        local.close()
