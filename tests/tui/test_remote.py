"""Remote mode end to end: the TUI against a real server process, which dies mid-session."""

from __future__ import annotations

import asyncio
import time

import pytest

from rankterm.config import Settings
from rankterm.sources.base import SyncState
from rankterm.sources.client import TaskClient
from rankterm.sources.remote import open_remote
from rankterm.storage.journal import read_journal, replay
from rankterm.tui.app import make_app
from tests.helpers import pair_record
from tests.serverproc import admin, alice_project

pytest.importorskip("fastapi")


@pytest.fixture
def project(tmp_path):
    with alice_project(tmp_path, 8) as running:
        yield running


async def wait_until(predicate, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_verdicts_survive_a_dead_server_and_arrive_exactly_once(project, tmp_path):
    server, token = project
    journal = tmp_path / "alice.jsonl"
    source, guide, issues = open_remote(
        server.url, "demo", token, annotator="ignored", out=journal, batch_size=6
    )
    source.tick_seconds = 0.2
    assert source.annotator == "alice"  # the server says who the token belongs to
    app = make_app(source, Settings(annotator="alice"), guide, load_issues=issues)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(lambda: app.screen.view is not None)
        for key in ("1", "4", "7"):
            await pilot.press(key)
        await wait_until(lambda: source.progress().sync is SyncState.SYNCED)
        await wait_until(lambda: source.progress().pending_sync == 0)

        server.kill()
        for key in ("0", "right"):
            await pilot.press(key)  # still leased locally: the annotator keeps working
        await wait_until(lambda: source.progress().sync is SyncState.OFFLINE)
        assert source.progress().pending_sync == 2
        # The sync thread's SyncChanged repaints the status bar.
        await wait_until(lambda: "offline" in str(app.screen.query_one("#status").render()))

        server.start()
        await wait_until(lambda: source.progress().pending_sync == 0, timeout=40)
        await pilot.press("q")
    source.close()

    state = replay(read_journal(journal))
    mine = state.active("alice")
    assert len(mine) == 5
    assert all(state.acks[j.id].status == "accepted" for j in mine)
    with TaskClient(server.url, "demo", token) as client:
        assert client.progress()["judged"] == 5  # exactly once: no duplicates, none lost


async def test_restart_offline_continues_with_cached_leases(project, tmp_path):
    server, token = project
    journal = tmp_path / "alice.jsonl"
    source, _, _ = open_remote(server.url, "demo", token, annotator="alice", out=journal)
    await wait_until(lambda: source.current() is not None)
    first = source.current().pair.id
    source.close(flush_seconds=0)  # quit without releasing (server unreachable next)
    server.kill()

    source, _, _ = open_remote(server.url, "demo", token, annotator="alice", out=journal)
    try:
        assert source.progress().sync is SyncState.OFFLINE
        assert source.current() is not None and source.current().pair.id == first
    finally:
        source.close(flush_seconds=0)


async def test_project_criteria_reach_the_annotation_screen_online_and_offline(tmp_path):
    journal = tmp_path / "alice.jsonl"
    criteria = ("--criterion", "helpfulness", "--criterion", "honesty")
    with alice_project(tmp_path, 4, *criteria, project="crit") as (server, token):
        source, _guide, _issues = open_remote(server.url, "crit", token, annotator="a", out=journal)
        assert source.criteria == ["helpfulness", "honesty"]
        app = make_app(source, Settings(annotator="alice", criteria=["fluency"]), _guide)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(lambda: app.screen.view is not None)
            # The configured criteria first, then the project's.
            assert app.screen.criteria == ["fluency", "helpfulness", "honesty"]
            await pilot.press("q")
        source.close()
    # Offline start: the criteria come from the copy kept beside the journal.
    source, _guide, _issues = open_remote(server.url, "crit", token, annotator="alice", out=journal)
    try:
        assert source.criteria == ["helpfulness", "honesty"]
    finally:
        source.close()


def _all_repeats_session(server, token: str, journal):
    """A remote session on a project where every lease that can be a blind repeat is one."""
    admin(server.db, "project", "set", "demo", "--repeat-rate", "1", "--repeat-gap", "0")
    source, guide, issues = open_remote(
        server.url, "demo", token, annotator="alice", out=journal, batch_size=2
    )
    source.tick_seconds = 0.2
    return source, make_app(source, Settings(annotator="alice"), guide, load_issues=issues)


async def test_blind_repeats_are_shown_and_judged_blind(project, tmp_path):
    """A repeat is a second lease on a pair the annotator judged this session: it must come up
    again (not be taken for done), without the first verdict, and reach the server as a repeat."""
    server, token = project
    journal = tmp_path / "alice.jsonl"
    source, app = _all_repeats_session(server, token, journal)
    seen: list[tuple[str, bool]] = []
    async with app.run_test(size=(100, 30)) as pilot:
        for key in ("1", "7", "1", "7", "1", "7"):
            await wait_until(lambda: app.screen.view is not None)
            view = app.screen.view
            seen.append((view.pair.id, view.existing is not None))
            await pilot.press(key)
            await wait_until(lambda: source.progress().pending_sync == 0)
        await pilot.press("q")
    source.close()
    assert not any(existing for _, existing in seen), "a repeat showed the earlier verdict"
    ids = [pair_id for pair_id, _ in seen]
    repeated = len(ids) - len(set(ids))
    assert repeated >= 1, f"no blind repeat came up: {ids}"
    with TaskClient(server.url, "demo", token) as client:
        progress = client.progress()
    assert progress["judged"] == len(ids)  # repeats count like any verdict, never apart
    assert "repeats" not in progress


async def test_a_cached_blind_repeat_survives_a_restart(project, tmp_path):
    server, token = project
    journal = tmp_path / "alice.jsonl"
    source, app = _all_repeats_session(server, token, journal)
    judged: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        for key in ("1", "7"):
            await wait_until(lambda: app.screen.view is not None)
            judged.append(app.screen.view.pair.id)
            await pilot.press(key)
        # The refill after the first verdict leased a repeat of it.
        await wait_until(lambda: any(i.pair.id == judged[0] for i in source.items[2:]))
        await wait_until(lambda: source.progress().pending_sync == 0)
        await pilot.press("q")
    source.close(flush_seconds=0)  # no release: the leases stay cached
    server.kill()

    source, _, _ = open_remote(server.url, "demo", token, annotator="alice", out=journal)
    try:
        assert source.progress().sync is SyncState.OFFLINE
        on_hand = [i.pair.id for i in source.items]
        assert judged[0] in on_hand, "the cached repeat was taken for judged"
        assert judged[1] not in on_hand
    finally:
        source.close(flush_seconds=0)


def test_status_line_never_says_synced_with_verdicts_pending_nor_counts_back(tmp_path):
    """Issue 14 item 15: a verdict just made is pending, never "synced (1 pending)"; and the
    counter never steps back when a gold item's verdict reaches the server (it did: "1/49"
    after a gold pair, which told the annotator the item was gold)."""
    from rankterm.core.model import Choice
    from rankterm.sources.base import Draft
    from rankterm.tui.widgets.status_bar import status_text

    records = [pair_record(i) for i in range(6)] + [
        pair_record(100 + i, gold="A") for i in range(4)
    ]
    journal = tmp_path / "alice.jsonl"
    options = ("--overlap", "1", "--gold-rate", "0.5")
    with alice_project(tmp_path, records, *options, project="mixed") as (server, token):
        source, _, _ = open_remote(
            server.url, "mixed", token, annotator="alice", out=journal, batch_size=10
        )
        source.tick_seconds = 0.1
        try:
            deadline = time.monotonic() + 60
            while source.current() is None or source.progress().sync is not SyncState.SYNCED:
                assert time.monotonic() < deadline, source.progress()
                time.sleep(0.05)
            gold_ids = {r["id"] for r in records if "gold" in r}
            shown, counts, lines = [], [], []
            while (view := source.current()) is not None:
                shown.append(view.pair.id)
                # Holding the source's lock keeps the sync thread from delivering meanwhile:
                # the status right after a verdict, before any delivery.
                with source._lock:
                    source.record(Choice.A, 2, Draft(), 1000)
                    progress = source.progress()
                    lines.append(str(status_text("alice", progress, None, 120)))
                    counts.append(progress.done)
                assert source.wait_idle(30)
                source._fetch_progress()  # what the sync thread does every 10 s
                counts.append(source.progress().done)
            assert set(shown) & gold_ids, f"no gold item was served: {shown}"
            assert all("synced (" not in line for line in lines), lines
            assert counts == sorted(counts), f"the counter stepped back: {counts}"
            assert counts[-1] == len(shown)
        finally:
            source.close()
