"""Adjudication: the conflict queue, resolutions and the per-pair comment threads."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, func, select, update

from rankterm.core.model import Comment, Judgment, Ranking, Resolution
from rankterm.core.wire import REFERRAL_OUTCOMES
from rankterm.server import tables as t
from rankterm.server.core import NotFound, Project, User, now
from rankterm.server.db import chunks, insert_ignore
from rankterm.server.ingest import Receipt, _known, _parse
from rankterm.server.records import ResolutionIn, order_problem

P, J = t.pairs, t.judgments


def _standing(
    conn: Connection, seqs: list[int]
) -> tuple[dict[int, list[Judgment]], dict[int, list[Ranking]]]:
    """Each task's standing judgments and (for a ranking task) rankings, oldest first."""
    found: dict[int, list[Judgment]] = {seq: [] for seq in seqs}
    orders: dict[int, list[Ranking]] = {seq: [] for seq in seqs}
    for group in chunks(seqs):
        rows = conn.execute(
            select(J.c.pair_seq, J.c.data)
            .where(
                J.c.pair_seq.in_(group),
                J.c.source.is_(None),
                J.c.retracted.is_(False),
                J.c.superseded.is_(False),
            )
            .order_by(J.c.received_at)
        )
        for row in rows:
            if row.data.get("kind") == "ranking":
                data = {k: v for k, v in row.data.items() if k != "steps"}
                orders[row.pair_seq].append(Ranking.model_validate(data))
            else:
                found[row.pair_seq].append(Judgment.model_validate(row.data))
    return found, orders


def _resolutions(conn: Connection, seqs: list[int]) -> dict[int, list[Resolution]]:
    found: dict[int, list[Resolution]] = {seq: [] for seq in seqs}
    rs = t.resolutions
    for group in chunks(seqs):
        rows = conn.execute(
            select(rs.c.pair_seq, rs.c.data)
            .where(rs.c.pair_seq.in_(group))
            .order_by(rs.c.received_at)
        )
        for row in rows:
            found[row.pair_seq].append(Resolution.model_validate(row.data))
    return found


MODEL = "model"


def _model_verdicts(conn: Connection, project: Project) -> dict[int, list[Comment]]:
    """pair seq -> LLM judges' verdicts referred to adjudication (comments marked ``source:
    model``). Comments are few (threads), so they are filtered here rather than by a JSON
    query that SQLite and PostgreSQL spell differently."""
    cs = t.comments
    found: dict[int, list[Comment]] = {}
    rows = conn.execute(
        select(cs.c.pair_seq, cs.c.data)
        .where(cs.c.project_id == project.id)
        .order_by(cs.c.received_at)
    )
    for row in rows:
        if isinstance(row.data, dict) and row.data.get("source") == MODEL:
            found.setdefault(row.pair_seq, []).append(Comment.model_validate(row.data))
    return found


