"""Issue 13 item 10 (and issue 14 item 15's counter): gold items and blind repeats look like
any other pair to everything the annotator's client receives.

Each test plays a detector an annotator could run on their own client's traffic, against a real
server on SQLite and PostgreSQL, and compares its guesses with the truth in the database:
- side order: a repeat's ``shown_swapped`` was the inverse of a public hash of annotator and
  pair id (before: every repeat detected, no false positive);
- batch order: mixed-in items broke the batch's priority/id order;
- own records and counts: ``/me/judgments`` said ``source: gold|repeat``, ``/me/progress``
  counted gold and repeats apart, and a gold verdict made the client's counter step back.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from rankterm.core.model import Pair, shown_swapped
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


def _work(backend: Backend, project: str, name: str, token: str, rounds: int, n: int) -> list:
    """Lease and judge ``rounds`` batches of ``n``; every leased item, in order, per batch."""
    batches = []
    with _client(backend, project, token) as c:
        for _ in range(rounds):
            items = c.lease(n).leases
            if not items:
                break
            batches.append(items)
            acks = c.submit(
                [judgment(i.pair.id, name, shown_swapped=i.shown_swapped) for i in items]
            )
            assert {a.status for a in acks} == {"accepted"}, acks
    return batches


def test_a_repeat_cannot_be_told_from_its_side_order(backend: Backend) -> None:
    project = backend.project(n_pairs=60, overlap=1, repeat_rate=0.5, repeat_gap=0)
    name, token = backend.user()
    batches = _work(backend, project, name, token, rounds=16, n=5)
    items = [i for b in batches for i in b]
    kinds = _kinds(backend, [i.lease_id for i in items])
    repeats = [i for i in items if kinds[i.lease_id] == "repeat"]
    normal = [i for i in items if kinds[i.lease_id] == "normal"]
    assert len(repeats) >= 10 and len(normal) >= 10, (len(repeats), len(normal))

    def looks_repeated(item: Any) -> bool:  # the detector from the issue
        return item.shown_swapped != shown_swapped(name, item.pair.id)

    hits = sum(map(looks_repeated, repeats))
    false = sum(map(looks_repeated, normal))
    print(
        f"\n[{backend.name}] repeats detected from shown_swapped: {hits} of {len(repeats)}, "
        f"false positives {false} of {len(normal)}"
    )
    assert not (hits == len(repeats) and false == 0)
    # The side order is still balanced and still flips for a repeat (position bias is measured).
    assert 0 < sum(i.shown_swapped for i in normal) < len(normal)


def _longest_increasing(ids: list[str]) -> set[int]:
    """Positions of one longest increasing run (not necessarily contiguous) of ``ids``."""
    best: list[list[int]] = [[i] for i in range(len(ids))]
    for i in range(len(ids)):
        for k in range(i):
            if ids[k] < ids[i] and len(best[k]) + 1 > len(best[i]):
                best[i] = [*best[k], i]
    return set(max(best, key=len)) if best else set()


def test_mixed_in_items_cannot_be_told_from_the_batch_order(backend: Backend) -> None:
    project = backend.project(overlap=1, gold_rate=0.3)
    # Gold ids interleave with the others, so only the order could give them away.
    backend.add_pairs(
        project,
        [
            Pair(
                id=f"p{i:05d}",
                prompt=f"q{i}",
                response_a="a",
                response_b="b",
                priority=0 if i % 4 == 3 else 1000 - i,
                gold="A" if i % 4 == 3 else None,
            )
            for i in range(120)
        ],
    )
    name, token = backend.user()
    batches = _work(backend, project, name, token, rounds=8, n=10)
    kinds = _kinds(backend, [i.lease_id for b in batches for i in b])
    flagged = mixed_flagged = 0
    for batch in batches:
        # Detector: ordinary pairs come in priority order (ids ascending here), so whatever
        # lies off the longest ascending run was slipped in.
        keep = _longest_increasing([i.pair.id for i in batch])
        for k, item in enumerate(batch):
            if k not in keep:
                flagged += 1
                mixed_flagged += kinds[item.lease_id] != "normal"
    mixed = sum(kind != "normal" for kind in kinds.values())
    precision = mixed_flagged / flagged if flagged else 0.0
    print(
        f"\n[{backend.name}] order detector: {mixed_flagged} of {mixed} mixed-in items found, "
        f"{flagged - mixed_flagged} ordinary pairs flagged (precision {precision:.2f}, "
        f"chance {mixed / len(kinds):.2f})"
    )
    assert mixed >= 10 and flagged >= 5, (mixed, flagged)
    assert not any("priority" in i.pair.model_fields_set for b in batches for i in b)
    assert precision < 0.6, precision


def test_own_records_and_counts_do_not_say_gold_or_repeat(backend: Backend) -> None:
    project = backend.project(n_pairs=30, gold=10, overlap=1, gold_rate=0.3, repeat_rate=0.3,
                              repeat_gap=0)  # fmt: skip
    name, token = backend.user()
    batches = _work(backend, project, name, token, rounds=8, n=5)
    n_items = sum(len(b) for b in batches)
    kinds = _kinds(backend, [i.lease_id for b in batches for i in b])
    assert {"gold", "repeat", "normal"} <= set(kinds.values())
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{backend.url}/v1/projects/{project}"
    mine = httpx.get(f"{base}/me/judgments", headers=headers, timeout=30).json()["judgments"]
    told = [r for r in mine if r.get("source")]
    progress = httpx.get(f"{base}/me/progress", headers=headers, timeout=30).json()
    print(f"\n[{backend.name}] own records marked gold/repeat: {len(told)} of {len(mine)}")
    assert told == [] and all("source" not in r for r in mine)
    assert "gold" not in progress and "repeats" not in progress, progress
    assert progress["judged"] == n_items  # every verdict counts the same
    # Project-wide counters would be an oracle (a gold verdict moves none of them).
    assert httpx.get(f"{base}/progress", headers=headers, timeout=30).status_code == 403


def test_a_ranking_repeat_cannot_be_told_from_its_side_order(backend: Backend) -> None:
    """A ranking's stored verdict has no side order (False), and a repeat was leased with its
    inverse: every ranking repeat said ``shown_swapped: true`` where ordinary ranking leases
    say true half the time, so a false one was never a repeat. A ranking repeat now shows the
    inverse of its first showing, as a pair's does."""
    from tests.server.rank_helpers import make_rank_tasks, ranking

    project = backend.project(overlap=1, repeat_gap=0)
    backend.add_pairs(project, make_rank_tasks(12, k=3))
    name, token = backend.user()
    _, admin_token = backend.user("admin")
    with TaskClient(backend.url, project, token) as c:
        first = {i.pair.id: i.shown_swapped for i in c.lease(12).leases}
        assert len(first) == 12 and len(set(first.values())) == 2, first  # balanced, both seen
        c.submit_rankings([ranking(t, name, [[0], [1], [2]]) for t in first])
        httpx.patch(
            f"{backend.url}/v1/projects/{project}",
            json={"repeat_rate": 1.0},
            headers={"Authorization": f"Bearer {admin_token}"},
        ).raise_for_status()
        again = {i.pair.id: i.shown_swapped for i in c.lease(12).leases}
    assert again.keys() == first.keys()
    assert again == {t: not s for t, s in first.items()}


