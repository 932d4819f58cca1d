"""Leases: which pairs an annotator gets next, and the slots those leases hold.

A pair has ``overlap`` slots. A live "normal" lease or an active ordinary judgment holds one;
both are counted on the pair row itself (``n_leased``, ``n_judged``), so the check
``n_judged + n_leased < overlap`` is made on the row that ``FOR UPDATE SKIP LOCKED`` locks:
two server processes never hand out the same slot. Gold items and blind repeats hold no slot.

Nothing an annotator's client receives tells a gold item or a blind repeat from an ordinary
pair (nor a re-judgment after a guideline change, kind "rejudge", which holds no slot either):
every lease's side order comes from a keyed hash (the project's secret ``side_key``), so
a repeat's order (the inverse of its first showing) cannot be predicted; a batch is shuffled
whole; and a pair goes out without its priority. One annotator holds at most the project's
``max_leases`` live leases, and no lease lives longer than ``lease_max_age`` with renewals.

Lock order, everywhere: pair rows (ascending ``seq``) before lease rows. The lease picker
never waits for a pair lock (it skips locked rows), so the order only matters for reclaiming,
releasing and ingesting judgments, which all follow it.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, exists, func, select, update

from rankterm.server import picking, pools, rejudge
from rankterm.server import statements as S
from rankterm.server import tables as t
from rankterm.server.core import Project, User, now, to_datetime

P, L, J = t.pairs, t.leases, t.judgments

_dec_leased = (
    update(P).where(P.c.seq == bindparam("s")).values(n_leased=P.c.n_leased - bindparam("d"))
)


def lock_pairs(conn: Connection, seqs: set[int]) -> None:
    """Take row locks on pairs in a fixed order (no-op on SQLite, which locks the database)."""
    if seqs and conn.dialect.name == "postgresql":
        conn.execute(
            select(P.c.seq).where(P.c.seq.in_(sorted(seqs))).order_by(P.c.seq).with_for_update()
        ).all()


def decrement_leased(conn: Connection, counts: Counter[int]) -> None:
    if counts:
        conn.execute(_dec_leased, [{"s": seq, "d": d} for seq, d in sorted(counts.items())])


def has_expired(conn: Connection, project: Project, at: float) -> bool:
    return conn.execute(S.ANY_EXPIRED, {"pid": project.id, "at": at}).first() is not None


def reclaim_expired(conn: Connection, project: Project, at: float | None = None) -> int:
    """Mark leases past their expiry as expired and free the slots they held."""
    at = now() if at is None else at
    expired = conn.execute(
        select(L.c.pair_seq).where(
            L.c.project_id == project.id, L.c.state == "live", L.c.expires_at < at
        )
    ).all()
    if not expired:
        return 0
    lock_pairs(conn, {row.pair_seq for row in expired})
    freed = conn.execute(
        update(L)
        .where(L.c.project_id == project.id, L.c.state == "live", L.c.expires_at < at)
        .values(state="expired")
        .returning(L.c.pair_seq, L.c.kind)
    ).all()
    decrement_leased(conn, Counter(row.pair_seq for row in freed if row.kind == "normal"))
    return len(freed)


def side(project: Project, user: User, pair_id: str) -> bool:
    """Whether ``user`` sees B on the left for this pair: stable per (annotator, pair) and
    balanced across annotators, like :func:`rankterm.core.model.shown_swapped`, but keyed with the
    project's secret so that no one outside the server can compute it."""
    message = f"{user.id}\x00{pair_id}".encode("utf-8", "surrogatepass")
    digest = hmac.new(project.side_key.encode(), message, hashlib.sha256).digest()
    return bool(digest[0] & 1)


def live_leases(conn: Connection, project: Project, user: User) -> int:
    """The user's live leases in the project (ix_leases_live_user: reads only those)."""
    return conn.execute(S.LIVE_LEASES_OF, {"pid": project.id, "uid": user.id}).scalar_one()


def _split(n: int, project: Project, rng: random.Random) -> tuple[int, int]:
    """How many of ``n`` items are gold and how many blind repeats, drawn at the rates."""
    gold = repeat = 0
    for _ in range(n):
        u = rng.random()
        if u < project.gold_rate:
            gold += 1
        elif u < project.gold_rate + project.repeat_rate:
            repeat += 1
    return gold, repeat


def _first_side(project: Project, user: User, row: Any) -> bool:
    """The side order a judged item was first shown in. A pair's verdict stores it; a
    ranking's stores none (False: the candidates have no sides), and its first lease had the
    keyed order every ordinary lease gets. Inverting the stored False sent every ranking
    repeat out as ``shown_swapped: true``, where ordinary ones are true half the time."""
    if row.choice == "ranking":
        return side(project, user, row.pair_id)
    return bool(row.shown_swapped)


