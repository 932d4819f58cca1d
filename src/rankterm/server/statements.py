"""Prebuilt statements for the hot paths (auth, lease, submit).

Building a Core statement costs more CPU than running it on SQLite; built once here with bind
parameters, each request only binds values. ``ids``-style parameters are expanding (``IN``).
"""

from __future__ import annotations

from sqlalchemy import (
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    text,
    union_all,
    update,
)

from rankterm.server import tables as t

P, L, J, R, RJ = t.pairs, t.leases, t.judgments, t.retractions, t.rejections


def _in(name: str):
    return bindparam(name, expanding=True)


PROJECT_BY_NAME = select(t.projects).where(t.projects.c.name == bindparam("name"))

CURRENT_GUIDELINE = (
    select(t.guidelines)
    .where(t.guidelines.c.project_id == bindparam("pid"))
    .order_by(t.guidelines.c.id.desc())
    .limit(1)
)

MEMBER_ROLE = select(t.project_members.c.role).where(
    t.project_members.c.project_id == bindparam("pid"),
    t.project_members.c.user_id == bindparam("uid"),
)

TOKEN_USER = (
    select(t.tokens.c.token_hash, t.users)
    .join(t.users, t.users.c.id == t.tokens.c.user_id)
    .where(t.tokens.c.token_hash == bindparam("digest"), t.tokens.c.revoked_at.is_(None))
)

#: The token's user and their member role in one project, in one statement (the hot endpoints
#: check both on every request: one lookup instead of two).
TOKEN_USER_MEMBER = TOKEN_USER.add_columns(
    select(t.project_members.c.role)
    .where(
        t.project_members.c.project_id == bindparam("pid"),
        t.project_members.c.user_id == t.users.c.id,
    )
    .scalar_subquery()
    .label("member_role")
)

#: TOKEN_USER_MEMBER plus the user's live leases in the project, for the lease endpoint's cap
#: (a statement of its own cost 0.4 ms a lease on SQLite). No expiry test: see LIVE_LEASES_OF.
TOKEN_USER_MEMBER_LEASES = TOKEN_USER_MEMBER.add_columns(
    select(func.count())
    .select_from(L)
    .where(
        L.c.user_id == t.users.c.id,
        L.c.state == "live",
        L.c.project_id == bindparam("pid"),
    )
    .correlate(t.users)
    .scalar_subquery()
    .label("live_leases")
)

# --- submit ----------------------------------------------------------------------------------

#: What the server already knows about a set of record ids, and whose they are: stored
#: judgment ("j") or remembered rejection ("r", with its reason).
SEEN_IDS = union_all(
    select(
        J.c.id.label("id"),
        cast(null(), Text).label("reason"),
        literal("j").label("k"),
        J.c.user_id.label("user_id"),
    ).where(J.c.id.in_(_in("ids"))),
    select(RJ.c.id, RJ.c.reason, literal("r"), RJ.c.user_id).where(RJ.c.id.in_(_in("ids"))),
)

PAIRS_FOR_UPDATE = (
    select(P.c.seq, P.c.pair_id, P.c.is_gold, P.c.n_judged, P.c.n_leased, P.c.k, P.c.done)
    .where(P.c.project_id == bindparam("pid"), P.c.pair_id.in_(_in("ids")))
    .order_by(P.c.seq)
    .with_for_update()
)

USER_LEASES = (
    select(L.c.id, L.c.pair_seq, L.c.kind, L.c.state)
    .where(L.c.pair_seq.in_(_in("seqs")), L.c.user_id == bindparam("uid"), L.c.state != "released")
    .order_by(L.c.created_at)
)

#: No project_id: the seqs are the project's already, and naming the project would let the
#: planner walk all of the user's judgments through a (project_id, user_id, ...) index instead
#: of probing each pair.
USER_ACTIVE = select(J.c.id, J.c.pair_seq, J.c.source).where(
    J.c.pair_seq.in_(_in("seqs")),
    J.c.user_id == bindparam("uid"),
    J.c.retracted.is_(False),
    J.c.superseded.is_(False),
)