def test_a_lease_does_not_say_which_model_wrote_what(backend: Backend) -> None:
    """The screen hides the models, and so must the lease: the remote client keeps its leases
    in a file on the annotator's disk, and an annotator with a token reads the raw JSON."""
    from tests.server.rank_helpers import make_rank_tasks

    project = backend.project(overlap=1)
    pairs = [
        Pair(id=f"m{i}", prompt="q", response_a="a", response_b="b", model_a="gpt", model_b="llama")
        for i in range(3)
    ]
    backend.add_pairs(project, [*pairs, *make_rank_tasks(2, k=3)])
    _, token = backend.user()
    _, admin_token = backend.user("admin")
    with httpx.Client(base_url=backend.url) as http:
        got = http.post(
            f"/v1/projects/{project}/leases",
            json={"n": 10},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert got.status_code == 200, got.text
        leased = got.json()["leases"]
        exported = http.get(
            f"/v1/projects/{project}/export",
            headers={"Authorization": f"Bearer {admin_token}"},
        )
    assert len(leased) == 5
    for item in leased:
        pair = item["pair"]
        assert "model_a" not in pair and "model_b" not in pair, pair
        assert all("model" not in c for c in pair.get("responses", [])), pair
    assert {p["pair"]["id"] for p in leased if "responses" in p["pair"]} == {"r00000", "r00001"}
    # The stored pairs keep them: the export (and the leaderboard) need them.
    assert exported.status_code == 200, exported.text
    assert b'"model_a":"gpt"' in exported.content.replace(b" ", b"")
