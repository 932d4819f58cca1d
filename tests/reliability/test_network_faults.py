"""1,000 judgments through a network that drops, delays, resets, cuts answers mid-body,
duplicates and replays requests: each is stored exactly once, and every ack matches."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from rankterm.server import tables as t
from rankterm.server.core import get_project
from rankterm.sources.client import RetryPolicy, TaskClient
from tests.reliability.httpfaults import FAULTS, HttpFaultProxy
from tests.reliability.serverstack import make_pairs, stack
from tests.server.conftest import judgment

N = 1000
RATES = {"drop": 0.07, "delay": 0.1, "reset": 0.07, "cut": 0.07, "duplicate": 0.1, "replay": 0.05}
RETRY = RetryPolicy(attempts=60, base=0.02, cap=0.5)


def test_thousand_judgments_through_a_faulty_network_are_stored_once(tmp_path):
    with stack("sqlite", tmp_path) as s:
        project = s.project("faults", make_pairs(N + 50), overlap=1, max_leases=N + 50)
        name = "faulty-net"
        token = s.user(name)
        with TaskClient(s.url, project, token) as direct:  # a verdict needs its lease
            held = direct.lease(N // 2).leases + direct.lease(N // 2).leases  # 500 a request
            assert sorted(i.pair.id for i in held) == [f"p{i:05d}" for i in range(N)]
        host, port = s.url.removeprefix("http://").split(":")
        sent = [judgment(f"p{i:05d}", name, choice="AB"[i % 2]) for i in range(N)]
        proxy = HttpFaultProxy((host, int(port)), RATES, seed=20240607)
        with proxy, TaskClient(proxy.url, project, token, retry=RETRY, batch_size=8) as c:
            leased = c.lease(50).leases  # a lease or two lost to faults is fine
            acks = c.submit(sent)
            again = c.submit(sent[::7])  # resend, as after a crash before acks were saved
            progress = c.progress()
        counts = dict(proxy.counts)

        assert [a.judgment_id for a in acks] == [j.id for j in sent]
        assert set(Counter(a.status for a in acks)) <= {"accepted", "duplicate"}
        assert {a.status for a in again} == {"duplicate"}
        assert progress["judged"] == N
        assert leased
        for fault in FAULTS:
            assert counts.get(fault, 0) > 0, f"no {fault} fault was injected: {counts}"

        with s.db.read() as conn:
            pid = get_project(conn, project).id
            ids = conn.execute(
                select(t.judgments.c.id).where(t.judgments.c.project_id == pid)
            ).scalars()
            stored = Counter(ids)
            judged = conn.execute(
                select(t.pairs.c.n_judged).where(t.pairs.c.project_id == pid)
            ).scalars()
            slots = Counter(judged)
        assert sorted(stored) == sorted(j.id for j in sent)
        assert set(stored.values()) == {1}
        assert slots == {1: N, 0: 50}
    print(f"\njudgments through the faulty proxy: {N} stored once; requests: {counts}")
