"""Leases: overlap, distinct annotators, priority, expiry, release, gold and blind repeats."""

from __future__ import annotations

import time
import uuid

from rankterm.core.model import Pair
from rankterm.sources.client import TaskClient
from tests.server.conftest import Backend, judgment


def client(backend: Backend, project: str, token: str) -> TaskClient:
    return TaskClient(backend.url, project, token)


def test_overlap_and_distinct_annotators(backend: Backend) -> None:
    project = backend.project(n_pairs=6, overlap=2)
    seen: dict[str, list[str]] = {}
    sides = []
    for _ in range(3):
        name, token = backend.user()
        with client(backend, project, token) as c:
            batch = c.lease(10)
            ids = [item.pair.id for item in batch.leases]
            assert len(ids) == len(set(ids))
            for item in batch.leases:
                seen.setdefault(item.pair.id, []).append(name)
                sides.append(item.shown_swapped)
    # 6 pairs x 2 slots = 12 slots: the first two annotators take 6 each, the third none.
    assert sorted(len(v) for v in seen.values()) == [2] * 6
    assert all(len(set(v)) == 2 for v in seen.values())
    assert set(sides) == {True, False}  # side orders differ (a keyed hash: see test_blinding)


def test_an_annotator_never_gets_a_pair_twice(backend: Backend) -> None:
    project = backend.project(n_pairs=5, overlap=3)
    name, token = backend.user()
    with client(backend, project, token) as c:
        first = c.lease(3)
        acks = c.submit([judgment(i.pair.id, name) for i in first.leases])
        assert [a.status for a in acks] == ["accepted"] * 3
        second = c.lease(10)
        assert {i.pair.id for i in second.leases}.isdisjoint({i.pair.id for i in first.leases})
        assert len(second.leases) == 2
        assert c.lease(5).exhausted


def test_priority_then_insertion_order(backend: Backend) -> None:
    project = backend.project(overlap=1)
    pairs = [
        Pair(id=f"x{i}", prompt="p", response_a="a", response_b="b", priority=prio)
        for i, prio in enumerate([0, 5, 0, 9, 5])
    ]
    backend.add_pairs(project, pairs)
    _, token = backend.user()
    with client(backend, project, token) as c:
        got = [i.pair.id for i in c.lease(5).leases]
    # A batch is the most urgent pairs in a random order (an order would tell mixed-in gold
    # items and repeats apart: tests/attacks/test_blinding.py); one at a time, priority order.
    assert sorted(got) == ["x0", "x1", "x2", "x3", "x4"]
    project2 = backend.project(overlap=1)
    _, token2 = backend.user()
    backend.add_pairs(project2, pairs)
    with client(backend, project2, token2) as c:
        order = [c.lease(1).leases[0].pair.id for _ in range(5)]
    assert order == ["x3", "x1", "x4", "x0", "x2"]
    assert sorted(got) == sorted(order)


def test_expired_lease_frees_its_slot(backend: Backend) -> None:
    project = backend.project(n_pairs=1, overlap=1, lease_ttl=1)
    a, ta = backend.user()
    b, tb = backend.user()
    with client(backend, project, ta) as ca, client(backend, project, tb) as cb:
        held = ca.lease(1).leases[0]
        assert cb.lease(1).exhausted
        time.sleep(1.5)
        taken = cb.lease(1).leases
        assert [i.pair.id for i in taken] == [held.pair.id]
        # a's lease expired and b holds the only slot: a's late judgment is still accepted
        # (as a late one on a gold item or a repeat is: tests/attacks/test_late_verdicts.py),
        # and so is b's; the pair holds one verdict more than its overlap.
        late = ca.submit([judgment(held.pair.id, a)])[0]
        assert late.status == "accepted", late
        # Resending is a duplicate.
        again = ca.submit([judgment(held.pair.id, a, id=late.judgment_id)])[0]
        assert again.status == "duplicate"
        assert cb.submit([judgment(held.pair.id, b)])[0].status == "accepted"


def test_expired_lease_judgment_accepted_while_a_slot_is_open(backend: Backend) -> None:
    project = backend.project(n_pairs=1, overlap=2, lease_ttl=1)
    a, ta = backend.user()
    with client(backend, project, ta) as ca:
        held = ca.lease(1).leases[0]
        time.sleep(1.5)
        ca.renew([held.lease_id])  # too late once reclaimed; harmless either way
        _, tb = backend.user()
        with client(backend, project, tb) as cb:
            cb.lease(1)  # triggers reclaiming
        assert ca.submit([judgment(held.pair.id, a)])[0].status == "accepted"
    _, admin = backend.user("admin")
    with client(backend, project, admin) as lead:
        assert lead.project_progress()["complete"] == 0


