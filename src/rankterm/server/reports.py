"""Progress, per-annotator stats and the full export (NDJSON, streamed from the database)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, case, distinct, func, or_, select

from rankterm.core.model import Choice, Gold, Judgment
from rankterm.guidelines import normalize_version
from rankterm.quality.rank_agreement import kendall_tau_b, mean_tau
from rankterm.server import tables as t
from rankterm.server.core import Project, User, now, to_datetime
from rankterm.server.db import Database

P, J, L = t.pairs, t.judgments, t.leases
#: Keys of a stored verdict the server adds, never sent back to its author.
SERVER_MARKS = ("source", "rejudge_of")


def my_progress(conn: Connection, project: Project, user: User) -> dict[str, Any]:
    """The annotator's own standing verdicts and live leases, gold and repeats included and
    not told apart; and the project's size. Nothing that a single verdict could move
    differently for a gold item, a repeat and an ordinary pair (an oracle)."""
    judged = conn.execute(
        select(func.count()).where(
            J.c.project_id == project.id,
            J.c.user_id == user.id,
            J.c.retracted.is_(False),
            J.c.superseded.is_(False),
        )
    ).scalar_one()
    # A re-judgment replaces the annotator's earlier verdict instead of adding one: counted
    # as one more all the same, as every other verdict is, or the count would give it away.
    Q = t.rejudges
    judged += conn.execute(
        select(func.count())
        .select_from(Q)
        .join(J, J.c.id == Q.c.rejudge_id)
        .where(Q.c.project_id == project.id, Q.c.user_id == user.id, J.c.retracted.is_(False))
    ).scalar_one()
    leased = conn.execute(
        select(func.count()).where(
            L.c.project_id == project.id,
            L.c.user_id == user.id,
            L.c.state == "live",
            L.c.expires_at >= now(),
        )
    ).scalar_one()
    total = conn.execute(
        select(func.count()).where(P.c.project_id == project.id, P.c.is_gold.is_(False))
    ).scalar_one()
    return {"annotator": user.name, "judged": judged, "leased": leased, "total_pairs": total}


def own_record(data: dict[str, Any], retracted: bool) -> dict[str, Any]:
    """A stored judgment (or ranking, comparisons included) as its author gets it back:
    without the server's gold/repeat mark, nor the link a re-judgment keeps to the verdict it
    replaced (rankterm.server.rejudge)."""
    record = {k: v for k, v in data.items() if k not in SERVER_MARKS}
    if "steps" in record:
        record["steps"] = [{k: v for k, v in s.items() if k != "source"} for s in record["steps"]]
    record["retracted"] = retracted
    return record


def project_progress(conn: Connection, project: Project) -> dict[str, Any]:
    row = conn.execute(
        select(
            func.count(case((P.c.is_gold.is_(False), 1))),
            func.count(case((P.c.is_gold.is_(True), 1))),
            func.count(case((and_(P.c.is_gold.is_(False), P.c.done.is_(True)), 1))),
            func.count(
                case((and_(P.c.is_gold.is_(False), P.c.done.is_(False), P.c.n_judged > 0), 1))
            ),
            func.count(case((and_(P.c.is_gold.is_(False), P.c.n_judged == 0), 1))),
            func.count(case((and_(P.c.conflict.is_(True), P.c.resolved.is_(False)), 1))),
            func.count(case((P.c.resolved.is_(True), 1))),
        ).where(P.c.project_id == project.id)
    ).one()
    judgments, annotators = conn.execute(
        select(func.count(), func.count(distinct(J.c.user_id))).where(
            J.c.project_id == project.id, J.c.retracted.is_(False), J.c.superseded.is_(False)
        )
    ).one()
    live = conn.execute(
        select(func.count()).where(
            L.c.project_id == project.id, L.c.state == "live", L.c.expires_at >= now()
        )
    ).scalar_one()
    return {
        "total_pairs": row[0],
        "gold_pairs": row[1],
        "complete": row[2],
        "in_progress": row[3],
        "untouched": row[4],
        "judgments": judgments,
        "live_leases": live,
        "conflicts_open": row[5],
        "resolved": row[6],
        "annotators": annotators,
    }


def project_stats(
    conn: Connection, project: Project, *, with_pools: bool = False
) -> dict[str, Any]:
    """Per-annotator counts, gold accuracy and blind-repeat consistency (and, with
    ``with_pools``, pool composition per slice: rankterm.server.pools.report)."""
    names = dict(conn.execute(select(t.users.c.id, t.users.c.name)).all())
    gold_rows = conn.execute(
        select(P.c.seq, P.c.data).where(P.c.project_id == project.id, P.c.is_gold.is_(True))
    ).all()
    gold = {row.seq: row.data.get("gold", {}).get("choice") for row in gold_rows}
    #: A ranking task's gold is a full order, scored by Kendall's tau, not matched.
    gold_orders = {
        row.seq: row.data["gold"]["order"]
        for row in gold_rows
        if "order" in row.data.get("gold", {})
    }
    rows = conn.execute(
        select(J.c.user_id, J.c.pair_seq, J.c.source, J.c.choice, J.c.data).where(
            J.c.project_id == project.id, J.c.retracted.is_(False), J.c.superseded.is_(False)
        )
    ).all()
    originals = {(r.user_id, r.pair_seq): _verdict(r) for r in rows if r.source is None}
    acc: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "n": 0,
            "gs": 0,
            "gc": 0,
            "rp": 0,
            "ra": 0,
            "dur": [],
            "fl": 0,
            "ties": 0,
            "tau": [],
        }
    )
    for r in rows:
        a = acc[r.user_id]
        if r.source == "gold":
            a["gs"] += 1
            if r.pair_seq in gold_orders and r.choice == "ranking":
                tau = kendall_tau_b(r.data["order"], gold_orders[r.pair_seq])
                a["tau"].append(tau)
                a["gc"] += int(tau == 1)
            else:
                a["gc"] += int(gold.get(r.pair_seq) == r.choice)
            continue
        if r.source == "repeat":
            a["rp"] += 1
            a["ra"] += int(originals.get((r.user_id, r.pair_seq)) == _verdict(r))
            continue
        a["n"] += 1
        a["dur"].append(r.data.get("duration_ms") or 0)
        a["fl"] += int(bool(r.data.get("flagged")))
        a["ties"] += int(r.choice == "tie")
    annotators = [
        {
            "annotator": names.get(uid, str(uid)),
            "judgments": a["n"],
            "gold_seen": a["gs"],
            "gold_correct": a["gc"],
            "repeats": a["rp"],
            "repeat_agree": a["ra"],
            "median_duration_ms": statistics.median(a["dur"]) if a["dur"] else None,
            "flagged": a["fl"],
            "tie_rate": a["ties"] / a["n"] if a["n"] else None,
            "gold_tau": mean_tau(a["tau"]),
        }
        for uid, a in sorted(acc.items(), key=lambda kv: names.get(kv[0], ""))
    ]
    out = {
        "progress": project_progress(conn, project),
        "annotators": annotators,
        "guideline_versions": guideline_versions(conn, project),
    }
    if with_pools:
        from rankterm.server import pools

        out["pools"] = pools.report(conn, project)
    return out


def guideline_versions(conn: Connection, project: Project) -> dict[str, Any]:
    """Per guideline version: judgments, agreement, gold accuracy and tag rates, and how
    re-judged pairs moved (:func:`rankterm.quality.versions.version_figures`, as local mode
    reports them), plus ``rejudges``: the re-judgment queue and, for each standing re-judgment,
    whether it differs from the earlier verdict it replaced (the same annotator's; follow
    ``rejudge_of`` back to the first). Counted: ordinary and gold verdicts not retracted,
    standing or replaced by a re-judgment (a blind repeat is not a second label)."""
    from rankterm.quality.versions import NOT_RECORDED, version_figures

    names = dict(conn.execute(select(t.users.c.id, t.users.c.name)).all())
    gold: dict[str, Gold] = {}
    for row in conn.execute(
        select(P.c.pair_id, P.c.data).where(P.c.project_id == project.id, P.c.is_gold.is_(True))
    ):
        answer = row.data.get("gold") if isinstance(row.data, dict) else None
        if isinstance(answer, dict) and "choice" in answer:
            gold[row.pair_id] = Gold.model_validate(answer)
    rows = conn.execute(
        select(J.c.id, J.c.user_id, J.c.choice, J.c.superseded, J.c.data, P.c.pair_id)
        .join(P, P.c.seq == J.c.pair_seq)
        .where(
            J.c.project_id == project.id,
            J.c.retracted.is_(False),
            or_(J.c.source.is_(None), J.c.source == "gold"),
        )
    ).all()
    by_id = {str(r.id): r for r in rows}
    replaced = {r.data.get("rejudge_of") for r in rows if r.data.get("rejudge_of")}
    kept = [r for r in rows if not r.superseded or str(r.id) in replaced]
    judgments = [
        Judgment.model_construct(
            id=r.id,
            pair_id=r.pair_id,
            annotator=names.get(r.user_id, str(r.user_id)),
            choice=Choice(r.choice),
            strength=r.data.get("strength"),
            created_at=datetime.fromisoformat(r.data["created_at"]),
            tags=list(r.data.get("tags") or []),
            guideline_version=r.data.get("guideline_version"),
            criteria={},
        )
        for r in kept
        if r.choice != "ranking"
    ]
    figures = version_figures(judgments, gold)

    def version(row: Any) -> str:
        return normalize_version(row.data.get("guideline_version")) or NOT_RECORDED

    moved: Counter[tuple[str, str]] = Counter()
    changed: Counter[tuple[str, str]] = Counter()
    for row in rows:
        if row.superseded or not row.data.get("rejudge_of"):
            continue
        first, hops = row, 0
        while first.data.get("rejudge_of") in by_id and hops < 100:
            first, hops = by_id[first.data["rejudge_of"]], hops + 1
        if first is row:
            continue  # the earlier verdict was retracted: nothing to compare with
        key = (version(first), version(row))
        moved[key] += 1
        changed[key] += int(_verdict(first) != _verdict(row))
    Q = t.rejudges
    queued, open_ = conn.execute(
        select(func.count(), func.count(case((Q.c.done_at.is_(None), 1)))).where(
            Q.c.project_id == project.id
        )
    ).one()
    total, n_changed = sum(moved.values()), sum(changed.values())
    figures["rejudges"] = {
        "queued": queued,
        "open": open_,
        "judged": total,
        "changed": n_changed,
        "changed_rate": round(n_changed / total, 4) if total else None,
        "transitions": [
            {
                "from": a,
                "to": b,
                "judgments": n,
                "changed": changed[(a, b)],
                "changed_rate": round(changed[(a, b)] / n, 4),
            }
            for (a, b), n in moved.items()
        ],
    }
    return figures


def _verdict(row: Any) -> Any:
    """What a blind repeat must match: a judgment's choice, a ranking's order."""
    if row.choice == "ranking":
        return tuple(tuple(sorted(tier)) for tier in row.data["order"])
    return row.choice


def journal_lines(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored judgments row's data as journal records: a ranking is stored with its
    comparisons (``steps``) and goes out as those comparisons, then the ranking."""
    if data.get("kind") != "ranking" or "steps" not in data:
        return [data]
    steps = data["steps"]
    source = data.get("source")
    ranking = {k: v for k, v in data.items() if k != "steps"}
    return [{**step, "source": source} if source else step for step in steps] + [ranking]


