"""Issue 13 items 9-10: a verdict sent after its lease ran out gets the same answer whatever
the pair's kind, so submitting late is no oracle for gold items and blind repeats.

Before: once the lease expired and the pair's slot went to someone else, a late verdict on an
ordinary pair was refused ("your lease expired and ...") while one on a gold item or a repeat
was accepted: submit the whole batch late and the accepted ones are the mixed-in items. Now a
verdict under the author's own lease that lapsed (not given back) is accepted for every kind;
the slot may have gone to someone else meanwhile, and the pair then holds one more verdict
than its overlap rather than losing a slow annotator's honest work.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select

from rankterm.server import tables as t
from rankterm.sources.client import RetryPolicy, TaskClient
from tests.server.conftest import Backend, judgment

ONCE = RetryPolicy(attempts=1)


def _client(backend: Backend, project: str, token: str) -> TaskClient:
    return TaskClient(backend.url, project, token, retry=ONCE, timeout=30)


def _kinds(backend: Backend, lease_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    with backend.db.read() as conn:
        rows = conn.execute(
            select(t.leases.c.id, t.leases.c.kind).where(t.leases.c.id.in_(lease_ids))
        ).all()
    return {row.id: row.kind for row in rows}


def test_a_late_verdict_gets_the_same_answer_for_every_kind(backend: Backend) -> None:
    project = backend.project(
        n_pairs=40, gold=10, overlap=1, gold_rate=0.3, repeat_rate=0.3, repeat_gap=0, lease_ttl=1
    )
    name, token = backend.user()
    _, token2 = backend.user()
    with _client(backend, project, token) as c:
        # Judged on time first, so that there are pairs to repeat.
        for _ in range(3):
            items = c.lease(4).leases
            acks = c.submit([judgment(i.pair.id, name) for i in items])
            assert {a.status for a in acks} == {"accepted"}, acks
        held = []
        for _ in range(6):
            held += c.lease(8).leases
            kinds = _kinds(backend, [i.lease_id for i in held])
            if {"normal", "gold", "repeat"} <= set(kinds.values()):
                break
        assert {"normal", "gold", "repeat"} <= set(kinds.values()), kinds
        time.sleep(2.2)
        # Someone else gets the freed slots meanwhile (and the leases are reclaimed).
        with _client(backend, project, token2) as other:
            taken = {i.pair.id for i in other.lease(50).leases}
        assert taken & {i.pair.id for i in held if kinds[i.lease_id] == "normal"}
        late = c.submit([judgment(i.pair.id, name) for i in held])
    answers: dict[str, set[tuple[str, str]]] = {}
    for item, ack in zip(held, late, strict=True):
        reason = ack.reason.replace(repr(item.pair.id), "<pair>")
        answers.setdefault(kinds[item.lease_id], set()).add((ack.status, reason))
    print(f"\n[{backend.name}] late verdicts' answers by kind: {answers}")
    assert answers["normal"] == answers["gold"] == answers["repeat"], answers
    # Nothing an honest slow annotator sent is lost.
    assert answers["normal"] == {("accepted", "")}, answers