def refer(conn: Connection, project: Project, user: User, items: list[Any]) -> dict[str, int]:
    """Send pairs where an LLM judge and the human strict majority disagree to the conflict
    queue, the judge's verdict stored as a ``source: model`` comment (never a vote)."""
    from rankterm.quality.judges import human_majority

    counts = dict.fromkeys(REFERRAL_OUTCOMES, 0)
    earlier = _model_verdicts(conn, project)
    rows = []
    referred_seqs = set()
    received = now()
    for item in items:
        pair = conn.execute(
            select(P.c.seq, P.c.k).where(P.c.project_id == project.id, P.c.pair_id == item.pair_id)
        ).first()
        if pair is None:
            counts["unknown"] += 1
            continue
        if pair.k is not None:
            # A judge's A/B verdict says nothing about an order of K: refused, and counted
            # apart (it was counted "no majority", as if people had not agreed yet).
            counts["ranking_task"] += 1
            continue
        majority = human_majority(_standing(conn, [pair.seq])[0][pair.seq]).get(item.pair_id)
        if majority is None:
            counts["no_majority"] += 1
            continue
        if majority == item.choice:
            counts["agreed"] += 1
            continue
        seen = earlier.setdefault(pair.seq, [])
        extra = [c.model_extra or {} for c in seen]
        if any(e.get("judge") == item.judge and e.get("choice") == item.choice for e in extra):
            counts["already"] += 1
            continue
        comment = Comment(
            pair_id=item.pair_id,
            author=f"model:{item.judge}",
            text=item.rationale or "(the judge gave no rationale)",
            source=MODEL,
            judge=item.judge,
            choice=item.choice,
            strength=item.strength if item.choice in ("A", "B") else None,
            human_majority=majority,
        )
        seen.append(comment)
        rows.append(
            {
                "id": comment.id,
                "project_id": project.id,
                "pair_seq": pair.seq,
                "user_id": user.id,
                "data": comment.model_dump(mode="json"),
                "received_at": received,
            }
        )
        referred_seqs.add(pair.seq)
        counts["referred"] += 1
    if rows:
        insert_ignore(conn, t.comments, rows)
        conn.execute(update(P).where(P.c.seq.in_(sorted(referred_seqs))).values(conflict=True))
    return counts


def conflict_queue(
    conn: Connection, project: Project, limit: int, include_resolved: bool
) -> dict[str, Any]:
    """Conflicting pairs with every standing judgment on each (adjudicators only), and the
    pairs an LLM judge was referred on (their conflict flag may since have been recomputed
    from the people's verdicts alone)."""
    models = _model_verdicts(conn, project)
    in_queue = P.c.conflict.is_(True)
    if models:
        in_queue = in_queue | P.c.seq.in_(sorted(models))
    where = [P.c.project_id == project.id, in_queue]
    if not include_resolved:
        where.append(P.c.resolved.is_(False))
    remaining = conn.execute(select(func.count()).select_from(P).where(*where)).scalar_one()
    rows = conn.execute(
        select(P.c.seq, P.c.data).where(*where).order_by(P.c.priority.desc(), P.c.seq).limit(limit)
    ).all()
    seqs = [row.seq for row in rows]
    judgments, rankings = _standing(conn, seqs)
    resolutions = _resolutions(conn, seqs)
    items = [
        {
            "pair": row.data,
            "judgments": judgments[row.seq],
            "resolutions": resolutions[row.seq],
            "rankings": rankings[row.seq],
            "model_verdicts": models.get(row.seq, []),
        }
        for row in rows
    ]
    return {"items": items, "remaining": remaining}


