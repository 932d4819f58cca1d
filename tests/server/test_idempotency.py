"""Judgments and retractions are idempotent on their UUIDs and mirror the journal's rules."""

from __future__ import annotations

import uuid

import httpx
import orjson

from rankterm.core.model import Retraction
from rankterm.sources.client import TaskClient
from rankterm.storage.journal import decode, replay
from tests.server.conftest import Backend, judgment


def export(backend: Backend, project: str, admin_token: str) -> list[dict]:
    response = httpx.get(
        f"{backend.url}/v1/projects/{project}/export",
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=30,
    )
    response.raise_for_status()
    return [orjson.loads(line) for line in response.content.splitlines()]


def test_resend_creates_nothing(backend: Backend) -> None:
    project = backend.project(n_pairs=4, overlap=2)
    name, token = backend.user()
    _, admin = backend.user("admin")
    with TaskClient(backend.url, project, token) as c:
        items = c.lease(4).leases
        batch = [judgment(i.pair.id, name) for i in items]
        first = c.submit(batch)
        assert [a.status for a in first] == ["accepted"] * 4
        again = c.submit(batch + batch[:1])
        assert [a.status for a in again] == ["duplicate"] * 5
        assert [a.judgment_id for a in again[:4]] == [j.id for j in batch]
        assert c.progress()["judged"] == 4
    records = [r for r in export(backend, project, admin) if r["kind"] == "judgment"]
    assert sorted(r["id"] for r in records) == sorted(str(j.id) for j in batch)


def test_duplicates_within_one_batch(backend: Backend) -> None:
    project = backend.project(n_pairs=1, overlap=3)
    name, token = backend.user()
    with TaskClient(backend.url, project, token) as c:
        j = judgment(c.lease(1).leases[0].pair.id, name)
        assert [a.status for a in c.submit([j, j])] == ["accepted", "duplicate"]


def test_rejudging_supersedes_and_retracting_restores(backend: Backend) -> None:
    project = backend.project(n_pairs=1, overlap=1)
    name, token = backend.user()
    _, admin = backend.user("admin")
    with (
        TaskClient(backend.url, project, token) as c,
        TaskClient(backend.url, project, admin) as lead,
    ):
        pair_id = c.lease(1).leases[0].pair.id
        first = judgment(pair_id, name, "A")
        second = judgment(pair_id, name, "B")
        assert [a.status for a in c.submit([first, second])] == ["accepted", "accepted"]
        assert lead.project_progress()["complete"] == 1
        undo = Retraction(retracts=second.id, pair_id=pair_id, annotator=name)
        assert c.retract([undo])[0].status == "accepted"
        assert c.retract([undo])[0].status == "duplicate"
        # The first verdict stands again, as journal replay would have it.
        assert lead.project_progress()["complete"] == 1
        undo_first = Retraction(retracts=first.id, pair_id=pair_id, annotator=name)
        assert c.retract([undo_first])[0].status == "accepted"
        assert lead.project_progress()["complete"] == 0
        # Judged again after the undo, under the lease already used: accepted.
        third = judgment(pair_id, name, "tie")
        assert c.submit([third])[0].status == "accepted"
        assert lead.project_progress()["complete"] == 1
    entries = [
        decode(r)
        for r in export(backend, project, admin)
        if r["kind"] != "pair" and r["kind"] in ("judgment", "retraction")
    ]
    assert {k: v.id for k, v in replay(entries).latest_by_pair().items()} == {pair_id: third.id}


def test_retraction_before_its_judgment_is_rejected_and_voids_nothing(backend: Backend) -> None:
    """A retraction names a stored judgment of its author's: one kept for an id not yet stored
    let anyone void the verdict that came with it (tests/attacks/test_ids.py). The client
    always sends a verdict before its retraction."""
    project = backend.project(n_pairs=1, overlap=1)
    name, token = backend.user()
    _, admin = backend.user("admin")
    with TaskClient(backend.url, project, token) as c:
        pair_id = c.lease(1).leases[0].pair.id
        j = judgment(pair_id, name)
        undo = Retraction(retracts=j.id, pair_id=pair_id, annotator=name)
        ack = c.retract([undo])[0]
        assert ack.status == "rejected" and "no judgment of your own" in ack.reason
        assert c.submit([j])[0].status == "accepted"
        assert c.retract([undo])[0].status == "accepted"  # now it names a stored judgment
    with TaskClient(backend.url, project, admin) as lead:
        progress = lead.project_progress()
        assert (progress["judgments"], progress["complete"], progress["live_leases"]) == (0, 0, 0)


