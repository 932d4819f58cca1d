"""Judgments and retractions are idempotent on their UUIDs and mirror the journal's rules."""

from __future__ import annotations

import uuid

import httpx
import orjson

from rankterm.client import TaskClient
from rankterm.journal import decode, replay
from rankterm.model import Retraction
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
        assert c.project_progress()["judgments"] == 4
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
    with TaskClient(backend.url, project, token) as c:
        pair_id = c.lease(1).leases[0].pair.id
        first = judgment(pair_id, name, "A")
        second = judgment(pair_id, name, "B")
        assert [a.status for a in c.submit([first, second])] == ["accepted", "accepted"]
        assert c.project_progress()["complete"] == 1
        undo = Retraction(retracts=second.id, pair_id=pair_id, annotator=name)
        assert c.retract([undo])[0].status == "accepted"
        assert c.retract([undo])[0].status == "duplicate"
        # The first verdict stands again, as journal replay would have it.
        assert c.project_progress()["complete"] == 1
        undo_first = Retraction(retracts=first.id, pair_id=pair_id, annotator=name)
        assert c.retract([undo_first])[0].status == "accepted"
        assert c.project_progress()["complete"] == 0
    entries = [
        decode(r)
        for r in export(backend, project, admin)
        if r["kind"] != "pair" and r["kind"] in ("judgment", "retraction")
    ]
    assert replay(entries).latest_by_pair() == {}


def test_retraction_before_its_judgment_is_a_tombstone(backend: Backend) -> None:
    project = backend.project(n_pairs=1, overlap=1)
    name, token = backend.user()
    with TaskClient(backend.url, project, token) as c:
        pair_id = c.lease(1).leases[0].pair.id
        j = judgment(pair_id, name)
        undo = Retraction(retracts=j.id, pair_id=pair_id, annotator=name)
        assert c.retract([undo])[0].status == "accepted"
        assert c.submit([j])[0].status == "accepted"
        progress = c.project_progress()
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
    assert "unknown pair" in results[1]["reason"]
    assert results[2]["reason"].startswith("choice")