STANDING_VERDICTS = select(J.c.pair_seq, J.c.data).where(
    J.c.pair_seq.in_(_in("seqs")),
    J.c.source.is_(None),
    J.c.retracted.is_(False),
    J.c.superseded.is_(False),
)

INSERT_JUDGMENTS = insert(J)
CONSUME_LEASES = update(L).where(L.c.id.in_(_in("ids"))).values(state="consumed")
SUPERSEDE = update(J).where(J.c.id.in_(_in("ids"))).values(superseded=True)
WRITE_PAIR = (
    update(P)
    .where(P.c.seq == bindparam("s"))
    .values(
        n_judged=bindparam("nj"),
        n_leased=bindparam("nl"),
        done=bindparam("dn"),
        conflict=bindparam("cf"),
    )
)

#: PostgreSQL: a batch's counters in one statement, its columns passed as arrays (measured:
#: about a quarter of the client CPU of an executemany of 500 single-row UPDATEs, and half the
#: wall time). An INSERT of the judgments the same way measured slower than SQLAlchemy's own
#: multi-row VALUES, so that one stays an executemany.
WRITE_PAIRS_PG = text(
    "UPDATE pairs AS p SET n_judged = v.nj, n_leased = v.nl, done = v.dn, conflict = v.cf"
    " FROM unnest(CAST(:s AS integer[]), CAST(:nj AS integer[]), CAST(:nl AS integer[]),"
    " CAST(:dn AS boolean[]), CAST(:cf AS boolean[])) AS v(s, nj, nl, dn, cf)"
    " WHERE p.seq = v.s"
)

# --- lease -----------------------------------------------------------------------------------

ANY_EXPIRED = (
    select(L.c.id)
    .where(
        L.c.project_id == bindparam("pid"),
        L.c.state == "live",
        L.c.expires_at < bindparam("at"),
    )
    .limit(1)
)

PICK_NORMAL = (
    select(P.c.seq, P.c.pair_id, P.c.data)
    .where(
        P.c.project_id == bindparam("pid"),
        P.c.is_gold.is_(False),
        P.c.done.is_(False),
        P.c.n_judged + P.c.n_leased < bindparam("overlap"),
        # A probe per candidate pair (ix_judgments_pair_user), which stops after k pairs.
        # Left to itself, with a new project's statistics, PostgreSQL may hash all of the
        # annotator's judgments instead, on every lease; OFFSET keeps it from turning the
        # subquery into a join (tests/server/test_query_plans.py).
        ~exists(
            select(J.c.id)
            .where(
                J.c.pair_seq == P.c.seq,
                J.c.user_id == bindparam("uid"),
                J.c.retracted.is_(False),
            )
            .offset(0)
        ),
        ~exists().where(
            and_(L.c.pair_seq == P.c.seq, L.c.user_id == bindparam("uid"), L.c.state == "live")
        ),
    )
    .order_by(P.c.priority.desc(), P.c.seq)
    .limit(bindparam("k"))
    .with_for_update(skip_locked=True, of=P)
)

#: No expiry test: a lease past its expiry still holds its slot until it is reclaimed.
LIVE_LEASES_OF = select(func.count()).where(
    L.c.user_id == bindparam("uid"), L.c.state == "live", L.c.project_id == bindparam("pid")
)

INSERT_LEASES = insert(L)
TAKE_SLOTS = update(P).where(P.c.seq.in_(_in("seqs"))).values(n_leased=P.c.n_leased + 1)

#: The leases of a replayed lease request (their ids are derived from the request's key).
LEASES_BY_ID = (
    select(L.c.id, L.c.state, L.c.shown_swapped, L.c.expires_at, P.c.data)
    .join(P, P.c.seq == L.c.pair_seq)
    .where(
        L.c.id.in_(_in("ids")),
        L.c.user_id == bindparam("uid"),
        L.c.project_id == bindparam("pid"),
    )
)