def test_someone_elses_judgment_cannot_be_retracted_or_claimed(backend: Backend) -> None:
    project = backend.project(n_pairs=1, overlap=2)
    a, ta = backend.user()
    b, tb = backend.user()
    with TaskClient(backend.url, project, ta) as ca, TaskClient(backend.url, project, tb) as cb:
        pair_id = ca.lease(1).leases[0].pair.id
        j = judgment(pair_id, a)
        ca.submit([j])
        ack = cb.retract([Retraction(retracts=j.id, pair_id=pair_id, annotator=b)])[0]
        assert ack.status == "rejected"
        forged = cb.submit([judgment(pair_id, a)])[0]
        assert forged.status == "rejected" and "not the token's user" in forged.reason


def test_unknown_pair_and_invalid_items_are_rejected_per_item(backend: Backend) -> None:
    project = backend.project(n_pairs=1, overlap=1)
    name, token = backend.user()
    with TaskClient(backend.url, project, token) as c:
        c.lease(1)
    good = judgment("p00000", name)
    raw = [
        good.model_dump(mode="json"),
        judgment("nope", name).model_dump(mode="json"),
        {"id": str(uuid.uuid4()), "pair_id": "p00000", "annotator": name, "choice": "left"},
    ]
    response = httpx.post(
        f"{backend.url}/v1/projects/{project}/judgments",
        json={"judgments": raw},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    assert "no lease on pair 'nope'" in results[1]["reason"]  # as any pair never served
    assert results[2]["reason"].startswith("choice")


def _live_leases(backend: Backend, project: str, user: str) -> list:
    from sqlalchemy import select

    from rankterm.server import tables as t
    from rankterm.server.core import get_project, get_user

    with backend.db.read() as conn:
        proj, who = get_project(conn, project), get_user(conn, user)
        return (
            conn.execute(
                select(t.leases.c.id).where(
                    t.leases.c.project_id == proj.id,
                    t.leases.c.user_id == who.id,
                    t.leases.c.state == "live",
                )
            )
            .scalars()
            .all()
        )


def test_a_retried_lease_request_gets_the_same_leases(backend: Backend) -> None:
    project = backend.project(n_pairs=10, overlap=1)
    name, token = backend.user()
    url = f"{backend.url}/v1/projects/{project}/leases"
    key = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    first = httpx.post(url, json={"n": 3}, headers=headers).json()
    # The answer was "lost": the client sends the same request again, as its retry loop does.
    again = httpx.post(url, json={"n": 3}, headers=headers).json()
    assert [i["lease_id"] for i in again["leases"]] == [i["lease_id"] for i in first["leases"]]
    assert [i["pair"] for i in again["leases"]] == [i["pair"] for i in first["leases"]]
    assert [i["shown_swapped"] for i in again["leases"]] == [
        i["shown_swapped"] for i in first["leases"]
    ]
    assert sorted(_live_leases(backend, project, name)) == sorted(
        uuid.UUID(i["lease_id"]) for i in first["leases"]
    )
    # Another annotator using the same key gets leases of their own.
    _, token2 = backend.user()
    other = httpx.post(
        url, json={"n": 3}, headers={"Authorization": f"Bearer {token2}", "Idempotency-Key": key}
    ).json()
    assert {i["pair"]["id"] for i in other["leases"]}.isdisjoint(
        i["pair"]["id"] for i in first["leases"]
    )
    # Judged in the meantime: a replay hands back only the leases still live.
    with TaskClient(backend.url, project, token) as c:
        c.submit([judgment(first["leases"][0]["pair"]["id"], name)])
        replayed = c.lease(3, key=key)
        assert [str(i.lease_id) for i in replayed.leases] == [
            i["lease_id"] for i in first["leases"][1:]
        ]
        assert not replayed.exhausted
        fresh = c.lease(3)  # a new request (new key) leases new pairs
        assert {i.pair.id for i in fresh.leases}.isdisjoint(
            i["pair"]["id"] for i in first["leases"]
        )
    bad = httpx.post(url, json={"n": 1}, headers={**headers, "Idempotency-Key": "x" * 201})
    assert bad.status_code == 422


def test_leasing_through_lost_answers_leaves_no_orphan_leases(server: Backend) -> None:
    from rankterm.sources.client import RetryPolicy
    from tests.server.faultproxy import FaultProxy

    project = server.project(n_pairs=300, overlap=1)
    name, token = server.user()
    host, port = server.url.removeprefix("http://").split(":")
    got: set[uuid.UUID] = set()
    with FaultProxy(host, int(port), seed=3, drop=0.0, reset=0.4, delay=0.0) as proxy:
        retry = RetryPolicy(attempts=40, base=0.01, cap=0.2)
        with TaskClient(proxy.url, project, token, retry=retry, timeout=5) as c:
            for _ in range(10):
                got.update(i.lease_id for i in c.lease(5).leases)
    assert proxy.counts.reset > 0  # the server leased, the client never heard: then resent
    assert len(got) == 50
    assert sorted(_live_leases(server, project, name)) == sorted(got)