def export_lines(db: Database, project: Project, page: int = 1000) -> Iterator[bytes]:
    """The project as NDJSON: project, guidelines, pairs, judgments, retractions, resolutions,
    comments. Journal records keep their journal shape, so ``journal.replay`` can read them."""
    dumps = orjson.dumps
    with db.engine.connect() as conn:
        conn = conn.execution_options(yield_per=page, stream_results=True)
        head = {k: getattr(project, k) for k in project.__slots__ if k not in ("id", "side_key")}
        head["created_at"] = to_datetime(project.created_at).isoformat()
        yield dumps({"kind": "project", **head}) + b"\n"
        g = t.guidelines
        for row in conn.execute(
            select(g.c.version, g.c.content, g.c.created_at)
            .where(g.c.project_id == project.id)
            .order_by(g.c.id)
        ):
            yield (
                dumps(
                    {
                        "kind": "guidelines",
                        "version": row.version,
                        "content": row.content,
                        "created_at": to_datetime(row.created_at).isoformat(),
                    }
                )
                + b"\n"
            )
        for row in conn.execute(
            select(P.c.data, P.c.n_judged, P.c.conflict, P.c.resolved)
            .where(P.c.project_id == project.id)
            .order_by(P.c.seq)
        ):
            status = {"judged": row.n_judged, "conflict": row.conflict, "resolved": row.resolved}
            yield dumps({"kind": "pair", "pair": row.data, "status": status}) + b"\n"
        for table, order in (
            (J, J.c.received_at),
            (t.retractions, t.retractions.c.received_at),
            (t.resolutions, t.resolutions.c.received_at),
            (t.comments, t.comments.c.received_at),
        ):
            for data in conn.execute(
                select(table.c.data)
                .where(table.c.project_id == project.id)
                .order_by(order, table.c.id)
            ).scalars():
                for line in journal_lines(data):
                    yield dumps(line) + b"\n"