def test_release_and_renew(backend: Backend) -> None:
    project = backend.project(n_pairs=2, overlap=1)
    _, ta = backend.user()
    _, tb = backend.user()
    with client(backend, project, ta) as ca, client(backend, project, tb) as cb:
        leases = ca.lease(2).leases
        assert cb.lease(2).exhausted
        renewed = ca.renew([leases[0].lease_id, uuid.uuid4()])
        assert [s.status for s in renewed] == ["renewed", "unknown"]
        assert renewed[0].expires_at >= leases[0].expires_at
        released = ca.release([leases[1].lease_id])
        assert released[0].status == "released"
        assert ca.release([leases[1].lease_id])[0].status == "released"
        got = cb.lease(2).leases
        assert [i.pair.id for i in got] == [leases[1].pair.id]


def test_gold_items_look_like_any_other(backend: Backend) -> None:
    project = backend.project(n_pairs=5, gold=3, overlap=3, gold_rate=1.0)
    name, token = backend.user()
    with client(backend, project, token) as c:
        batch = c.lease(5)
        ids = [i.pair.id for i in batch.leases]
        gold = [i for i in batch.leases if i.pair.id.startswith("gold")]
        assert len(gold) == 3  # every gold item once, then ordinary pairs
        assert len(ids) == 5
        for item in batch.leases:
            assert item.pair.gold is None
            assert "gold" not in item.pair.model_dump(exclude_none=True)
        acks = c.submit([judgment(i.pair.id, name, "A") for i in batch.leases])
        assert {a.status for a in acks} == {"accepted"}
        # The annotator's own count does not tell gold apart (tests/attacks/test_blinding.py).
        assert c.progress()["judged"] == 5
    _, admin = backend.user("admin")
    with client(backend, project, admin) as lead:
        # Gold judgments hold no overlap slot and never count toward completion.
        progress = lead.project_progress()
        assert (progress["judgments"], progress["in_progress"]) == (5, 2)


def test_blind_repeats_swap_sides_and_are_recorded(backend: Backend) -> None:
    project = backend.project(n_pairs=3, overlap=3, repeat_gap=0)
    name, token = backend.user()
    _, admin_token = backend.user("admin")
    with client(backend, project, token) as c, client(backend, project, admin_token) as admin:
        first = c.lease(3).leases
        c.submit([judgment(i.pair.id, name, shown_swapped=i.shown_swapped) for i in first])
        import httpx

        httpx.patch(
            f"{backend.url}/v1/projects/{project}",
            json={"repeat_rate": 1.0},
            headers={"Authorization": f"Bearer {admin_token}"},
        ).raise_for_status()
        repeats = c.lease(3).leases
        assert sorted(i.pair.id for i in repeats) == sorted(i.pair.id for i in first)
        original = {i.pair.id: i.shown_swapped for i in first}
        for item in repeats:
            assert item.shown_swapped is not original[item.pair.id]
        acks = c.submit(
            [judgment(i.pair.id, name, "B", shown_swapped=i.shown_swapped) for i in repeats]
        )
        assert {a.status for a in acks} == {"accepted"}
        assert c.progress()["judged"] == 6  # repeats count like any verdict, not apart
        stats = admin.stats()
        mine = next(s for s in stats["annotators"] if s["annotator"] == name)
        assert (mine["repeats"], mine["repeat_agree"]) == (3, 0)
        assert c.lease(3).exhausted  # each pair is repeated once


def test_repeats_wait_for_the_gap(backend: Backend) -> None:
    project = backend.project(n_pairs=6, overlap=3, repeat_rate=0.5, repeat_gap=3)
    name, token = backend.user()
    with client(backend, project, token) as c:
        judged: list[str] = []
        for _ in range(6):
            item = c.lease(1).leases[0]
            # Nothing judged fewer than 3 judgments ago may come back as a repeat.
            if item.pair.id in judged:
                assert item.pair.id in judged[:-3]
            c.submit([judgment(item.pair.id, name, shown_swapped=item.shown_swapped)])
            judged.append(item.pair.id)


def test_repeats_are_a_random_draw_outside_the_gap(backend: Backend) -> None:
    from rankterm.server import scheduling
    from rankterm.server.core import get_project, get_user

    project = backend.project(n_pairs=30, overlap=1, repeat_gap=5)
    name, token = backend.user()
    with client(backend, project, token) as c:
        judged = [i.pair.id for i in c.lease(30).leases]
        acks = c.submit([judgment(pair_id, name) for pair_id in judged])
        assert [a.status for a in acks] == ["accepted"] * 30

    def draw(conn) -> list[str]:
        proj, user = get_project(conn, project), get_user(conn, name)
        return [row.pair_id for row in scheduling._pick_repeats(conn, proj, user, 1)]

    drawn = []
    for _ in range(60):
        with backend.db.read() as conn:  # nothing is leased: every draw sees the same state
            drawn += draw(conn)
    assert len(drawn) == 60
    assert not set(drawn) & set(judged[-5:]), "a pair inside the repeat gap came back"
    # 25 eligible pairs, 60 draws: fewer than 10 distinct would mean the draw is not random.
    assert len(set(drawn)) >= 10, drawn