def _user_live_lease(user: User) -> Any:
    return exists().where(L.c.pair_seq == P.c.seq, L.c.user_id == user.id, L.c.state == "live")


def _pick_normal(conn: Connection, project: Project, user: User, k: int) -> list[Any]:
    if k <= 0:
        return []
    return picking.pick(conn, project, user.id, k, pools.allowed(project, user))


def _pick_gold(conn: Connection, project: Project, user: User, k: int) -> list[Any]:
    if k <= 0:
        return []
    # A probe per gold item (ix_judgments_pair_user); OFFSET keeps PostgreSQL, on a new
    # project's statistics, from hashing all of the annotator's judgments instead (as in
    # statements.PICK_NORMAL; tests/server/test_query_plans.py).
    seen = exists(select(J.c.id).where(J.c.pair_seq == P.c.seq, J.c.user_id == user.id).offset(0))
    # A lease that expired or was given back does not count: the item comes round again.
    leased = exists().where(L.c.pair_seq == P.c.seq, L.c.user_id == user.id, L.c.state == "live")
    stmt = (
        select(P.c.seq, P.c.pair_id, P.c.data)
        .where(P.c.project_id == project.id, P.c.is_gold.is_(True), ~seen, ~leased)
        .order_by(func.random())
        .limit(k)
    )
    return conn.execute(_in_pools(stmt, project, user)).all()


def _in_pools(stmt: Any, project: Project, user: User) -> Any:
    """``stmt`` limited to the pairs of the pools ``user`` can serve (rankterm.server.pools)."""
    return stmt.where(P.c.pool.in_(pools.allowed(project, user)))


def _pick_repeats(conn: Connection, project: Project, user: User, k: int) -> list[Any]:
    """Up to ``k`` pairs this annotator judged and has not been re-shown, with their original
    side order, drawn at random.

    Judgment ids are random UUIDs, so the k eligible judgments that follow a random id (in id
    order, wrapping around) are a random draw. Walking ix_judgments_project_user_id from there
    stops after k eligible rows, where ``ORDER BY random()`` read all of the annotator's
    judgments on every such lease: 64 ms at 10,000 judgments on PostgreSQL, 24 ms on SQLite.
    A judgment's chance is the width of the id gap before it: random, and unrelated to when or
    how it was made (a draw by time would favour the first judgment after each break).
    """
    if k <= 0:
        return []
    repeated = exists().where(
        L.c.pair_seq == J.c.pair_seq, L.c.user_id == user.id, L.c.kind == "repeat"
    )
    live = exists().where(L.c.pair_seq == J.c.pair_seq, L.c.user_id == user.id, L.c.state == "live")
    where = [
        J.c.project_id == project.id,
        J.c.user_id == user.id,
        J.c.source.is_(None),
        J.c.retracted.is_(False),
        J.c.superseded.is_(False),
        ~repeated,
        ~live,
    ]
    if project.repeat_gap > 0:
        # Only pairs with at least repeat_gap judgments after them: a pair seen moments ago
        # would give the repeat away. (ix_judgments_project_user_time: reads repeat_gap rows.)
        later = J.alias("later")
        cutoff = (
            select(later.c.received_at)
            .where(later.c.project_id == project.id, later.c.user_id == user.id)
            .order_by(later.c.received_at.desc())
            .limit(1)
            .offset(project.repeat_gap)
            .scalar_subquery()
        )
        where.append(J.c.received_at <= cutoff)
    start = uuid.uuid4()
    rows: list[Any] = []
    for side in (J.c.id >= start, J.c.id < start):
        stmt = (
            select(P.c.seq, P.c.pair_id, P.c.data, J.c.shown_swapped, J.c.choice)
            .join(P, P.c.seq == J.c.pair_seq)
            .where(*where, side)
            .order_by(J.c.id)
            .limit(k - len(rows))
        )
        rows += conn.execute(_in_pools(stmt, project, user)).all()
        if len(rows) == k:
            break
    return rows


def _beside(
    conn: Connection,
    project: Project,
    user: User,
    mixed: list[Any],
    got: int,
    wanted: int,
    rng: random.Random,
) -> list[Any]:
    """The mixed-in items that go out with ``got`` of the ``wanted`` ordinary pairs.

    Only beside ordinary pairs, in the proportion drawn: when the annotator's queue holds
    fewer than drawn, each is kept at the rate ``got / wanted``, and none once it is empty.
    Served alone, they were recognisable as whatever still came after the queue ran dry. (A
    project of nothing but gold and repeats, rates summing to 1, has nothing to hide.)
    """
    if project.gold_rate + project.repeat_rate >= 1 or got >= wanted > 0:
        return mixed
    if wanted == 0:
        # Every draw was a mixed-in item: served only if an ordinary pair is still open.
        return mixed if _pick_normal(conn, project, user, 1) else []
    return [item for item in mixed if rng.random() * wanted < got]


