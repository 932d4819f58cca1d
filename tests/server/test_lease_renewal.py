"""Lease renewal, checked by what it is for: a renewed lease keeps its slot past its first expiry.

A renew that only answers with a later ``expires_at`` (and leaves the row alone) would look
fine to a test comparing the response's timestamps. These tests instead let the original
expiry pass on a real server and ask it, through another annotator, whether the slot is
still held. The TTL is a few seconds and a lease lives at most about two TTLs, far inside any
cap on a lease's total lifetime.

Times are compared with the server's ``expires_at`` (same host, same clock), and each check
is made with about a second of margin on both sides, so a slow machine does not decide.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from rankterm.model import Choice
from rankterm.sources.base import Draft
from rankterm.sources.client import TaskClient
from rankterm.sources.remote import open_remote, renew_interval
from tests.server.conftest import Backend, judgment

TTL = 3  # seconds


def client(backend: Backend, project: str, token: str) -> TaskClient:
    return TaskClient(backend.url, project, token)


def sleep_until(when: float) -> None:
    time.sleep(max(0.0, when - time.time()))


def ts(moment: datetime) -> float:
    return moment.timestamp()


def test_a_renewed_lease_holds_its_slot_past_its_first_expiry(backend: Backend) -> None:
    project = backend.project(n_pairs=2, overlap=1, lease_ttl=TTL)
    a, ta = backend.user()
    _, tb = backend.user()
    with client(backend, project, ta) as ca, client(backend, project, tb) as cb:
        kept, dropped = ca.lease(2).leases
        first_expiry = ts(kept.expires_at)
        assert ts(dropped.expires_at) == first_expiry
        assert cb.lease(2).exhausted

        # Renew one of the two a second before it would expire: it now runs one TTL from here.
        sleep_until(first_expiry - 1.0)
        status = ca.renew([kept.lease_id])[0]
        assert status.status == "renewed" and status.expires_at is not None
        new_expiry = ts(status.expires_at)
        assert new_expiry >= first_expiry + 1.5, (first_expiry, new_expiry)

        # A second past the first expiry (and a second before the new one), b asks for work.
        # The lease that was not renewed is reclaimed and goes to b; the renewed one stays a's.
        sleep_until(first_expiry + 1.0)
        got = cb.lease(2).leases
        answered = time.time()
        assert answered < new_expiry, "too slow to tell: b's answer came after the new expiry"
        assert [i.pair.id for i in got] == [dropped.pair.id]

        # a's verdict on the renewed lease is taken, and it completes the pair.
        assert ca.submit([judgment(kept.pair.id, a)])[0].status == "accepted"
        assert cb.lease(2).exhausted
        assert ca.renew([dropped.lease_id])[0].status == "expired"


def test_the_remote_sources_renew_loop_keeps_a_long_sessions_leases(
    backend: Backend, tmp_path: Path
) -> None:
    """An annotator who spends longer than the TTL on a batch keeps it: the source renews."""
    project = backend.project(n_pairs=2, overlap=1, lease_ttl=TTL)
    a, ta = backend.user()
    _, tb = backend.user()
    source, _, _ = open_remote(
        backend.url, project, ta, annotator=a, out=tmp_path / "a.jsonl", batch_size=2
    )
    try:
        deadline = time.monotonic() + 30
        while len(source.items) < 2:
            assert time.monotonic() < deadline, "the source never leased its batch"
            time.sleep(0.05)
        first_expiry = min(ts(i.expires_at) for i in source.items)
        with client(backend, project, tb) as cb:
            assert cb.lease(2).exhausted
            # Past the first expiry by a third of a TTL, then by two thirds: still a's.
            for after in (TTL / 3, 2 * TTL / 3):
                sleep_until(first_expiry + after)
                assert cb.lease(2).exhausted, f"a's leases were lost {after:.1f} s after expiry"
            for _ in range(2):
                view = source.current()
                assert view is not None
                source.record(Choice.A, 2, Draft(), 1000)
            assert source.wait_idle(timeout=30)
            acks = list(source.state.acks.values())
            assert [ack.status for ack in acks] == ["accepted", "accepted"], acks
            assert cb.lease(2).exhausted
    finally:
        source.close(flush_seconds=1.0)


def test_the_renew_interval_follows_the_projects_ttl() -> None:
    assert renew_interval(1800) == 60.0  # the usual TTL: once a minute, as before
    assert renew_interval(3) == 1.0
    assert renew_interval(None) == renew_interval(0) == renew_interval("x") == 60.0
