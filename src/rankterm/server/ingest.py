"""Taking judgments and retractions in: idempotent on the record's UUID, checked item by item.

Each item gets an :class:`~rankterm.core.model.Ack`: ``accepted``, ``duplicate`` (already stored;
a resend creates nothing) or ``rejected`` with a reason (kept, so a resend gets the same
answer). The rules mirror the journal's: a second judgment by the same person on the same
pair supersedes the first, and retracting the standing one brings the previous one back.

A record id belongs to its author: the same id from someone else is rejected and says so
(it never answers "duplicate" for a verdict that was not stored, nor voids one), and a
retraction names only its author's own stored judgment. An annotator's verdict needs their
lease on the pair (live, or one they judged under before, or one that lapsed); a pair never
served to them, gold or not, or no pair at all, gets one and the same answer, so submitting
is no oracle. Admins, importing prior labels, need none (and take an open slot or are refused).

Late verdicts: a verdict under the author's own lease that ran out (not one they gave back)
is accepted for every kind of pair, even when the slot went to someone else meanwhile; the
pair then holds one verdict more than its overlap. Refusing it for ordinary pairs only (as
before) told gold items and repeats apart, since those hold no slot; refusing it for every
kind would lose an honest slow annotator's work (a laptop asleep past the lease, a pair
harder than ``lease_max_age``). The author was served the pair and judged it: the label is
as good as any, and the expiry already did its job, which is to free the slot for others.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from pydantic import ValidationError
from sqlalchemy import Connection, select, update

from rankterm.core.errors import describe_validation_error
from rankterm.core.model import Judgment
from rankterm.server import adaptive, rejudge
from rankterm.server import statements as S
from rankterm.server import tables as t
from rankterm.server.conflicts import StoredOrder, is_conflict, stored_verdict
from rankterm.server.core import Project, User, now
from rankterm.server.db import chunks, insert_ignore
from rankterm.server.records import JudgmentIn, RankingIn, RetractionIn
from rankterm.server.scheduling import lock_pairs

P, L, J, R = t.pairs, t.leases, t.judgments, t.retractions
NIL = uuid.UUID(int=0)


@dataclass
class PairState:
    seq: int
    pair_id: str
    is_gold: bool
    n_judged: int
    n_leased: int
    changed: bool = False
    #: None for a pair, K for a ranking task (tables.pairs.k).
    k: int | None = None
    #: The pair's done flag as read (an open pair holding ``overlap`` verdicts has extra slots).
    done: bool = False


class Receipt(NamedTuple):
    """The server's answer for one record (sent to the client as a model.Ack)."""

    judgment_id: uuid.UUID
    status: str
    reason: str = ""


@dataclass
class LeaseRef:
    id: uuid.UUID
    kind: str
    state: str


def foreign_id(rid: uuid.UUID) -> str:
    """Why a record whose id someone else used first is refused (the client keeps it)."""
    return "this id is already used by another annotator; the record was not stored"


class Unreadable(NamedTuple):
    """An item the request decoder already refused (a lone surrogate, say), and why."""

    id: uuid.UUID
    reason: str


def raw_id(raw: Any) -> uuid.UUID:
    """The item's id if it has a usable one (for its receipt), else the nil UUID."""
    rid = raw.get("id") if isinstance(raw, dict) else None
    try:
        return uuid.UUID(str(rid)) if rid is not None else NIL
    except ValueError:
        return NIL


def _parse(raw: Any, model: type, user: User, field: str) -> tuple[Any, Receipt | None]:
    """(record, None) or (None, rejection Receipt) for one raw item."""
    if isinstance(raw, Unreadable):
        return None, Receipt(judgment_id=raw.id, status="rejected", reason=raw.reason)
    try:
        record = model.model_validate(raw)
    except (ValidationError, RecursionError) as exc:
        ack_id = raw_id(raw)
        if isinstance(exc, RecursionError):
            return None, Receipt(ack_id, "rejected", "nested too deeply")
        return None, Receipt(
            judgment_id=ack_id, status="rejected", reason=describe_validation_error(exc)
        )
    who = getattr(record, field)
    if who != user.name:
        reason = f"{field} {who!r} is not the token's user {user.name!r}"
        return None, Receipt(judgment_id=record.id, status="rejected", reason=reason)
    return record, None