#: Fields of a stored pair an annotator's client never gets: the gold answer, the priority
#: (gold items and repeats are drawn without regard to it, so it would set them apart), and
#: which model wrote each side. The screen never showed the models, but the lease JSON (and
#: the remote client's lease cache on the annotator's disk) did: anyone who looked could
#: vote for a favourite model, the bias blind pairwise voting exists to keep out. The stored
#: pair keeps them, for the export and the leaderboard.
HIDDEN = frozenset({"gold", "priority", "model_a", "model_b"})


def public_pair(data: dict[str, Any]) -> dict[str, Any]:
    """The pair (or ranking task) as an annotator may see it."""
    if not HIDDEN.isdisjoint(data):
        data = {k: v for k, v in data.items() if k not in HIDDEN}
    responses = data.get("responses")
    if isinstance(responses, list) and any(isinstance(c, dict) and "model" in c for c in responses):
        data = {
            **data,
            "responses": [
                {k: v for k, v in c.items() if k != "model"} if isinstance(c, dict) else c
                for c in responses
            ],
        }
    return data


#: Namespace of lease ids derived from a client's request key (see :func:`lease_ids`).
LEASE_NS = uuid.UUID("6f1c8f0e-3a5b-4c1e-9d8a-6b0c2f7e4a11")


def lease_ids(user: User, key: str, n: int) -> list[uuid.UUID]:
    """The ids the leases of request ``key`` get: the same for a resend of that request.

    Derived from the user's id too, so two annotators sending the same key never collide,
    and a resend that races the original fails on the primary key and is retried (it then
    finds the original's leases).
    """
    return [uuid.uuid5(LEASE_NS, f"{user.id}:{key}:{i}") for i in range(n)]


def replay(
    conn: Connection, project: Project, user: User, key: str, n: int
) -> list[dict[str, Any]] | None:
    """The live leases an earlier request with this key made, or None if there was none.

    A lease request whose answer was lost (a dropped connection, a timeout) and is sent
    again gets the same leases back instead of taking more slots.
    """
    ids = lease_ids(user, key, n)
    rows = conn.execute(S.LEASES_BY_ID, {"ids": ids, "uid": user.id, "pid": project.id}).all()
    if not rows:
        return None
    order = {lease_id: i for i, lease_id in enumerate(ids)}
    rows.sort(key=lambda row: order[row.id])
    return [
        {
            "lease_id": row.id,
            "pair": public_pair(row.data),
            "shown_swapped": row.shown_swapped,
            "expires_at": to_datetime(row.expires_at),
        }
        for row in rows
        if row.state == "live"
    ]


def lease(
    conn: Connection,
    project: Project,
    user: User,
    n: int,
    rng: random.Random | None = None,
    *,
    key: str | None = None,
    live: int | None = None,
) -> list[dict[str, Any]]:
    """Lease up to ``n`` pairs to ``user``: open slots by priority, gold and repeats mixed in.

    With a request ``key`` the leases get ids derived from it (:func:`lease_ids`); the caller
    checks :func:`replay` first so that a resend returns what the first attempt made.
    ``live``: the user's live leases in the project, if the caller has counted them already.
    """
    rng = rng or random.Random()
    at = now()
    expires = at + min(project.lease_ttl, project.lease_max_age)
    if live is None:
        live = live_leases(conn, project, user)
    n = min(n, project.max_leases - live)
    if n <= 0:
        return []
    n_gold, n_repeat = _split(n, project, rng)
    picked: list[tuple[str, Any, bool]] = []
    for row in _pick_gold(conn, project, user, n_gold):
        picked.append(("gold", row, side(project, user, row.pair_id)))
    for row in _pick_repeats(conn, project, user, n_repeat):
        picked.append(("repeat", row, not _first_side(project, user, row)))
    wanted = n - len(picked)
    # Re-judgments owed after a guideline change come before new pairs, dressed as a blind
    # repeat is (rankterm.server.rejudge); beside them, as beside ordinary pairs, the rest.
    taken = {row.seq for _, row, _ in picked}
    again = [r for r in rejudge.pick_open(conn, project, user, wanted) if r.seq not in taken]
    ordinary = _pick_normal(conn, project, user, wanted - len(again))
    if picked:
        picked = _beside(conn, project, user, picked, len(ordinary) + len(again), wanted, rng)
    picked += [("rejudge", row, not side(project, user, row.pair_id)) for row in again]
    picked += [("normal", row, side(project, user, row.pair_id)) for row in ordinary]
    if not picked:
        return []
    # The batch is the most urgent open pairs plus what is mixed in; its order is random, so
    # position tells nothing (ordinary pairs in priority order gave the others away).
    rng.shuffle(picked)
    ids = lease_ids(user, key, len(picked)) if key is not None else None
    rows = [
        {
            "id": ids[i] if ids is not None else uuid.uuid4(),
            "project_id": project.id,
            "pair_seq": row.seq,
            "user_id": user.id,
            "kind": kind,
            "shown_swapped": swapped,
            "state": "live",
            "created_at": at,
            "expires_at": expires,
        }
        for i, (kind, row, swapped) in enumerate(picked)
    ]
    conn.execute(S.INSERT_LEASES, rows)
    normal = sorted(row.seq for kind, row, _ in picked if kind == "normal")
    if normal:
        conn.execute(S.TAKE_SLOTS, {"seqs": normal})
    when = to_datetime(expires)
    return [
        {
            "lease_id": lease_row["id"],
            "pair": public_pair(row.data),
            "shown_swapped": swapped,
            "expires_at": when,
        }
        for lease_row, (_, row, swapped) in zip(rows, picked, strict=True)
    ]


