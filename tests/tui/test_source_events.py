"""The annotation screen is told, not polling: sources report their own changes (late bad
lines, checking progress, sync state) through ``SourceEvents``; the app posts them as
messages; no repeating timer runs on the screen. And a background worker that fails is
logged and, when it matters, reported to the annotator."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

import rankterm.sources.local as local_module
from rankterm.config import Settings
from rankterm.guidelines import find_guidelines
from rankterm.sources.base import SourceEvent, SourceEvents, SyncState
from rankterm.sources.local import LocalSource, open_local
from rankterm.storage.index import PairIndex, index_pairs
from rankterm.storage.journal import Journal, read_journal, replay
from rankterm.tui.app import make_app
from rankterm.tui.screens.annotate import worker_failure_notice
from tests.helpers import pair_record, write_pairs


def repeating_timers(app) -> list:
    """Timers of rankterm's own set to run forever (``set_interval``) on the app or the
    annotation screen (Textual's ``screen_update`` timer is its own business)."""
    return [
        t
        for node in (app, app.screen)
        for t in node._timers
        if t._repeat is None and getattr(t._callback, "__module__", "").startswith("rankterm")
    ]


def status(app) -> str:
    return str(app.screen.query_one("#status").render())


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def settle(pilot, rounds: int = 5) -> None:
    """Let posted messages be handled (no wall-clock wait: a timer would need one)."""
    for _ in range(rounds):
        await pilot.pause()


def test_a_failing_listener_is_logged_not_raised(caplog):
    events = SourceEvents()
    told: list[SourceEvent] = []

    def broken(event: SourceEvent) -> None:
        raise RuntimeError("the UI went away")

    events.subscribe(broken)
    unsubscribe = events.subscribe(told.append)
    with caplog.at_level(logging.ERROR):
        events.emit(SourceEvent.SYNC)  # a sync thread must not die of its listener
    assert told == [SourceEvent.SYNC]
    assert "source listener failed" in caplog.text
    unsubscribe()
    events.emit(SourceEvent.ISSUES)
    assert told == [SourceEvent.SYNC]


async def test_late_bad_line_from_background_check_appears_without_polling(tmp_path, monkeypatch):
    monkeypatch.setattr(local_module, "EAGER_BELOW_BYTES", 0)  # background even when small
    monkeypatch.setattr(local_module, "HEAD_RECORDS", 0)  # the whole index at once
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # The background check starts only once the screen is up, so what it finds can only
    # reach the screen as an event (not the one look at startup).
    gate = threading.Event()
    checking = PairIndex._background

    def gated(self, save_first):
        gate.wait(30)
        checking(self, save_first)

    monkeypatch.setattr(PairIndex, "_background", gated)
    bad = {7: b'{"id": "bad-late", "prompt": "p", "response_a": "a"}'}  # the last line
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(7)], raw_lines=bad)
    source, guide, issues = open_local(pairs, annotator="tester")
    assert issues == []
    app = make_app(source, Settings(annotator="tester"), guide, load_issues=issues)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.screen.view is not None
        assert "checking file" in status(app)
        assert "8" in status(app)  # the bad record still counts until it is found
        assert repeating_timers(app) == []
        gate.set()
        assert await asyncio.to_thread(source.wait_validated, 30)
        await settle(pilot)
        late = [m for m in messages(app) if "more bad line(s) found and skipped" in m]
        shown_status = status(app)
        await pilot.press("q")
    source.close()
    assert late and "pairs.jsonl:8: response_b" in late[0], messages
    assert "checking file" not in shown_status  # repainted on the check's end, unasked
    assert "/7" in shown_status.replace(" ", ""), shown_status


async def test_remote_status_goes_offline_without_polling(tmp_path):
    pytest.importorskip("fastapi")
    from rankterm.sources.remote import open_remote
    from tests.serverproc import ServerProcess, admin
    from tests.tui.test_remote import wait_until

    db = f"sqlite:///{tmp_path / 'server.sqlite'}"
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(4)])
    admin(db, "project", "create", "demo", "--overlap", "1")
    admin(db, "user", "add", "alice", "--role", "annotator")
    admin(db, "project", "add-member", "demo", "alice")
    token = admin(db, "token", "create", "alice").split()[0]
    admin(db, "import", "demo", str(pairs))
    server = ServerProcess(db, log=tmp_path / "server.log").start()
    try:
        source, guide, issues = open_remote(
            server.url, "demo", token, annotator="alice", out=tmp_path / "alice.jsonl"
        )
        source.tick_seconds = 0.2
        app = make_app(source, Settings(annotator="alice"), guide, load_issues=issues)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(lambda: app.screen.view is not None)
            assert repeating_timers(app) == []
            await wait_until(lambda: "synced" in status(app))
            server.kill()
            await wait_until(lambda: source.progress().sync is SyncState.OFFLINE)
            # The sync thread's event reaches the status line: no timer asks for it.
            await wait_until(lambda: "offline" in status(app))
            await pilot.press("q")
        source.close(flush_seconds=0)
    finally:
        server.stop()


class FailingAhead(LocalSource):
    """A source whose disk fails when reading ahead (the pair after the one on screen)."""

    def peek_next(self):
        raise OSError(5, "Input/output error", str(self.pairs.path))


async def test_failed_prerender_is_logged_and_told_and_no_verdict_lost(tmp_path, caplog):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    journal = Journal.open(tmp_path / "journal.jsonl")
    source = FailingAhead(index_pairs(pairs), journal, "tester")
    app = make_app(source, Settings(annotator="tester"), find_guidelines(None, None))
    with caplog.at_level(logging.ERROR, logger="rankterm.tui"):
        async with app.run_test(size=(100, 30)) as pilot:
            await _wait_for(pilot, lambda: any("next pair ahead" in m for m in messages(app)))
            first = app.screen.view.pair.id
            await pilot.press("1")  # the verdict is still recorded, the next pair shown
            await settle(pilot)
            assert app.screen.view is not None and app.screen.view.pair.id != first
            await pilot.press("q")
    source.close()
    assert "worker 'prepare_next' (group prerender) failed" in caplog.text
    assert "Input/output error" in caplog.text
    state = replay(read_journal(tmp_path / "journal.jsonl"))
    assert [j.pair_id for j in state.active("tester")] == [first]


def test_worker_failure_notices():
    assert worker_failure_notice("prerender", ValueError("render bug")) is None
    assert "next pair ahead" in worker_failure_notice("prerender", OSError("gone"))
    assert "only its start is shown" in worker_failure_notice("finish", MemoryError())
    assert worker_failure_notice("preload", ImportError("x")) is None


async def _wait_for(pilot, predicate, rounds: int = 200) -> None:
    for _ in range(rounds):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")
