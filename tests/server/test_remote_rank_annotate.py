"""Remote annotate of K-way ranking tasks (issue #16): the ranking screen works on tasks
leased from a real server; every comparison is in the journal before the next question, the
finished ranking reaches the server with its comparisons, a crash mid-ranking resumes at the
same question. SQLite always, PostgreSQL with RANKTERM_TEST_PG."""

from __future__ import annotations

import time

import orjson

from rankterm.config import Settings
from rankterm.core.model import Choice, check_full_order
from rankterm.server import reports
from rankterm.server.core import get_project
from rankterm.sources.base import Draft
from rankterm.sources.ranking import RankSource
from rankterm.sources.remote import open_remote
from rankterm.storage.journal import read_journal
from rankterm.tui.app import make_app
from tests.rank.test_rank_screen import press, settle
from tests.server.conftest import Backend, make_pairs
from tests.server.rank_helpers import make_rank_tasks


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _stored(backend: Backend, project: str) -> list[dict]:
    with backend.db.read() as conn:
        proj = get_project(conn, project)
    return [orjson.loads(x) for x in reports.export_lines(backend.db, proj)]


def _kinds(journal) -> list[str]:
    return [r.kind for r in read_journal(journal)]


async def test_annotate_ranks_leased_tasks_on_the_ranking_screen(backend: Backend, tmp_path):
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(2, k=4) + make_pairs(1))
    name, token = backend.user()
    journal = tmp_path / "alice.jsonl"
    source, guide, _issues = open_remote(backend.url, project, token, annotator=name, out=journal)
    source.tick_seconds = 0.1
    try:
        assert source.first_pass.wait(30)
        _wait(lambda: len(source.rank_leases()) == 2)
        rank = RankSource(source)
        app = make_app(source, Settings(annotator=name), guide, rank_source=rank)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            assert type(app.screen).__name__ == "RankScreen"
            pressed = 0
            while rank.progress().done < 2:
                assert pressed < 20, "a ranking of 4 takes at most 5 comparisons"
                await press(pilot, app, "1" if pressed % 2 else "3")
                pressed += 1
                # Durable before the next question shows.
                assert _kinds(journal).count("comparison") == pressed
            assert rank.progress().done == 2 and source.rank_leases() == []
            # Every ranking done: on to the leased pair, on the pairwise screen.
            for _ in range(40):
                if type(app.screen).__name__ == "AnnotateScreen":
                    break
                await pilot.pause(0.05)
            assert type(app.screen).__name__ == "AnnotateScreen"
            await settle(pilot, app)
            assert app.screen.view is not None and app.screen.view.pair.id == "p00000"
            await press(pilot, app, "2")
            assert source.wait_idle(30)
            await pilot.press("q")
        assert source.rejected == []
    finally:
        source.close()

    mine = {r.id: r for r in read_journal(journal) if r.kind in ("comparison", "ranking")}
    stored = _stored(backend, project)
    rankings = [x for x in stored if x.get("kind") == "ranking"]
    assert sorted(x["pair_id"] for x in rankings) == ["r00000", "r00001"]
    stored_steps = {x["id"] for x in stored if x.get("kind") == "comparison"}
    for x in rankings:
        ours = mine[_uuid(x["id"])]
        assert x["order"] == ours.order
        check_full_order(ours.order, 4)
        assert {str(c) for c in ours.comparisons} <= stored_steps
        assert len(ours.comparisons) >= 3  # at least K-1 comparisons place 4 candidates
    assert any(x.get("kind") == "judgment" and x["pair_id"] == "p00000" for x in stored)


def _uuid(text: str):
    import uuid

    return uuid.UUID(text)


def test_a_crash_mid_ranking_resumes_at_the_same_question_and_sends_once(
    backend: Backend, tmp_path
):
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=5))
    name, token = backend.user()
    journal = tmp_path / "bob.jsonl"
    source, _, _ = open_remote(backend.url, project, token, annotator=name, out=journal)
    source.tick_seconds = 0.1
    _wait(lambda: len(source.rank_leases()) == 1)
    rank = RankSource(source)
    made = [rank.record(Choice.A, 2, Draft(), 500), rank.record(Choice.B, 1, Draft(), 400)]
    before = rank.rank_view()
    assert before is not None and before.asked == 2
    # The process dies: no release, no last delivery; the comparisons are in the journal.
    source._stop.set()
    source._wake.set()
    source._thread.join(10)
    source.client.close()
    source.session.close()
    assert not [x for x in _stored(backend, project) if x.get("kind") == "comparison"]

    again, _, _ = open_remote(backend.url, project, token, annotator=name, out=journal)
    try:
        again.tick_seconds = 0.1
        rank = RankSource(again)
        view = rank.rank_view()
        assert view is not None and view.task.id == before.task.id
        assert view.question == before.question and view.asked == 2
        assert [c.id for c in view.known] == [c.id for c in made]
        for _ in range(12):
            if rank.rank_view() is None:
                break
            rank.record(Choice.A, 1, Draft(), 300)
        assert rank.rank_view() is None and again.rank_leases() == []
        assert again.wait_idle(30)
        assert again.rejected == []
    finally:
        again.close()
    stored = _stored(backend, project)
    rankings = [x for x in stored if x.get("kind") == "ranking"]
    assert len(rankings) == 1
    steps = [x["id"] for x in stored if x.get("kind") == "comparison"]
    assert len(steps) == len(set(steps))  # once each
    assert {str(c.id) for c in made} <= set(steps)


