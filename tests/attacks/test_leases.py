"""Issue 13 item 9 (and issue 14 item 15's expired gold lease): a verdict needs its author's
lease; nobody can hoard the queue.

Played against a real server on SQLite and PostgreSQL:
- cherry-picking: an annotator sends verdicts on pairs they were never served. Before the fix
  every one was accepted, and "unknown pair" against "accepted" told which ids exist and which
  are gold; after it all are rejected with one and the same reason.
- hoarding: one annotator leases the whole queue and renews forever. Before: 300 of 300 pairs
  held; after: at most the project's ``max_leases``, and no lease outlives ``lease_max_age``.
- an admin importing prior labels needs no lease.
"""

from __future__ import annotations

import time

import httpx

from rankterm.sources.client import RetryPolicy, TaskClient
from tests.server.conftest import Backend, judgment

ONCE = RetryPolicy(attempts=1)


def _client(backend: Backend, project: str, token: str) -> TaskClient:
    return TaskClient(backend.url, project, token, retry=ONCE, timeout=30)


def test_verdicts_on_pairs_never_served_are_rejected_alike(backend: Backend) -> None:
    project = backend.project(n_pairs=20, gold=2, overlap=3)
    name, token = backend.user()
    targets = ["p00007", "p00011", "p00019", "gold000", "gold001", "p99999", "zz-unknown"]
    with _client(backend, project, token) as c:
        acks = c.submit([judgment(pair, name) for pair in targets])
    accepted = sum(a.status == "accepted" for a in acks)
    print(
        f"\n[{backend.name}] verdicts on never-served pairs accepted: {accepted} of {len(targets)}"
    )
    assert accepted == 0, acks
    reasons = {a.reason.replace(repr(p), "<pair>") for a, p in zip(acks, targets, strict=True)}
    assert len(reasons) == 1, reasons  # no oracle: unknown, gold and ordinary answer alike
    assert "lease" in reasons.pop()


def test_a_verdict_on_a_served_pair_is_accepted_once(backend: Backend) -> None:
    project = backend.project(n_pairs=5, overlap=2)
    name, token = backend.user()
    with _client(backend, project, token) as c:
        item = c.lease(1).leases[0]
        first = judgment(item.pair.id, name, "A")
        again = judgment(item.pair.id, name, "B")  # a change of mind supersedes
        assert [a.status for a in c.submit([first, again])] == ["accepted", "accepted"]
        other = c.lease(1).leases[0]
        c.release([other.lease_id])  # given back: no longer theirs to judge
        (ack,) = c.submit([judgment(other.pair.id, name)])
        assert ack.status == "rejected" and "lease" in ack.reason


def test_one_annotator_cannot_hoard_the_queue(backend: Backend) -> None:
    project = backend.project(n_pairs=300, overlap=1)
    _, token = backend.user()
    _, token2 = backend.user()
    held = set()
    with _client(backend, project, token) as hoarder:
        for _ in range(6):
            held |= {i.lease_id for i in hoarder.lease(100).leases}
        renewed = hoarder.renew(sorted(held))
    print(f"\n[{backend.name}] pairs one annotator holds after asking for all: {len(held)} of 300")
    assert len(held) <= 50
    assert {r.status for r in renewed} == {"renewed"}
    with _client(backend, project, token2) as fair:
        assert len(fair.lease(20).leases) == 20


def test_a_lease_cannot_be_renewed_beyond_its_maximum_age(backend: Backend) -> None:
    project = backend.project(n_pairs=3, overlap=1, lease_ttl=2, lease_max_age=3)
    _, token = backend.user()
    _, token2 = backend.user()
    with _client(backend, project, token) as c:
        item = c.lease(1).leases[0]
        start = time.time()
        statuses = []
        while time.time() - start < 5:
            statuses.append(c.renew([item.lease_id])[0])
            time.sleep(0.5)
    latest = max(s.expires_at.timestamp() for s in statuses if s.status == "renewed")
    assert latest <= item.expires_at.timestamp() + 1 + 0.5  # created + 3 s, not + 5 s + ttl
    assert statuses[-1].status != "renewed", statuses[-1]
    with _client(backend, project, token2) as other:
        ids = {i.pair.id for i in other.lease(3).leases}
    assert item.pair.id in ids


def test_an_expired_gold_lease_is_offered_again(backend: Backend) -> None:
    project = backend.project(n_pairs=0, gold=1, overlap=1, gold_rate=1.0, lease_ttl=1)
    name, token = backend.user()
    with _client(backend, project, token) as c:
        first = c.lease(1).leases
        assert [i.pair.id for i in first] == ["gold000"]
        time.sleep(1.5)
        again = c.lease(1).leases
        assert [i.pair.id for i in again] == ["gold000"], "an expired gold lease counted as taken"
        assert c.submit([judgment("gold000", name)])[0].status == "accepted"
        assert c.lease(1).leases == []


def test_an_admin_imports_prior_labels_without_leases(backend: Backend) -> None:
    project = backend.project(n_pairs=4, overlap=2)
    name, token = backend.user("admin")
    response = httpx.post(
        f"{backend.url}/v1/projects/{project}/judgments",
        json={"judgments": [judgment(f"p0000{i}", name).model_dump(mode="json") for i in range(4)]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert [r["status"] for r in response.json()["results"]] == ["accepted"] * 4