#: What a stored lease state is called on the wire (rankterm.core.wire.LeaseState, which the
#: client parses strictly: a value outside it would break every client). A lease still
#: stored "live" but not renewed or released by this request is at its maximum age or was
#: taken by a concurrent request: gone for the caller either way.
WIRE_STATES: dict[str, str] = {
    "live": "expired",
    "expired": "expired",
    "released": "released",
    "consumed": "consumed",
}


def _statuses(conn: Connection, project: Project, user: User, ids: list[uuid.UUID]) -> dict:
    """The caller's own leases among ``ids``: their states in the wire's vocabulary."""
    rows = conn.execute(
        select(L.c.id, L.c.state).where(
            L.c.id.in_(ids), L.c.project_id == project.id, L.c.user_id == user.id
        )
    ).all()
    return {row.id: WIRE_STATES.get(row.state, "unknown") for row in rows}


def renew(
    conn: Connection, project: Project, user: User, ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    """Extend live leases by the project's TTL, never past ``lease_max_age`` from when each
    was made; a lease already reclaimed, or at its maximum age, is reported expired."""
    at = now()
    wanted = at + project.lease_ttl
    limit = L.c.created_at + project.lease_max_age
    renewed: dict[uuid.UUID, float] = {}
    if ids:
        renewed = dict(
            conn.execute(
                update(L)
                .where(
                    L.c.id.in_(ids),
                    L.c.project_id == project.id,
                    L.c.user_id == user.id,
                    L.c.state == "live",
                    limit > at,
                )
                .values(expires_at=case((limit < wanted, limit), else_=wanted))
                .returning(L.c.id, L.c.expires_at)
            ).all()
        )
    # A live lease not renewed is at its maximum age: it runs out at its expiry ("expired").
    states = _statuses(conn, project, user, [i for i in ids if i not in renewed])
    return [
        {"lease_id": i, "status": "renewed", "expires_at": to_datetime(renewed[i])}
        if i in renewed
        else {"lease_id": i, "status": states.get(i, "unknown")}
        for i in ids
    ]


def release(
    conn: Connection, project: Project, user: User, ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    """Give leases back so their slots go to someone else now rather than at expiry."""
    live = []
    if ids:
        live = conn.execute(
            select(L.c.pair_seq).where(
                L.c.id.in_(ids),
                L.c.project_id == project.id,
                L.c.user_id == user.id,
                L.c.state == "live",
            )
        ).all()
    released: set[uuid.UUID] = set()
    if live:
        lock_pairs(conn, {row.pair_seq for row in live})
        freed = conn.execute(
            update(L)
            .where(
                and_(
                    L.c.id.in_(ids),
                    L.c.project_id == project.id,
                    L.c.user_id == user.id,
                    L.c.state == "live",
                )
            )
            .values(state="released")
            .returning(L.c.id, L.c.pair_seq, L.c.kind)
        ).all()
        released = {row.id for row in freed}
        decrement_leased(conn, Counter(row.pair_seq for row in freed if row.kind == "normal"))
    states = _statuses(conn, project, user, [i for i in ids if i not in released])
    return [
        {"lease_id": i, "status": "released" if i in released else states.get(i, "unknown")}
        for i in ids
    ]
