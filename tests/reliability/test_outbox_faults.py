"""Remote mode's journal-as-outbox through the faulty network, with a restart half-way: every
verdict the annotator made reaches the server exactly once and is acknowledged in the journal."""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import select

from rankterm.core.model import Choice
from rankterm.server import tables as t
from rankterm.server.core import get_project
from rankterm.sources.base import Draft
from rankterm.sources.remote import open_remote
from rankterm.storage.journal import read_journal, replay
from tests.reliability.httpfaults import HttpFaultProxy
from tests.reliability.serverstack import make_pairs, stack

RATES = {"drop": 0.05, "delay": 0.1, "reset": 0.05, "cut": 0.05, "duplicate": 0.1, "replay": 0.05}
PER_SESSION = 60


def judge(source, n: int) -> int:
    """Record up to n verdicts as the TUI would; returns how many were made."""
    made = 0
    deadline = time.monotonic() + 300
    while made < n:
        view = source.current()
        if view is None:  # waiting for leases to arrive through the faulty network
            assert time.monotonic() < deadline, f"no pairs arrived: {source.progress()}"
            time.sleep(0.1)
            continue
        source.record(Choice.A if made % 3 else Choice.TIE, 2 if made % 3 else None, Draft(), 50)
        made += 1
    return made


def test_outbox_delivers_every_verdict_once_through_faults_and_a_restart(tmp_path):
    with stack("sqlite", tmp_path) as s:
        project = s.project("outbox", make_pairs(400), overlap=1)
        token = s.user("olga")
        journal = tmp_path / "olga.jsonl"
        host, port = s.url.removeprefix("http://").split(":")
        with HttpFaultProxy((host, int(port)), RATES, seed=99) as proxy:
            for _ in range(2):  # two sessions on one journal: the second resends what is left
                source, _, _ = open_remote(
                    proxy.url, project, token, annotator="olga", out=journal, batch_size=10
                )
                source.tick_seconds = 0.2
                judge(source, PER_SESSION)
                source.close(flush_seconds=0.5)  # quit before everything is delivered
            source, _, _ = open_remote(
                proxy.url, project, token, annotator="olga", out=journal, batch_size=10
            )
            source.tick_seconds = 0.2
            assert source.wait_idle(timeout=300), f"still pending: {source.progress()}"
            source.close()
        counts = dict(proxy.counts)

        state = replay(read_journal(journal))
        mine = state.active("olga")
        assert len(mine) == 2 * PER_SESSION
        assert all(state.acks[j.id].status in ("accepted", "duplicate") for j in mine)
        with s.db.read() as conn:
            pid = get_project(conn, project).id
            stored = Counter(
                conn.execute(
                    select(t.judgments.c.id).where(t.judgments.c.project_id == pid)
                ).scalars()
            )
        assert sorted(stored) == sorted(j.id for j in mine)
        assert set(stored.values()) == {1}
    print(f"\noutbox through faults: {len(mine)} verdicts stored once; requests: {counts}")