def _pair_row(conn: Connection, project: Project, pair_id: str) -> Any:
    """The pair's row, or the 404 of a pair that does not exist."""
    row = conn.execute(
        select(P.c.seq, P.c.pair_id, P.c.conflict, P.c.resolved).where(
            P.c.project_id == project.id, P.c.pair_id == pair_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no pair {pair_id!r} in project {project.name!r}")
    return row


def submit_resolutions(
    conn: Connection, project: Project, user: User, items: list[Any]
) -> list[Receipt]:
    """Store adjudicators' verdicts; adjudicators settle conflict pairs, admins any pair."""
    results: list[Receipt] = []
    parsed: list[Resolution] = []
    for raw in items:
        record, ack = _parse(raw, ResolutionIn, user, "adjudicator")
        if ack is not None:
            results.append(ack)
        else:
            parsed.append(record)
    known = _known(conn, t.resolutions, [r.id for r in parsed])
    rows = []
    settled = set()
    received = now()
    for r in parsed:
        if r.id in known:
            results.append(Receipt(judgment_id=r.id, status="duplicate"))
            continue
        pair = conn.execute(
            select(P.c.seq, P.c.conflict, P.c.k).where(
                P.c.project_id == project.id, P.c.pair_id == r.pair_id
            )
        ).first()
        if pair is None:
            reason = f"unknown pair {r.pair_id!r} in project {project.name!r}"
            results.append(Receipt(judgment_id=r.id, status="rejected", reason=reason))
            continue
        if not pair.conflict and not user.has("admin") and not _referred(conn, pair.seq):
            reason = f"pair {r.pair_id!r} is not in the conflict queue"
            results.append(Receipt(judgment_id=r.id, status="rejected", reason=reason))
            continue
        reason = _kind_problem(r, pair.k)
        if reason is not None:
            results.append(Receipt(judgment_id=r.id, status="rejected", reason=reason))
            continue
        known.add(r.id)
        settled.add(pair.seq)
        rows.append(
            {
                "id": r.id,
                "project_id": project.id,
                "pair_seq": pair.seq,
                "user_id": user.id,
                "data": r.model_dump(mode="json"),
                "received_at": received,
            }
        )
        results.append(Receipt(judgment_id=r.id, status="accepted"))
    insert_ignore(conn, t.resolutions, rows)
    if settled:
        conn.execute(update(P).where(P.c.seq.in_(sorted(settled))).values(resolved=True))
    order = {id(a): i for i, a in enumerate(results)}
    return sorted(results, key=lambda a: order[id(a)])


def _kind_problem(resolution: Resolution, k: int | None) -> str | None:
    """A ranking task is settled by an order of record of all its K candidates (or marked
    guideline_unclear); a pair by a choice, never an order."""
    if k is None:
        return "order: a pair is settled by a choice, not an order" if resolution.order else None
    if resolution.choice is not None:
        return "choice: a ranking task is settled by an order of record, not a choice"
    if resolution.order is None:
        return None if resolution.guideline_unclear else "order: required for a ranking task"
    return order_problem(resolution.order, k)


def _referred(conn: Connection, seq: int) -> bool:
    """Whether an LLM judge's verdict on this pair was referred to adjudication."""
    cs = t.comments
    rows = conn.execute(select(cs.c.data).where(cs.c.pair_seq == seq)).scalars()
    return any(isinstance(d, dict) and d.get("source") == MODEL for d in rows)


def _may_discuss(conn: Connection, project: Project, user: User, pair: Any) -> None:
    """A pair the user may not discuss gets the very 404 of a pair that does not exist: a 403
    told an annotator which ids exist, gold items they were never served included."""
    if user.has("admin"):
        return
    if user.has("adjudicator") and (pair.conflict or pair.resolved):
        return
    judged = conn.execute(
        select(J.c.id)
        .where(
            J.c.pair_seq == pair.seq,  # no project_id: see statements.USER_ACTIVE
            J.c.user_id == user.id,
            J.c.retracted.is_(False),
        )
        .limit(1)
    ).first()
    if judged is None:
        raise NotFound(f"no pair {pair.pair_id!r} in project {project.name!r}")


def list_comments(conn: Connection, project: Project, user: User, pair_id: str) -> list[Comment]:
    pair = _pair_row(conn, project, pair_id)
    _may_discuss(conn, project, user, pair)
    cs = t.comments
    rows = conn.execute(
        select(cs.c.data).where(cs.c.pair_seq == pair.seq).order_by(cs.c.received_at)
    ).scalars()
    return [Comment.model_validate(data) for data in rows]


def add_comment(
    conn: Connection,
    project: Project,
    user: User,
    pair_id: str,
    text: str,
    comment_id: uuid.UUID | None,
) -> Comment:
    pair = _pair_row(conn, project, pair_id)
    _may_discuss(conn, project, user, pair)
    cs = t.comments
    if comment_id is not None:
        existing = conn.execute(select(cs.c.data).where(cs.c.id == comment_id)).scalar()
        if existing is not None:
            return Comment.model_validate(existing)
    comment = Comment(pair_id=pair_id, author=user.name, text=text)
    if comment_id is not None:
        comment.id = comment_id
    insert_ignore(
        conn,
        cs,
        [
            {
                "id": comment.id,
                "project_id": project.id,
                "pair_seq": pair.seq,
                "user_id": user.id,
                "data": comment.model_dump(mode="json"),
                "received_at": now(),
            }
        ],
    )
    return comment