async def test_a_ranking_task_leased_after_the_pairs_takes_over_the_screen(
    server: Backend, tmp_path
):
    """One lease at a time: the pair (higher priority) comes first, on the pairwise screen;
    the ranking task leased after its verdict brings up the ranking screen."""
    from rankterm.core.model import Pair

    project = server.project(overlap=1)
    pair = Pair(id="p-first", prompt="q", response_a="a", response_b="b", priority=10)
    server.add_pairs(project, [pair, *make_rank_tasks(1, k=3)])
    name, token = server.user()
    journal = tmp_path / "carol.jsonl"
    source, guide, _ = open_remote(
        server.url, project, token, annotator=name, out=journal, batch_size=1
    )
    source.tick_seconds = 0.1
    try:
        assert source.first_pass.wait(30)
        _wait(lambda: source.current() is not None)
        assert source.rank_leases() == []
        rank = RankSource(source)
        app = make_app(source, Settings(annotator=name), guide, rank_source=rank)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            assert type(app.screen).__name__ == "AnnotateScreen"
            await press(pilot, app, "2")
            for _ in range(400):
                if type(app.screen).__name__ == "RankScreen":
                    break
                await pilot.pause(0.05)
            assert type(app.screen).__name__ == "RankScreen"
            await settle(pilot, app)
            for key in ("1", "3", "1", "3"):
                if rank.progress().done:
                    break
                await press(pilot, app, key)
            assert rank.progress().done == 1
            assert source.wait_idle(30)
            await pilot.press("q")
        assert source.rejected == []
    finally:
        source.close()
    kinds = [x.get("kind") for x in _stored(server, project)]
    assert kinds.count("ranking") == 1 and kinds.count("judgment") == 1


def test_a_ranking_finished_offline_waits_in_the_journal_and_goes_on_reconnect(tmp_path):
    """The server dies mid-ranking: the ranking is finished offline (every comparison still
    journaled), counted as not delivered, and reaches the server once it is back."""
    from pathlib import Path

    from rankterm.sources.base import SyncState
    from tests.serverproc import ServerProcess, admin

    samples = Path(__file__).resolve().parents[2] / "sample_data"
    tasks = tmp_path / "rank4.jsonl"
    plain = [x for x in (samples / "rank4.jsonl").read_text().splitlines() if '"gold"' not in x]
    tasks.write_text(plain[0] + "\n")  # a gold task is only served at the gold rate
    db = f"sqlite:///{tmp_path / 'server.sqlite'}"
    admin(db, "project", "create", "demo", "--overlap", "1")
    admin(db, "user", "add", "dora", "--role", "annotator")
    admin(db, "project", "add-member", "demo", "dora")
    token = admin(db, "token", "create", "dora").split()[0]
    admin(db, "import", "demo", str(tasks))
    proc = ServerProcess(db, log=tmp_path / "server.log").start()
    try:
        source, _, _ = open_remote(
            proc.url, "demo", token, annotator="dora", out=tmp_path / "dora.jsonl"
        )
        source.tick_seconds = 0.1
        try:
            _wait(lambda: len(source.rank_leases()) == 1)
            rank = RankSource(source)
            rank.record(Choice.A, 2, Draft(), 100)
            proc.kill()
            _wait(lambda: source.progress().sync is SyncState.OFFLINE)
            for _ in range(10):
                if rank.rank_view() is None:
                    break
                rank.record(Choice.B, 1, Draft(), 100)
            assert rank.rank_view() is None and rank.progress().done == 1
            assert rank.pending == 1  # the ranking, kept in the journal
            proc.start()
            assert source.wait_idle(40)
            assert rank.pending == 0 and source.rejected == []
        finally:
            source.close()
        stored = [orjson.loads(x) for x in admin(db, "export", "demo", "-o", "-").splitlines()]
        rankings = [x for x in stored if x.get("kind") == "ranking"]
        assert len(rankings) == 1
        steps = {x["id"] for x in stored if x.get("kind") == "comparison"}
        assert set(rankings[0]["comparisons"]) <= steps and len(steps) >= 3
    finally:
        proc.stop()


def test_a_rationale_the_server_would_refuse_is_refused_before_it_is_journaled(
    server: Backend, tmp_path
):
    import pytest

    from rankterm.core.errors import RanktermError
    from rankterm.core.limits import MAX_TEXT

    project = server.project(overlap=1)
    server.add_pairs(project, make_rank_tasks(1, k=3))
    name, token = server.user()
    journal = tmp_path / "erin.jsonl"
    source, _, _ = open_remote(server.url, project, token, annotator=name, out=journal)
    try:
        _wait(lambda: len(source.rank_leases()) == 1)
        rank = RankSource(source)
        with pytest.raises(RanktermError, match="rationale"):
            rank.record(Choice.A, 2, Draft(rationale="x" * (MAX_TEXT + 1)), 100)
        with pytest.raises(RanktermError, match="rationale"):
            rank.type_order("ABC", Draft(rationale="x" * (MAX_TEXT + 1)))
        assert "comparison" not in _kinds(journal) and "ranking" not in _kinds(journal)
        rank.record(Choice.A, 2, Draft(rationale="fine"), 100)
        assert _kinds(journal).count("comparison") == 1
    finally:
        source.close()
