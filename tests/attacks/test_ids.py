"""Issue 13 item 7: a judgment or retraction id belongs to its author.

The attacker is a second annotator of the same project who has learnt the ids the victim's
client will use (a UUID read off a shared host, a log line, a screenshot). Played against a real
server on SQLite and PostgreSQL: before the fix every one of the victim's verdicts was voided
(stored retracted, or answered "duplicate" and never stored); after it none is, and the victim's
client is told plainly when an id was taken first.
"""

from __future__ import annotations

import uuid

import httpx
import orjson

from rankterm.core.model import Retraction
from rankterm.sources.client import RetryPolicy, TaskClient
from tests.server.conftest import Backend, judgment

N = 6
ONCE = RetryPolicy(attempts=1)


def _client(backend: Backend, project: str, token: str) -> TaskClient:
    return TaskClient(backend.url, project, token, retry=ONCE, timeout=30)


def _standing_by(backend: Backend, project: str, admin: str) -> dict[str, dict]:
    """The export's judgments by id (admin's view of what is stored)."""
    response = httpx.get(
        f"{backend.url}/v1/projects/{project}/export",
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    response.raise_for_status()
    records = [orjson.loads(line) for line in response.content.splitlines()]
    retracted = {r["retracts"] for r in records if r.get("kind") == "retraction"}
    return {
        r["id"]: {**r, "voided": r["id"] in retracted}
        for r in records
        if r.get("kind") == "judgment"
    }


def _setup(backend: Backend) -> tuple[str, tuple[str, str], tuple[str, str], str]:
    project = backend.project(n_pairs=3 * N, overlap=2)
    victim = backend.user()
    attacker = backend.user()
    _, admin = backend.user("admin")
    return project, victim, attacker, admin


def test_a_retraction_naming_someone_elses_id_voids_nothing(backend: Backend) -> None:
    project, (victim, vt), (attacker, at), admin = _setup(backend)
    future = [uuid.uuid4() for _ in range(N)]
    with _client(backend, project, at) as evil:
        acks = evil.retract(
            [Retraction(retracts=i, pair_id="p00000", annotator=attacker) for i in future]
        )
    with _client(backend, project, vt) as good:
        leased = good.lease(N).leases
        mine = [
            judgment(item.pair.id, victim, id=i) for item, i in zip(leased, future, strict=True)
        ]
        assert [a.status for a in good.submit(mine)] == ["accepted"] * N
    stored = _standing_by(backend, project, admin)
    voided = sum(1 for i in future if stored[str(i)]["voided"] or stored[str(i)].get("retracted"))
    print(f"\n[{backend.name}] ids voided by another's retraction: {voided} of {N}")
    assert voided == 0
    assert {a.status for a in acks} == {"rejected"}, acks
    assert all("your own" in a.reason for a in acks), acks


def test_an_id_taken_first_by_someone_else_is_rejected_not_swallowed(backend: Backend) -> None:
    project, (victim, vt), (attacker, at), admin = _setup(backend)
    future = [uuid.uuid4() for _ in range(N)]
    with _client(backend, project, at) as evil:
        # Half the ids on pairs the attacker holds, half as remembered rejections.
        own = evil.lease(N // 2).leases
        taken = [
            judgment(item.pair.id, attacker, id=i)
            for item, i in zip(own, future[: N // 2], strict=True)
        ]
        taken += [judgment("p99999", attacker, id=i) for i in future[N // 2 :]]
        evil.submit(taken)
    with _client(backend, project, vt) as good:
        leased = good.lease(N).leases
        mine = [
            judgment(item.pair.id, victim, id=i) for item, i in zip(leased, future, strict=True)
        ]
        acks = good.submit(mine)
    stored = _standing_by(backend, project, admin)
    silently_lost = sum(
        1
        for a in acks
        if a.status != "rejected" and stored.get(str(a.judgment_id), {}).get("annotator") != victim
    )
    print(f"\n[{backend.name}] verdicts silently lost to a pre-empted id: {silently_lost} of {N}")
    assert silently_lost == 0
    # Taken by a stored verdict of the attacker's: refused, saying so. (The attacker's
    # verdicts on a pair nobody holds are not remembered, so those ids stay free.)
    assert [a.status for a in acks[: N // 2]] == ["rejected"] * (N // 2), acks
    assert all("another annotator" in a.reason for a in acks[: N // 2]), acks
    assert [a.status for a in acks[N // 2 :]] == ["accepted"] * (N - N // 2), acks
    # The attacker's own records are untouched and the victim's resend answers the same.
    assert all(stored[str(i)]["annotator"] == attacker for i in future[: N // 2])
    with _client(backend, project, vt) as good:
        again = good.submit(mine)
        assert [a.status for a in again] == ["rejected"] * (N // 2) + ["duplicate"] * (N - N // 2)


def test_own_ids_still_deduplicate_and_retract(backend: Backend) -> None:
    project, (victim, vt), _, admin = _setup(backend)
    with _client(backend, project, vt) as good:
        item = good.lease(1).leases[0]
        mine = judgment(item.pair.id, victim)
        assert good.submit([mine])[0].status == "accepted"
        assert good.submit([mine])[0].status == "duplicate"
        undo = Retraction(retracts=mine.id, pair_id=mine.pair_id, annotator=victim)
        assert good.retract([undo])[0].status == "accepted"
        assert good.retract([undo])[0].status == "duplicate"
    assert _standing_by(backend, project, admin)[str(mine.id)]["voided"]