def _parse_all(
    items: list[Any], model: type, user: User
) -> tuple[list[Receipt | None], list[tuple[int, Any]]]:
    """A slot per item (filled now for the ones rejected at parse) and the parsed records,
    each with its index in ``items``."""
    results: list[Receipt | None] = [None] * len(items)
    parsed: list[tuple[int, Any]] = []
    for i, raw in enumerate(items):
        record, ack = _parse(raw, model, user, "annotator")
        if ack is not None:
            results[i] = ack
        else:
            parsed.append((i, record))
    return results, parsed


def _known(conn: Connection, table: Any, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for group in chunks(ids):
        found.update(conn.execute(select(table.c.id).where(table.c.id.in_(group))).scalars())
    return found


@dataclass
class Standing:
    """What the server holds about a batch's pairs and ids, read under the pairs' row locks."""

    pairs: dict[str, PairState]
    #: The submitting user (ids are theirs or someone else's).
    user_id: int = 0
    known: set[uuid.UUID] = field(default_factory=set)
    old_rejections: dict[uuid.UUID, str] = field(default_factory=dict)
    #: Ids already used by someone else (a stored judgment or a remembered rejection).
    foreign: set[uuid.UUID] = field(default_factory=set)
    #: The user's latest lease on each pair (by seq) that was not given back.
    latest_lease: dict[int, LeaseRef] = field(default_factory=dict)
    #: The user's standing judgment per (pair seq, source).
    active: dict[tuple[int, str | None], uuid.UUID] = field(default_factory=dict)

    def note_seen(self, rid: uuid.UUID, kind: str, reason: str | None, uid: int) -> None:
        """One row of the seen-ids query: a stored judgment or a remembered rejection."""
        if uid != self.user_id:
            self.foreign.add(rid)
        elif kind == "j":
            self.known.add(rid)
        else:
            self.old_rejections[rid] = reason or ""


@dataclass
class Changes:
    """What a batch writes: new judgment rows, lease and supersede flags, rejections."""

    judgments: list[dict[str, Any]] = field(default_factory=list)
    consumed: list[uuid.UUID] = field(default_factory=list)
    superseded: list[uuid.UUID] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    #: Re-judgments answered (rankterm.server.rejudge.close): pair seq, user, verdict, time.
    rejudged: list[dict[str, Any]] = field(default_factory=list)


def verdicts_conflict(verdicts: list[Any], rule: str) -> bool:
    """The conflict flag of a task's standing verdicts: the project's rule for a pair's
    judgments; for a ranking task's rankings, any two orders that differ (ties included), so
    that every disagreement reaches the expert who sets the order of record."""
    orders = {v.order for v in verdicts if isinstance(v, StoredOrder)}
    if orders:
        return len(orders) > 1
    return is_conflict(verdicts, rule)


def task_problem(record: Any, state: PairState) -> str | None:
    """Why a verdict does not fit its task's kind (a judgment on a ranking task, a ranking on
    a pair, candidates beyond K). Checked only after the lease check: the caller was served
    the task, so naming its kind tells them nothing new."""
    if isinstance(record, RankingIn):
        if state.k is None:
            return f"{state.pair_id!r} is a pair, not a ranking task: submit a judgment"
        return record.problem(state.k)
    if state.k is not None:
        return f"{state.pair_id!r} is a ranking task: submit a ranking"
    return None


def verdict_columns(record: Any) -> dict[str, Any]:
    """The judgments row's choice, strength and side columns; a ranking has none of its own."""
    if isinstance(record, RankingIn):
        return {"choice": "ranking", "strength": None, "shown_swapped": False}
    return {
        "choice": record.choice.value,
        "strength": record.strength,
        "shown_swapped": record.shown_swapped,
    }


def pair_rows(
    project: Project, states: list[PairState], verdicts: dict[int, list[Any]]
) -> list[dict[str, Any]]:
    """The counter, done and conflict values to write back for changed pairs, by seq."""
    if project.extra_on_conflict > 0:
        return _adaptive_rows(project, states, verdicts)
    return [
        {
            "s": s.seq,
            "nj": s.n_judged,
            "nl": max(0, s.n_leased),
            "dn": s.n_judged >= project.overlap,
            "cf": s.seq in verdicts and verdicts_conflict(verdicts[s.seq], project.conflict_rule),
        }
        for s in sorted((s for s in states if s.changed), key=lambda s: s.seq)
    ]


def _adaptive_rows(
    project: Project, states: list[PairState], verdicts: dict[int, list[Judgment]]
) -> list[dict[str, Any]]:
    """:func:`pair_rows` with extra slots on conflict (rankterm.server.adaptive)."""
    rows = []
    for s in sorted((s for s in states if s.changed), key=lambda s: s.seq):
        done, conflict = adaptive.pair_flags(
            project.overlap,
            project.extra_on_conflict,
            project.conflict_rule,
            s.n_judged,
            verdicts.get(s.seq),
        )
        rows.append(
            {"s": s.seq, "nj": s.n_judged, "nl": max(0, s.n_leased), "dn": done, "cf": conflict}
        )
    return rows


def as_columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows as one list per key: the array parameters of S.WRITE_PAIRS_PG."""
    return {k: [r[k] for r in rows] for k in rows[0]}


def needs_verdicts(project: Project, states: list[PairState]) -> list[int]:
    """Changed pairs whose conflict flag depends on their standing verdicts (one never
    conflicts, so below max(2, overlap) nothing is read back)."""
    return [s.seq for s in states if s.changed and s.n_judged >= max(2, project.overlap)]


def refresh_pairs(conn: Connection, project: Project, states: list[PairState]) -> None:
    """Write back changed counters, the done flag and the conflict flag."""
    if not any(s.changed for s in states):
        return
    full = needs_verdicts(project, states)
    verdicts: dict[int, list[Any]] = {seq: [] for seq in full}
    for group in chunks(full):
        for row in conn.execute(S.STANDING_VERDICTS, {"seqs": group}):
            verdicts[row.pair_seq].append(stored_verdict(row.data))
    rows = pair_rows(project, states, verdicts)
    if conn.dialect.name == "postgresql" and len(rows) > 1:
        conn.execute(S.WRITE_PAIRS_PG, as_columns(rows))
    else:
        conn.execute(S.WRITE_PAIR, rows)


class SubmitPath(Protocol):
    """How a judgment batch's :class:`Standing` is read and its :class:`Changes` written.

    The decisions are :func:`decide`'s on every path; only the I/O differs. The caller picks
    the path for its database and passes it in (:func:`rankterm.server.app.submit_path_for`):
    :data:`CORE` here, or PostgreSQL's pipelined one in :mod:`rankterm.server.pg_submit`,
    which builds on this module and is never imported by it.
    """

    def read_standing(
        self,
        conn: Connection,
        project: Project,
        user: User,
        pair_ids: set[str],
        ids: list[uuid.UUID],
    ) -> Standing:
        """The batch's pairs under their row locks, the ids seen, the user's leases and
        standing verdicts on those pairs."""
        ...

    def write_changes(
        self, conn: Connection, project: Project, changes: Changes, states: list[PairState]
    ) -> None:
        """Store what :func:`decide` made, and the changed pairs' counters and flags."""
        ...


class CoreSubmit:
    """SQLAlchemy Core statements: every database (a statement, a round trip)."""

    def read_standing(
        self,
        conn: Connection,
        project: Project,
        user: User,
        pair_ids: set[str],
        ids: list[uuid.UUID],
    ) -> Standing:
        standing = Standing(pairs={}, user_id=user.id)
        for group in chunks(sorted(pair_ids)):
            for row in conn.execute(S.PAIRS_FOR_UPDATE, {"pid": project.id, "ids": group}):
                standing.pairs[row.pair_id] = PairState(
                    row.seq,
                    row.pair_id,
                    row.is_gold,
                    row.n_judged,
                    row.n_leased,
                    k=row.k,
                    done=row.done,
                )
        for group in chunks(ids, 300):
            for row in conn.execute(S.SEEN_IDS, {"ids": group}):
                standing.note_seen(row.id, row.k, row.reason, row.user_id)
        seqs = [s.seq for s in standing.pairs.values()]
        for group in chunks(seqs):
            for row in conn.execute(S.USER_LEASES, {"seqs": group, "uid": user.id}):
                standing.latest_lease[row.pair_seq] = LeaseRef(row.id, row.kind, row.state)
            for row in conn.execute(S.USER_ACTIVE, {"seqs": group, "uid": user.id}):
                standing.active[(row.pair_seq, row.source)] = row.id
        return standing

    def write_changes(
        self, conn: Connection, project: Project, changes: Changes, states: list[PairState]
    ) -> None:
        if changes.judgments:
            conn.execute(S.INSERT_JUDGMENTS, changes.judgments)
        for group in chunks(changes.consumed):
            conn.execute(S.CONSUME_LEASES, {"ids": group})
        for group in chunks(changes.superseded):
            conn.execute(S.SUPERSEDE, {"ids": group})
        insert_ignore(conn, t.rejections, changes.rejections)
        if changes.rejudged:
            rejudge.close(conn, project, changes.rejudged)
        refresh_pairs(conn, project, states)


#: The Core path, the one every database can take.
CORE = CoreSubmit()


def decide(
    standing: Standing,
    project: Project,
    user: User,
    parsed: list[tuple[int, Judgment]],
    results: list[Receipt | None],
) -> Changes:
    """Each parsed judgment's fate (into ``results``) and what that writes.

    Pure: every backend reads a :class:`Standing` its own way, then writes the same Changes.
    Pair states in ``standing`` are updated in place (counters and ``changed``).
    """
    pairs, latest_lease, active = standing.pairs, standing.latest_lease, standing.active
    needs_lease = not user.has("admin")
    received = now()
    changes = Changes()
    seen: set[uuid.UUID] = set()
    for i, j in parsed:
        if j.id in standing.foreign:
            results[i] = Receipt(j.id, "rejected", foreign_id(j.id))
            continue
        if j.id in standing.known or j.id in seen:
            results[i] = Receipt(judgment_id=j.id, status="duplicate")
            continue
        if j.id in standing.old_rejections:
            reason = standing.old_rejections[j.id]
            results[i] = Receipt(judgment_id=j.id, status="rejected", reason=reason)
            continue
        seen.add(j.id)
        state = pairs.get(j.pair_id)
        lease = latest_lease.get(state.seq) if state is not None else None
        if needs_lease and lease is None:
            # Not remembered: the same answer for an unknown, a gold and an ordinary pair.
            results[i] = Receipt(j.id, "rejected", f"you hold no lease on pair {j.pair_id!r}")
            continue
        reason = None if state is None else task_problem(j, state)
        if state is None:
            reason = f"unknown pair {j.pair_id!r} in project {project.name!r}"
        elif reason is None:
            kind = lease.kind if lease is not None else ("gold" if state.is_gold else "normal")
            # A re-judgment is an ordinary verdict that replaces the annotator's earlier one
            # (rankterm.server.rejudge): no source of its own, nothing to tell it apart by.
            source = None if kind in ("normal", "rejudge") else kind
            live = lease is not None and lease.state == "live"
            previous = active.get((state.seq, source))
            if previous is not None:
                changes.superseded.append(previous)
            elif kind == "rejudge":
                # The earlier verdict was retracted meanwhile: this one stands in its place.
                state.n_judged += 1
                state.changed = True
            elif kind == "normal" and lease is None:
                # An admin's import (no lease): it takes an open slot or is refused.
                if state.n_judged + state.n_leased >= adaptive.slots(project, state):
                    reason = (
                        f"pair {j.pair_id!r} already has its {project.overlap} judgments or leases"
                    )
                else:
                    state.n_judged += 1
                    state.changed = True
            elif kind == "normal":
                # Under the author's own lease, live or lapsed: accepted whatever became of
                # the slot, as a gold item's or a repeat's is (see "Late verdicts" in
                # the module docstring): refusing only here made submitting late an oracle.
                state.n_judged += 1
                state.changed = True
            if reason is None:
                if live:
                    changes.consumed.append(lease.id)
                    lease.state = "consumed"
                    if kind == "normal":
                        state.n_leased -= 1
                        state.changed = True
                active[(state.seq, source)] = j.id
                data = j.model_dump(mode="json")
                data["source"] = source
                if kind == "rejudge":
                    data["rejudge_of"] = str(previous) if previous is not None else None
                    # Under the lease as served (live, or lapsed); a verdict under one already
                    # used is a correction of the re-judgment, which closed its row then.
                    if live or lease.state == "expired":
                        changes.rejudged.append(
                            {"s": state.seq, "u": user.id, "j": j.id, "at": received}
                        )
                changes.judgments.append(
                    {
                        "id": j.id,
                        "project_id": project.id,
                        "pair_seq": state.seq,
                        "user_id": user.id,
                        "source": source,
                        **verdict_columns(j),
                        "lease_id": lease.id if lease is not None else None,
                        "retracted": False,
                        "superseded": False,
                        "data": data,
                        # Distinct times keep the batch's order for export and replay.
                        "received_at": received + len(changes.judgments) * 1e-6,
                    }
                )
                results[i] = Receipt(judgment_id=j.id, status="accepted")
                continue
        if state is not None:
            # Only a lost slot is remembered: an unknown pair may be imported later.
            changes.rejections.append(
                {
                    "id": j.id,
                    "project_id": project.id,
                    "user_id": user.id,
                    "reason": reason,
                    "received_at": received,
                }
            )
        results[i] = Receipt(judgment_id=j.id, status="rejected", reason=reason)
    if changes.superseded:
        for state in pairs.values():
            state.changed = state.changed or state.n_judged >= project.overlap
    return changes


def submit_judgments(
    conn: Connection, project: Project, user: User, items: list[Any], path: SubmitPath
) -> list[Receipt]:
    """Take a batch of judgments in, reading and writing through ``path`` (see
    :class:`SubmitPath`); one receipt per item, in order."""
    results, parsed = _parse_all(items, JudgmentIn, user)
    if not parsed:
        return [r for r in results if r is not None]

    pair_ids = {j.pair_id for _, j in parsed}
    ids = [j.id for _, j in parsed]
    standing = path.read_standing(conn, project, user, pair_ids, ids)
    changes = decide(standing, project, user, parsed, results)
    path.write_changes(conn, project, changes, list(standing.pairs.values()))
    return [r for r in results if r is not None]


def submit_rankings(
    conn: Connection, project: Project, user: User, items: list[Any], path: SubmitPath
) -> list[Receipt]:
    """Take a batch of complete rankings in (each with its comparisons), by the same rules as
    judgments: idempotent on id, the author's lease needed, a second ranking of the same task
    supersedes the first, gold and repeat leases marked. One receipt per item, in order."""
    results, parsed = _parse_all(items, RankingIn, user)
    parsed = _steps_with_free_ids(conn, parsed, results)
    if not parsed:
        return [r for r in results if r is not None]
    pair_ids = {r.pair_id for _, r in parsed}
    ids = [r.id for _, r in parsed]
    standing = path.read_standing(conn, project, user, pair_ids, ids)
    changes = decide(standing, project, user, parsed, results)
    path.write_changes(conn, project, changes, list(standing.pairs.values()))
    return [r for r in results if r is not None]


def _steps_with_free_ids(
    conn: Connection, parsed: list[tuple[int, Any]], results: list[Receipt | None]
) -> list[tuple[int, Any]]:
    """The rankings none of whose steps takes the id of a stored judgment or ranking; the
    others are refused (in ``results``). A step goes out in the export as a record of its
    own: under a stored record's id it would stand beside it, or in its place on replay."""
    taken = _known(conn, J, [step.id for _, r in parsed for step in r.steps])
    if not taken:
        return parsed
    kept = []
    for i, r in parsed:
        clash = next((n for n, step in enumerate(r.steps) if step.id in taken), None)
        if clash is None:
            kept.append((i, r))
        else:
            results[i] = Receipt(r.id, "rejected", f"steps.{clash}.id: {foreign_id(r.id)}")
    return kept


def submit_retractions(
    conn: Connection, project: Project, user: User, items: list[Any]
) -> list[Receipt]:
    """Undo the author's own stored judgments; anything else is rejected, never kept for later
    (a retraction kept for an id not yet stored let anyone void the verdict that came with it)."""
    results, parsed = _parse_all(items, RetractionIn, user)
    targets_ids = [r.retracts for _, r in parsed]
    first = {}
    for group in chunks(targets_ids):
        for row in conn.execute(select(J.c.id, J.c.pair_seq).where(J.c.id.in_(group))):
            first[row.id] = row.pair_seq
    lock_pairs(conn, set(first.values()))
    targets = {}
    for group in chunks(targets_ids):
        for row in conn.execute(
            select(
                J.c.id, J.c.pair_seq, J.c.user_id, J.c.source, J.c.retracted, J.c.superseded
            ).where(J.c.id.in_(group))
        ):
            targets[row.id] = row
    states: dict[int, PairState] = {}
    seqs = sorted({row.pair_seq for row in targets.values()})
    for group in chunks(seqs):
        for row in conn.execute(
            select(P.c.seq, P.c.pair_id, P.c.is_gold, P.c.n_judged, P.c.n_leased).where(
                P.c.seq.in_(group), P.c.project_id == project.id
            )
        ):
            states[row.seq] = PairState(
                row.seq, row.pair_id, row.is_gold, row.n_judged, row.n_leased
            )
    known: set[uuid.UUID] = set()
    foreign: set[uuid.UUID] = set()
    for group in chunks([r.id for _, r in parsed]):
        for row in conn.execute(select(R.c.id, R.c.user_id).where(R.c.id.in_(group))):
            (known if row.user_id == user.id else foreign).add(row.id)
    received = now()
    rows: list[dict[str, Any]] = []
    retracted: list[uuid.UUID] = []
    restored: list[uuid.UUID] = []
    done_targets: set[uuid.UUID] = set()
    for i, r in parsed:
        if r.id in foreign:
            results[i] = Receipt(r.id, "rejected", foreign_id(r.id))
            continue
        if r.id in known:
            results[i] = Receipt(judgment_id=r.id, status="duplicate")
            continue
        target = targets.get(r.retracts)
        if target is None or target.user_id != user.id or target.pair_seq not in states:
            # One answer whether the id is unknown or someone else's: no oracle on ids.
            reason = f"it names no judgment of your own in project {project.name!r}"
            results[i] = Receipt(r.id, "rejected", reason)
            continue
        known.add(r.id)
        if not target.retracted and r.retracts not in done_targets:
            done_targets.add(r.retracts)
            retracted.append(r.retracts)
            if not target.superseded:
                previous = conn.execute(
                    select(J.c.id)
                    .where(
                        # No project_id (the seq is this project's): see S.USER_ACTIVE.
                        J.c.pair_seq == target.pair_seq,
                        J.c.user_id == user.id,
                        J.c.source.is_(None)
                        if target.source is None
                        else J.c.source == target.source,
                        J.c.retracted.is_(False),
                        J.c.superseded.is_(True),
                        J.c.id.not_in(retracted),
                    )
                    .order_by(J.c.received_at.desc())
                    .limit(1)
                ).scalar()
                if previous is not None:
                    restored.append(previous)
                elif target.source is None:
                    state = states[target.pair_seq]
                    state.n_judged -= 1
                    state.changed = True
        rows.append(
            {
                "id": r.id,
                "project_id": project.id,
                "user_id": user.id,
                "retracts": r.retracts,
                "data": r.model_dump(mode="json"),
                "received_at": received,
            }
        )
        results[i] = Receipt(judgment_id=r.id, status="accepted")
    insert_ignore(conn, R, rows)
    for group in chunks(retracted):
        conn.execute(update(J).where(J.c.id.in_(group)).values(retracted=True))
    for group in chunks(restored):
        conn.execute(update(J).where(J.c.id.in_(group)).values(superseded=False))
    if restored:
        for state in states.values():
            state.changed = True
    refresh_pairs(conn, project, list(states.values()))
    return [r for r in results if r is not None]


def count_by_status(acks: list[Receipt]) -> Counter[str]:
    return Counter(a.status for a in acks)
