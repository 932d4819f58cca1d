"""Remote mode for K-way ranking tasks (issue #16): comparisons are journaled locally one by
one and never sent alone; a finished ranking goes to the server with the comparisons it names,
exactly once, also after a crash between journaling it and delivering it."""

from __future__ import annotations

import time
import uuid

import orjson

from rankterm.core.model import Choice, Comparison, Ranking, RankTask, Retraction
from rankterm.server import reports
from rankterm.server.core import get_project
from rankterm.sources.remote import RemoteSource, open_remote
from rankterm.storage.journal import Journal
from tests.server.conftest import Backend, make_pairs
from tests.server.rank_helpers import make_rank_tasks


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _comparison(task: RankTask, who: str, attempt: uuid.UUID, a: int, b: int) -> Comparison:
    return Comparison(
        pair_id=task.id, annotator=who, ranking_id=attempt, a=a, b=b, choice=Choice.A, strength=1
    )


def _rank_in_order(source: RemoteSource, task: RankTask, undo_one: bool) -> Ranking:
    """Rank ``task`` A > B > C > D the way the ranking screen journals it: each comparison in
    its own fsynced write, an undone one retracted, the ranking with the last comparison."""
    who, attempt = source.annotator, uuid.uuid4()
    made = []
    for a, b in ((0, 1), (1, 2)):
        c = _comparison(task, who, attempt, a, b)
        source.session.append_many([c])
        made.append(c)
    if undo_one:
        wrong = Comparison(
            pair_id=task.id,
            annotator=who,
            ranking_id=attempt,
            a=2,
            b=3,
            choice=Choice.B,
            strength=3,
        )
        source.session.append_many([wrong])
        source.session.append_many([Retraction(retracts=wrong.id, pair_id=task.id, annotator=who)])
    last = _comparison(task, who, attempt, 2, 3)
    made.append(last)
    ranking = Ranking(
        pair_id=task.id,
        annotator=who,
        ranking_id=attempt,
        k=task.k,
        order=[[0], [1], [2], [3]],
        comparisons=[c.id for c in made],
    )
    source.session.append_many([last, ranking])
    source.finish_ranking(ranking)
    return ranking


def _stored(backend: Backend, project: str) -> list[dict]:
    with backend.db.read() as conn:
        proj = get_project(conn, project)
    lines = [orjson.loads(x) for x in reports.export_lines(backend.db, proj)]
    return [x for x in lines if x.get("kind") in ("comparison", "ranking", "retraction")]


def test_rankings_reach_the_server_once_with_their_comparisons_even_after_a_crash(
    server: Backend, tmp_path
) -> None:
    project = server.project(overlap=1)
    server.add_pairs(project, make_rank_tasks(2, k=4) + make_pairs(1))
    name, token = server.user()
    journal = tmp_path / "alice.jsonl"
    source, _, _ = open_remote(server.url, project, token, annotator=name, out=journal)
    source.tick_seconds = 0.1
    _wait(lambda: len(source.rank_leases()) == 2)
    # The pairwise queue holds only the pair: a ranking task never reaches the pair screen.
    _wait(lambda: source.current() is not None)
    assert source.current().pair.id == "p00000"
    first, second = sorted((i.pair for i in source.rank_leases()), key=lambda t: t.id)
    ranked = _rank_in_order(source, first, undo_one=True)
    assert [i.pair.id for i in source.rank_leases()] == [second.id]
    assert source.wait_idle(30)
    assert source.rejected == []  # the undone comparison's retraction was never sent
    stored = _stored(server, project)
    assert [x["kind"] for x in stored] == ["comparison"] * 3 + ["ranking"]
    assert [x["id"] for x in stored[:3]] == [str(i) for i in ranked.comparisons]

    # A crash: the process dies after journaling the second ranking, before delivering it
    # (leases stay live, nothing is released, the thread is gone).
    source._stop.set()
    source._wake.set()
    source._thread.join(10)
    source.client.close()
    source.session.close()
    assert [x["kind"] for x in _stored(server, project)].count("ranking") == 1
    with Journal.open(journal) as j:
        attempt = uuid.uuid4()
        steps = [_comparison(second, name, attempt, a, a + 1) for a in range(3)]
        j.append_many(steps)
        j.append(
            Ranking(
                pair_id=second.id,
                annotator=name,
                ranking_id=attempt,
                k=4,
                order=[[0], [1], [2], [3]],
                comparisons=[c.id for c in steps],
            )
        )
    again, _, _ = open_remote(server.url, project, token, annotator=name, out=journal)
    try:
        again.tick_seconds = 0.1
        assert again.rank_leases() == []  # ranked after the cache was written
        assert again.wait_idle(30)
        assert again.rejected == []
    finally:
        again.close()
    stored = _stored(server, project)
    assert [x["kind"] for x in stored].count("ranking") == 2
    assert [x["kind"] for x in stored].count("comparison") == 6
    assert not [x for x in stored if x["kind"] == "retraction"]
