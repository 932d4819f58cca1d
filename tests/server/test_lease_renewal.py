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

from rankterm.core.model import Choice
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


def _wait(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_lease_the_server_lets_go_is_told_and_its_verdict_reported(
    backend: Backend, tmp_path: Path
) -> None:
    """Issue 13: renewals answered ``expired`` were ignored. The source went on serving the
    pairs of dead leases, the annotator judging the one on screen was not told, and a verdict
    the server then refused was only a count in the status bar. Now the lost lease on screen
    is told at once (notice and status line), unseen pairs whose leases are gone are taken off
    the queue, and the verdict made anyway is still journaled, sent and, when refused, told."""
    # Leases live at most 2 s whatever the renewals: the renew loop (every TTL/3 = 1 s) hears
    # "expired" for both within about three seconds.
    project = backend.project(n_pairs=2, overlap=1, lease_ttl=TTL, lease_max_age=2)
    a, ta = backend.user()
    _, tb = backend.user()
    source, _, _ = open_remote(
        backend.url, project, ta, annotator=a, out=tmp_path / "a.jsonl", batch_size=2
    )
    try:
        _wait(lambda: len(source.items) >= 2, "the batch")
        view = source.current()
        assert view is not None
        on_screen = view.pair.id
        # Once the leases have run out, b takes both pairs (a's renewals can no longer help).
        sleep_until(max(ts(i.expires_at) for i in source.items) + 0.1)
        taken: list = []
        with client(backend, project, tb) as cb:
            _wait(lambda: len(taken.extend(cb.lease(2).leases) or taken) == 2, "b's leases")
        notices: list[str] = []

        def told() -> bool:
            notices.extend(source.take_notices())
            return any(on_screen in n for n in notices)

        _wait(told, "the notice that the lease on screen ran out")
        assert "run out" in " ".join(notices), notices
        assert "lease on this pair ran out" in source.progress().sync_detail
        # The other pair's lease is gone too: it is not served after this one.
        assert source.peek_next() is None

        # The annotator judges anyway. A verdict under the author's own lapsed lease is
        # accepted whatever became of the slot (refusing it only for ordinary pairs told gold
        # and repeats apart, and an honest slow annotator's work is not thrown away): it is
        # journaled (fsynced) before anything else, sent, and accepted.
        judged = source.record(Choice.A, 2, Draft(), 1000)
        assert judged.pair_id == on_screen
        assert judged.id in source.state.judgments
        assert source.wait_idle(timeout=30)
        assert source.rejected == []
        assert source.progress().rejected == 0
    finally:
        source.close(flush_seconds=1.0)


def test_a_verdict_on_a_released_lease_is_refused_and_told(
    backend: Backend, tmp_path: Path
) -> None:
    """A lease given back is no lease: the server refuses a verdict under it. The renew loop
    hears ``released`` and tells the annotator; the verdict made anyway is journaled, sent,
    refused, and the refusal told (before issue 13 it was only a count in the status bar)."""
    project = backend.project(n_pairs=2, overlap=1, lease_ttl=TTL)
    a, ta = backend.user()
    source, _, _ = open_remote(
        backend.url, project, ta, annotator=a, out=tmp_path / "a.jsonl", batch_size=2
    )
    try:
        _wait(lambda: len(source.items) >= 2, "the batch")
        view = source.current()
        assert view is not None
        on_screen = view.pair.id
        lease = next(i.lease_id for i in source.items if i.pair.id == on_screen)
        with client(backend, project, ta) as ca:
            assert [s.status for s in ca.release([lease])] == ["released"]
        notices: list[str] = []

        def told() -> bool:
            notices.extend(source.take_notices())
            return any(on_screen in n for n in notices)

        _wait(told, "the notice that the lease on screen is gone")
        judged = source.record(Choice.A, 2, Draft(), 1000)
        assert judged.pair_id == on_screen
        assert judged.id in source.state.judgments
        assert source.wait_idle(timeout=30)
        assert [r.status for r in source.rejected] == ["rejected"]
        _wait(
            lambda: any(on_screen in n and "refused" in n for n in source.take_notices()),
            "the notice of the refusal",
        )
        assert source.progress().rejected == 1
    finally:
        source.close(flush_seconds=1.0)
