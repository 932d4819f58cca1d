"""Through a proxy that drops, delays and resets: every judgment arrives exactly once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from rankterm.server import tables as t
from rankterm.server.core import get_project
from rankterm.sources.client import RetryPolicy, TaskClient
from tests.server.conftest import Backend, judgment
from tests.server.faultproxy import FaultProxy

FAST_RETRY = RetryPolicy(attempts=30, base=0.02, cap=0.5)


def stored(backend: Backend, project: str) -> tuple[list, int]:
    with backend.db.read() as conn:
        proj = get_project(conn, project)
        ids = (
            conn.execute(select(t.judgments.c.id).where(t.judgments.c.project_id == proj.id))
            .scalars()
            .all()
        )
        slots = conn.execute(
            select(func.sum(t.pairs.c.n_judged)).where(t.pairs.c.project_id == proj.id)
        ).scalar()
    return ids, slots


def _judge_all(c: TaskClient, name: str) -> tuple[list, list, list]:
    pairs = []
    while len(pairs) < 500:
        batch = c.lease(50)
        pairs += [i.pair.id for i in batch.leases]
        if batch.exhausted:
            break
    assert sorted(pairs) == [f"p{i:05d}" for i in range(500)]  # no lease lost either
    sent = [judgment(pair_id, name) for pair_id in pairs]
    acks = c.submit(sent)
    # A second full resend, as after a crash before the acks were journaled.
    again = c.submit(sent)
    return sent, acks, again


def test_500_judgments_through_a_faulty_network_arrive_once(server: Backend) -> None:
    project = server.project(n_pairs=500, overlap=1, max_leases=500)
    name, token = server.user()
    host, port = server.url.removeprefix("http://").split(":")
    with FaultProxy(host, int(port), seed=7) as proxy:
        client = TaskClient(proxy.url, project, token, retry=FAST_RETRY, batch_size=10, timeout=5)
        with client:
            sent, acks, again = _judge_all(client, name)
    assert proxy.counts.dropped > 0 and proxy.counts.reset > 0 and proxy.counts.delayed > 0
    assert [a.judgment_id for a in acks] == [j.id for j in sent]
    assert Counter(a.status for a in acks)["rejected"] == 0
    assert {a.status for a in again} == {"duplicate"}
    ids, slots = stored(server, project)
    assert sorted(ids) == sorted(j.id for j in sent)
    assert slots == 500


def test_small_batches_through_faults(server: Backend) -> None:
    project = server.project(n_pairs=60, overlap=1, max_leases=60)
    name, token = server.user()
    with TaskClient(server.url, project, token) as direct:
        assert len(direct.lease(60).leases) == 60
    host, port = server.url.removeprefix("http://").split(":")
    with (
        FaultProxy(host, int(port), seed=11) as proxy,
        TaskClient(proxy.url, project, token, retry=FAST_RETRY, batch_size=5) as client,
    ):
        sent = [judgment(f"p{i:05d}", name) for i in range(60)]
        acks = client.submit(sent)
        progress = client.progress()
    assert proxy.counts.connections > 0
    assert {a.status for a in acks} <= {"accepted", "duplicate"}
    assert progress["judged"] == 60
    ids, _ = stored(server, project)
    assert len(ids) == 60
