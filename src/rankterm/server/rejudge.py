"""Re-judging on the task server after the guidelines changed (``admin guidelines --requeue``).

Which pairs: the rule of local mode, :func:`rankterm.rejudge.pick_reasons`, applied to each
standing verdict made under another text than the new one: ``changed`` picks it when the
pair's tags meet a section that moved between *the text that verdict was made under* (every
version is stored; a verdict with no known stamp is taken to be under the version that was
current before the new one) and the new text, plus every judged pair an adjudicator marked
guideline unclear; ``unclear`` only the latter; ``none`` nothing.

Who re-judges: each annotator whose standing verdict was picked, on their own pair, blind.
The same person judging the same pair under two texts is the only comparison in which a
changed verdict says something about the guidelines rather than about who judged; with
anyone eligible, "changed" would mix the guideline's effect with annotator disagreement.
One row per (pair, annotator, version) in ``rejudges`` (unique): re-running the same upload
and requeue queues nothing twice.

Serving (rankterm.server.scheduling): the annotator's next leases take their open rows first,
as leases of kind "rejudge" that hold no overlap slot. Nothing the client receives sets them
apart: the same fields, a random lease id, the pair without any earlier verdict, and the side
order of a blind repeat (the inverse of the annotator's earlier showing), so a re-judgment
cannot be told from a repeat either.

The verdict under a rejudge lease is an ordinary verdict of that annotator (``source`` NULL):
it supersedes their earlier one, which stays in the table and in the export (superseded, as a
corrected verdict does), and names it in ``data.rejudge_of``; its ``guideline_version`` is the
stamp of the text the annotator's client had, as on every verdict. Label of record afterwards:
the re-judgment (the annotator's latest verdict, as everywhere else), so done/conflict flags
are recomputed with it; an adjudicator's resolution of the pair still comes first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, select, update

from rankterm.guidelines import (
    EMPTY,
    Guidelines,
    SectionDiff,
    normalize_version,
    parse_guidelines,
    section_diff,
)
from rankterm.rejudge import Requeue, pick_reasons
from rankterm.server import tables as t
from rankterm.server.core import Project, User, now
from rankterm.server.db import chunks, insert_ignore
from rankterm.server.schemas import RequeueResult

P, J, Q = t.pairs, t.judgments, t.rejudges
UNCLEAR_KEY = "guideline_unclear"


@dataclass
class _Texts:
    """The project's stored guideline texts by stamp, with section diffs to ``new`` cached."""

    new: Guidelines
    before: Guidelines
    texts: dict[str, Guidelines]
    diffs: dict[str, tuple[Guidelines, SectionDiff]] = field(default_factory=dict)

    def against(self, version: str | None) -> tuple[Guidelines, SectionDiff]:
        old = self.texts.get(version or "", self.before)
        key = old.version
        if key not in self.diffs:
            self.diffs[key] = (old, section_diff(old, self.new))
        return self.diffs[key]


def _texts(conn: Connection, project: Project, version: str) -> _Texts:
    rows = conn.execute(
        select(t.guidelines.c.version, t.guidelines.c.content)
        .where(t.guidelines.c.project_id == project.id)
        .order_by(t.guidelines.c.id)
    ).all()
    texts: dict[str, Guidelines] = {}
    before = EMPTY
    for row in rows:
        stamp = normalize_version(row.version) or row.version
        parsed = parse_guidelines(row.content, version=stamp)
        if stamp == version:
            break
        before = parsed
        texts[stamp] = parsed
    else:
        raise ValueError(f"no guidelines version {version} in project {project.name!r}")
    return _Texts(new=parsed, before=before, texts=texts)


def _unclear_seqs(conn: Connection, project: Project) -> set[int]:
    rows = conn.execute(
        select(t.resolutions.c.pair_seq, t.resolutions.c.data).where(
            t.resolutions.c.project_id == project.id
        )
    ).all()
    return {r.pair_seq for r in rows if isinstance(r.data, dict) and r.data.get(UNCLEAR_KEY)}


