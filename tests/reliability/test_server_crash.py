"""The task server SIGKILLed and restarted mid-lease and mid-request, on SQLite and PostgreSQL:
nothing acknowledged is lost, nothing is stored twice, live leases survive the restart, leases
abandoned by a vanished annotator come back to the pool once expired, and the slot counters
stay equal to what the rows say."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select, update

from rankterm.core.model import Ack
from rankterm.server import tables as t
from rankterm.server.core import get_project
from rankterm.sources.client import RetryPolicy, TaskClient
from tests.reliability.serverstack import Stack, make_pairs, stack
from tests.server.conftest import judgment

#: Patient enough to outlast a restart of the server on a busy machine.
PATIENT = RetryPolicy(attempts=400, base=0.05, cap=0.5)
N_PAIRS = 30


def client(s: Stack, project: str, token: str, **kw) -> TaskClient:
    return TaskClient(s.url, project, token, retry=PATIENT, timeout=30, **kw)


def invariants(s: Stack, project: str) -> dict[str, int]:
    """Slot counters equal to the rows, and the counts the test asserts on."""
    P, L, J = t.pairs, t.leases, t.judgments
    with s.db.read() as conn:
        pid = get_project(conn, project).id
        pairs = conn.execute(
            select(P.c.seq, P.c.pair_id, P.c.n_judged, P.c.n_leased).where(P.c.project_id == pid)
        ).all()
        live = Counter(
            conn.execute(
                select(L.c.pair_seq).where(
                    L.c.project_id == pid, L.c.state == "live", L.c.kind == "normal"
                )
            ).scalars()
        )
        judged = Counter(
            conn.execute(
                select(J.c.pair_seq).where(
                    J.c.project_id == pid, J.c.retracted.is_(False), J.c.superseded.is_(False)
                )
            ).scalars()
        )
        total = conn.execute(select(func.count()).where(J.c.project_id == pid)).scalar()
    for row in pairs:
        assert row.n_leased == live[row.seq], f"{row.pair_id}: n_leased {row.n_leased} != live"
        assert row.n_judged == judged[row.seq], f"{row.pair_id}: n_judged {row.n_judged} != rows"
    return {"judgments": total, "judged_pairs": len(judged), "live_leases": sum(live.values())}


def age_leases(s: Stack, lease_ids: list) -> None:
    """Make leases overdue, as if their TTL had passed while nobody renewed them."""
    s.db.write(
        lambda conn: conn.execute(
            update(t.leases).where(t.leases.c.id.in_(lease_ids)).values(expires_at=0.0)
        )
    )


def statuses(acks: list[Ack]) -> Counter[str]:
    return Counter(a.status for a in acks)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_server_killed_mid_lease_and_mid_request_loses_nothing(tmp_path, kind):
    with stack(kind, tmp_path) as s:
        project = s.project("crash", make_pairs(N_PAIRS), overlap=1, lease_ttl=3600)
        alice, bob = "alice", "bob"
        tokens = {alice: s.user(alice), bob: s.user(bob)}

        with client(s, project, tokens[alice], batch_size=1) as a:
            held = a.lease(12).leases
            first = [judgment(i.pair.id, alice) for i in held[:4]]
            assert statuses(a.submit(first)) == {"accepted": 4}

            # A batch in flight while the server dies: the client retries until it is back.
            in_flight = [judgment(i.pair.id, alice) for i in held[4:8]]
            result: dict[str, list[Ack]] = {}
            sender = threading.Thread(target=lambda: result.update(acks=a.submit(in_flight)))
            sender.start()
            s.crash()
            s.restart()
            sender.join(timeout=300)
            assert not sender.is_alive(), "the client never got its batch through"
            assert set(statuses(result["acks"])) <= {"accepted", "duplicate"}
            assert [ack.judgment_id for ack in result["acks"]] == [j.id for j in in_flight]

            # Alice's live leases survived the crash: she renews them and carries on.
            renewed = a.renew([i.lease_id for i in held[8:]])
            assert [r.status for r in renewed] == ["renewed"] * 4
            later = [judgment(i.pair.id, alice) for i in held[8:10]]
            assert statuses(a.submit(later)) == {"accepted": 2}
            abandoned = held[10:]  # alice goes away without judging or releasing these

        assert invariants(s, project) == {"judgments": 10, "judged_pairs": 10, "live_leases": 2}

        with client(s, project, tokens[bob], batch_size=5) as b:
            mine = b.lease(50).leases
            taken = {i.pair.id for i in mine}
            assert taken.isdisjoint(i.pair.id for i in held), "bob got a pair alice holds"
            assert len(taken) == N_PAIRS - 12

            s.crash()  # bob holds 18 live leases
            s.restart()
            assert [r.status for r in b.renew([i.lease_id for i in mine])] == ["renewed"] * 18

            # Alice's abandoned leases expire and come back to the pool.
            assert b.lease(50).leases == []
            age_leases(s, [i.lease_id for i in abandoned])
            recovered = b.lease(50).leases
            assert sorted(i.pair.id for i in recovered) == sorted(i.pair.id for i in abandoned)

            everything = [judgment(i.pair.id, bob) for i in mine + recovered]
            assert statuses(b.submit(everything)) == {"accepted": 20}
            assert statuses(b.submit(everything)) == {"duplicate": 20}  # a resend after a crash

        assert invariants(s, project) == {
            "judgments": N_PAIRS,
            "judged_pairs": N_PAIRS,
            "live_leases": 0,
        }
        with TaskClient(s.url, project, tokens[alice]) as a:
            assert a.progress()["judged"] == 10
