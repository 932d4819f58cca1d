"""Issue 13 item 10, continued: answers that told gold items (and pair ids an annotator was
never served) apart, found by auditing every answer an annotator's client gets.

- comments: a pair the annotator did not judge answered 403 and an unknown id 404, so anyone
  could enumerate the project's pair ids, gold items included; now both are the same 404.
- the end of the queue: once no ordinary pair was left for an annotator, leases still brought
  gold items and repeats, alone, so whatever came after the queue ran dry was a mixed-in item;
  now mixed-in items go out only beside ordinary pairs, in the proportion drawn.
"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from rankterm.server import tables as t
from rankterm.sources.client import RetryPolicy, TaskClient
from tests.server.conftest import Backend, judgment

ONCE = RetryPolicy(attempts=1)


def test_comments_do_not_tell_which_pairs_exist(backend: Backend) -> None:
    project = backend.project(n_pairs=3, gold=1, overlap=1)
    _, token = backend.user()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{backend.url}/v1/projects/{project}/pairs"
    answers = {}
    for pair in ("p00001", "gold000", "no-such-pair"):
        got = httpx.get(f"{base}/{pair}/comments", headers=headers, timeout=30)
        posted = httpx.post(
            f"{base}/{pair}/comments", json={"text": "hm"}, headers=headers, timeout=30
        )
        answers[pair] = {
            (r.status_code, r.json()["detail"].replace(repr(pair), "<pair>")) for r in (got, posted)
        }
    print(f"\n[{backend.name}] comment answers: {answers}")
    assert len({frozenset(a) for a in answers.values()}) == 1, answers
    assert {status for status, _ in answers["gold000"]} == {404}


def _kinds(backend: Backend, lease_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    with backend.db.read() as conn:
        rows = conn.execute(
            select(t.leases.c.id, t.leases.c.kind).where(t.leases.c.id.in_(lease_ids))
        ).all()
    return {row.id: row.kind for row in rows}


def test_mixed_in_items_do_not_outlast_the_queue(backend: Backend) -> None:
    project = backend.project(
        n_pairs=6, gold=20, overlap=1, gold_rate=0.3, repeat_rate=0.3, repeat_gap=0
    )
    name, token = backend.user()
    after_dry: list[str] = []
    with TaskClient(backend.url, project, token, retry=ONCE, timeout=30) as c:
        dry = False
        for _ in range(40):
            answer = c.lease(1)
            if not answer.leases:
                dry = True
                continue
            (item,) = answer.leases
            if dry:
                after_dry.append(_kinds(backend, [item.lease_id])[item.lease_id])
            ack = c.submit([judgment(item.pair.id, name)])[0]
            assert ack.status == "accepted", ack
    print(f"\n[{backend.name}] items served after the queue ran dry: {after_dry}")
    assert dry
    assert after_dry == []