def requeue(conn: Connection, project: Project, version: str, mode: Requeue) -> RequeueResult:
    """Queue the re-judgments ``mode`` picks under guideline ``version`` (already stored as
    the project's current text); see the module docstring. Idempotent."""
    version = normalize_version(version) or version
    result = RequeueResult(mode=mode.value, version=version)
    if mode is Requeue.NONE:
        return result
    texts = _texts(conn, project, version)
    unclear = _unclear_seqs(conn, project)
    standing = conn.execute(
        select(J.c.id, J.c.pair_seq, J.c.user_id, J.c.data).where(
            J.c.project_id == project.id,
            J.c.source.is_(None),
            J.c.retracted.is_(False),
            J.c.superseded.is_(False),
        )
    ).all()
    earlier = [
        row for row in standing if normalize_version(row.data.get("guideline_version")) != version
    ]
    tags: dict[int, list[str]] = {}
    seqs = sorted({row.pair_seq for row in earlier})
    for group in chunks(seqs):
        for row in conn.execute(select(P.c.seq, P.c.data).where(P.c.seq.in_(group))):
            found = row.data.get("tags") if isinstance(row.data, dict) else None
            tags[row.seq] = [str(x) for x in found] if isinstance(found, list) else []
    picks: list[dict[str, Any]] = []
    reasons_of: dict[int, set[str]] = defaultdict(set)
    at = now()
    for row in earlier:
        old, diff = texts.against(normalize_version(row.data.get("guideline_version")))
        reasons = pick_reasons(
            tags.get(row.pair_seq, []),
            unclear=row.pair_seq in unclear,
            judged_before=True,
            diff=diff,
            old=old,
            new=texts.new,
            mode=mode,
        )
        if not reasons:
            continue
        reasons_of[row.pair_seq].update(reasons)
        picks.append(
            {
                "project_id": project.id,
                "pair_seq": row.pair_seq,
                "user_id": row.user_id,
                "judgment_id": row.id,
                "version": version,
                "reasons": reasons,
                "created_at": at,
                "done_at": None,
                "rejudge_id": None,
            }
        )
    existing: set[tuple[int, int]] = set()
    for group in chunks(sorted({p["pair_seq"] for p in picks})):
        existing.update(
            (r.pair_seq, r.user_id)
            for r in conn.execute(
                select(Q.c.pair_seq, Q.c.user_id).where(
                    Q.c.project_id == project.id, Q.c.version == version, Q.c.pair_seq.in_(group)
                )
            )
        )
    new = [p for p in picks if (p["pair_seq"], p["user_id"]) not in existing]
    if new:
        insert_ignore(conn, Q, new)
    counts: Counter[str] = Counter(why for whys in reasons_of.values() for why in whys)
    result.picked = len(picks)
    result.pairs = len(reasons_of)
    result.annotators = len({p["user_id"] for p in picks})
    result.queued = len(new)
    result.already = len(picks) - len(new)
    result.by_reason = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return result


# -- serving and closing -----------------------------------------------------------------------


def pick_open(conn: Connection, project: Project, user: User, k: int) -> list[Any]:
    """Up to ``k`` of the annotator's open re-judgments (oldest first) on pairs they hold no
    live lease on, as rows of (seq, pair_id, data). The caller shows each in the side order
    of a blind repeat: the inverse of the annotator's first showing."""
    if k <= 0:
        return []
    L = t.leases
    live = (
        select(L.c.id)
        .where(L.c.pair_seq == Q.c.pair_seq, L.c.user_id == user.id, L.c.state == "live")
        .exists()
    )
    # Oldest first, straight off ix_rejudges_user (no grouping: a pair open under two
    # versions at once is rare, and deduplicated here).
    open_ = conn.execute(
        select(Q.c.pair_seq)
        .where(Q.c.project_id == project.id, Q.c.user_id == user.id, Q.c.done_at.is_(None), ~live)
        # The index's own order (project and user fixed, done_at NULL): PostgreSQL then walks
        # it, where ORDER BY id alone walked the primary key past other annotators' rows.
        .order_by(Q.c.project_id, Q.c.user_id, Q.c.done_at, Q.c.id)
        .limit(2 * k)
    ).scalars()
    seqs = list(dict.fromkeys(open_))[:k]
    if not seqs:
        return []
    rows = {
        r.seq: r
        for r in conn.execute(select(P.c.seq, P.c.pair_id, P.c.data).where(P.c.seq.in_(seqs)))
    }
    return [rows[seq] for seq in seqs if seq in rows]


def close(conn: Connection, project: Project, done: list[dict[str, Any]]) -> None:
    """Close the open re-judgments that verdicts under rejudge leases answered: ``done`` as
    ingest's Changes.rejudged (``s`` pair seq, ``u`` user, ``j`` the new verdict, ``at``)."""
    for row in done:
        conn.execute(
            update(Q)
            .where(
                and_(
                    Q.c.project_id == project.id,
                    Q.c.pair_seq == row["s"],
                    Q.c.user_id == row["u"],
                    Q.c.done_at.is_(None),
                )
            )
            .values(done_at=row["at"], rejudge_id=row["j"])
        )


# -- upload ------------------------------------------------------------------------------------


@dataclass
class Upload:
    """What uploading a guideline text did: its version, the one before, the section diff,
    and the re-judgments queued."""

    version: str
    content: str
    created_at: Any
    previous: str | None
    diff: SectionDiff | None
    requeued: RequeueResult

    def to_json(self) -> dict[str, Any]:
        diff = self.diff or SectionDiff()
        return {
            "version": self.version,
            "content": self.content,
            "created_at": self.created_at,
            "previous": self.previous,
            "sections": {
                "added": list(diff.added),
                "removed": list(diff.removed),
                "changed": list(diff.changed),
            },
            "requeue": self.requeued.model_dump(),
        }


def upload(conn: Connection, project: Project, content: str, mode: Requeue) -> Upload:
    """Store ``content`` as the project's guidelines (unchanged text: the same version), diff
    it against the version current before, and queue the re-judgments ``mode`` picks. One
    transaction: the CLI (straight to the database) and the admin API both call this."""
    from rankterm.server.core import current_guideline
    from rankterm.server.projects import add_guidelines

    before = current_guideline(conn, project.id)
    stored = add_guidelines(conn, project, content)
    diff = None
    previous = None
    if before is not None:
        previous = normalize_version(before.version) or before.version
        diff = section_diff(
            parse_guidelines(before.content, version=previous),
            parse_guidelines(content, version=stored.version),
        )
    return Upload(
        version=stored.version,
        content=stored.content,
        created_at=stored.created_at,
        previous=previous,
        diff=diff,
        requeued=requeue(conn, project, stored.version, mode),
    )
