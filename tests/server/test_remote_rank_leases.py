"""A lost lease on a K-way ranking task (remote mode), on SQLite and PostgreSQL.

Before: the task left the queue without a word (or was counted among "leased pair(s) ran out
before you reached them", even with comparisons made), the screen moved on, and the
comparisons already made stayed in the local journal, open, never sent. Now, as for a pair:
the annotator is told by name how many comparisons the task holds, the task stays to be
finished, and the ranking finished anyway is journaled with every comparison, sent, and either
stored with them or, when refused, told. An untouched task whose lease ran out is counted in
its own notice and leaves the queue.
"""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from rankterm.core.model import Choice
from rankterm.server import reports
from rankterm.server.core import get_project
from rankterm.sources.base import Draft
from rankterm.sources.client import TaskClient
from rankterm.sources.ranking import RankSource
from rankterm.sources.remote import open_remote
from rankterm.storage.journal import read_journal
from tests.server.conftest import Backend
from tests.server.rank_helpers import make_rank_tasks
from tests.server.test_lease_renewal import TTL, sleep_until, ts


def _wait(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _stored(backend: Backend, project: str) -> list[dict]:
    with backend.db.read() as conn:
        proj = get_project(conn, project)
    lines = [orjson.loads(x) for x in reports.export_lines(backend.db, proj)]
    return [x for x in lines if x.get("kind") in ("comparison", "ranking")]


def test_a_lost_ranking_lease_is_told_and_its_comparisons_are_not_lost(
    backend: Backend, tmp_path: Path
) -> None:
    project = backend.project(overlap=1, lease_ttl=TTL, lease_max_age=2)
    backend.add_pairs(project, make_rank_tasks(2, k=3))
    name, token = backend.user()
    source, _, _ = open_remote(
        backend.url, project, token, annotator=name, out=tmp_path / "a.jsonl", batch_size=2
    )
    try:
        _wait(lambda: len(source.rank_leases()) == 2, "both ranking leases")
        rank = RankSource(source)
        view = rank.rank_view()
        assert view is not None
        on_screen = view.task.id
        first = rank.record(Choice.A, 2, Draft(), 100)
        assert first.pair_id == on_screen

        sleep_until(max(ts(i.expires_at) for i in source.rank_items) + 0.1)
        notices: list[str] = []

        def told() -> bool:
            notices.extend(rank.take_notices())
            return any(on_screen in n for n in notices) and any(
                "ranking task(s)" in n for n in notices
            )

        _wait(told, "the notices of the lost ranking leases")
        named = next(n for n in notices if on_screen in n)
        assert "after 1 comparison(s)" in named and "journal" in named, notices
        assert any(n.startswith("1 leased ranking task(s) ran out") for n in notices), notices
        assert not any("leased pair(s)" in n for n in notices), notices

        # The started task is still there, with its comparison: the next answer continues it.
        again = rank.rank_view()
        assert again is not None and again.task.id == on_screen and again.asked == 1
        while (view := rank.rank_view()) is not None and view.task.id == on_screen:
            rank.record(Choice.A, 2, Draft(), 100)
        ranking = next(r for r in source.state.active_rankings(name) if r.pair_id == on_screen)
        assert first.id in ranking.comparisons
        assert source.wait_idle(30)
        # Accepted: a ranking under the author's own lapsed lease is taken while the task
        # has a free slot (as a verdict on a pair is), with every comparison it names.
        assert source.rejected == []
        stored = _stored(backend, project)
        assert {x["id"] for x in stored if x["kind"] == "comparison"} == {
            str(c) for c in ranking.comparisons
        }
        assert [x["id"] for x in stored if x["kind"] == "ranking"] == [str(ranking.id)]
    finally:
        source.close(flush_seconds=1.0)


def test_a_ranking_lease_given_back_is_told_and_the_refused_ranking_kept(
    backend: Backend, tmp_path: Path
) -> None:
    """A lease given back and taken by someone else: the ranking finished under it anyway is
    refused. The loss and the refusal are told; the ranking and its comparisons stay in the
    journal (listed as rejected)."""
    project = backend.project(overlap=1, lease_ttl=TTL)
    backend.add_pairs(project, make_rank_tasks(1, k=3))
    name, token = backend.user()
    _, other = backend.user()
    source, _, _ = open_remote(
        backend.url, project, token, annotator=name, out=tmp_path / "a.jsonl", batch_size=2
    )
    try:
        _wait(lambda: len(source.rank_leases()) == 1, "the ranking lease")
        rank = RankSource(source)
        view = rank.rank_view()
        assert view is not None
        on_screen = view.task.id
        rank.record(Choice.B, 1, Draft(), 100)
        rank.record(Choice.A, 3, Draft(), 100)
        lease = source.rank_leases()[0].lease_id
        with (
            TaskClient(backend.url, project, token) as c,
            TaskClient(backend.url, project, other) as b,
        ):
            assert [s.status for s in c.release([lease])] == ["released"]
            assert [i.pair.id for i in b.lease(1).leases] == [on_screen]
        _wait(
            lambda: any(
                on_screen in n and "after 2 comparison(s)" in n for n in rank.take_notices()
            ),
            "the notice naming the task and its comparisons",
        )
        while (view := rank.rank_view()) is not None and view.task.id == on_screen:
            rank.record(Choice.A, 2, Draft(), 100)
        ranking = next(r for r in source.state.active_rankings(name) if r.pair_id == on_screen)
        assert len(ranking.comparisons) >= 2
        assert source.wait_idle(30)
        assert [a.judgment_id for a in source.rejected] == [ranking.id]
        _wait(
            lambda: any("refused" in n and on_screen in n for n in rank.take_notices()),
            "the notice of the refusal",
        )
        kept = read_journal(tmp_path / "a.jsonl")
        ids = {getattr(e, "id", None) for e in kept}
        assert ranking.id in ids and set(ranking.comparisons) <= ids
    finally:
        source.close(flush_seconds=1.0)


def test_a_task_leased_again_after_its_lease_was_lost_is_ranked_under_the_new_lease(
    server: Backend, tmp_path: Path
) -> None:
    """The same task under two leases, the first lost: the ranking closes the live one. It
    was given to the first lease found, the lost one, so the live lease stayed open and the
    task was served again after it was ranked (and its lease later released as unjudged)."""
    project = server.project(overlap=1, lease_ttl=TTL)
    server.add_pairs(project, make_rank_tasks(1, k=3))
    name, token = server.user()
    source, _, _ = open_remote(
        server.url, project, token, annotator=name, out=tmp_path / "a.jsonl", batch_size=2
    )
    source.tick_seconds = 0.1
    try:
        _wait(lambda: len(source.rank_leases()) == 1, "the ranking lease")
        rank = RankSource(source)
        task = rank.rank_view().task
        rank.record(Choice.A, 2, Draft(), 100)
        first = source.rank_leases()[0].lease_id
        with TaskClient(server.url, project, token) as c:
            assert [s.status for s in c.release([first])] == ["released"]
        _wait(lambda: first in source._lost, "the loss heard")

        def leased_again() -> bool:
            # Ask again every tick, not after the 30 s pause an empty answer starts: a lease
            # the refill made (and dropped) before the loss was heard holds the task for a TTL.
            source._exhausted_at = 0.0
            source._wake.set()
            return sum(i.pair.id == task.id for i in source.rank_items) == 2

        _wait(leased_again, "the task leased again")
        second = next(i.lease_id for i in source.rank_items if i.lease_id != first)
        assert [i.lease_id for i in source.rank_leases()] == [second]
        while (view := rank.rank_view()) is not None and view.task.id == task.id:
            rank.record(Choice.A, 2, Draft(), 100)
        assert set(source._ranked) == {second}
        assert source.rank_leases() == [] and rank.rank_view() is None
        assert source.wait_idle(30) and source.rejected == []
    finally:
        source.close(flush_seconds=1.0)
