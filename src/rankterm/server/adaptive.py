"""Adaptive overlap: a pair gets ``extra_on_conflict`` more annotators only when its first
``overlap`` verdicts disagree, before any adjudicator is asked.

"Disagree" is the project's conflict rule (:mod:`rankterm.server.conflicts`, the conflict
queue's own definition). A pair whose first ``overlap`` verdicts conflict stays open (``done``
false) until ``overlap + extra`` verdicts are in; only then is it judged for the conflict
queue, and it goes there only if no strict majority of its verdicts agrees under the same rule
(with ``any_disagreement``: two of three chose the same; ``opposite_sides``: a majority took
no opposing sides; ``ordinal_spread>=N``: a majority spans less than N). A pair whose first
verdicts agree is done at ``overlap``, as in a project without extra slots: that difference is
the annotation time saved (:func:`savings`).

The submit paths (Core and PostgreSQL's pipelined one) call :func:`pair_flags` through
:func:`rankterm.server.ingest.pair_rows`; :func:`recheck` applies it to a whole project after
its settings change.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from rankterm.core.model import Choice, Judgment
from rankterm.quality.conflicts import is_conflict, one_per_annotator
from rankterm.server import statements as S
from rankterm.server import tables as t
from rankterm.server.conflicts import stored_verdict
from rankterm.server.core import Project
from rankterm.server.db import chunks

_SPREAD = re.compile(r"^ordinal_spread>=(\d+)$")


def majority_agrees(verdicts: Sequence[Judgment], rule: str) -> bool:
    """Whether more than half of the annotators' verdicts agree among themselves under
    ``rule`` (a group that the rule would not call a conflict)."""
    votes = one_per_annotator(verdicts)
    n = len(votes)
    if n == 0:
        return False
    name = rule.strip().replace(" ", "")
    if name == "opposite_sides":
        choices = Counter(j.choice for j in votes)
        best = max(n - choices[Choice.A], n - choices[Choice.B])
    elif (match := _SPREAD.match(name)) is not None:
        threshold = int(match.group(1))
        values = sorted(v for j in votes if (v := j.ordinal) is not None)
        unplaced = n - len(values)  # both_bad: outside the scale, conflicts with no one
        window = max((sum(1 for w in values if v <= w < v + threshold) for v in values), default=0)
        best = window + unplaced
    else:  # any_disagreement
        best = max(Counter(j.choice for j in votes).values())
    return 2 * best > n


def pair_flags(
    overlap: int, extra: int, rule: str, n_judged: int, verdicts: Sequence[Judgment] | None
) -> tuple[bool, bool]:
    """(done, conflict) of a pair with ``n_judged`` ordinary verdicts; ``verdicts`` are its
    standing verdicts when read (None below ``max(2, overlap)``, where none can conflict)."""
    if verdicts is None or not is_conflict(verdicts, rule):
        return n_judged >= overlap, False
    if extra <= 0:
        return n_judged >= overlap, True
    if n_judged < overlap + extra:
        return False, False  # the extra slots are open: no adjudicator yet
    return True, not majority_agrees(verdicts, rule)


def slots(project: Project, state: Any) -> int:
    """How many ordinary verdicts and live leases pair ``state`` may hold now: ``overlap``,
    plus the extra slots while they are open (the pair is not done with ``overlap`` verdicts
    in: they conflict)."""
    extra = project.extra_on_conflict
    if extra > 0 and not state.done and state.n_judged >= project.overlap:
        return project.overlap + extra
    return project.overlap


@dataclass(frozen=True)
class Savings:
    """Judgments an adaptive overlap did not need, against a fixed overlap of ``fixed``."""

    fixed: int
    #: Pairs finished (done), and the ordinary judgments they hold.
    pairs_done: int
    judgments_done: int
    #: fixed * pairs_done - judgments_done (never below 0).
    judgments_saved: int
    #: Median seconds an annotator spent on one judgment (duration_ms), None if unknown.
    median_seconds: float | None

    @property
    def hours_saved(self) -> float | None:
        if self.median_seconds is None:
            return None
        return self.judgments_saved * self.median_seconds / 3600

    def to_json(self) -> dict[str, object]:
        hours = self.hours_saved
        return {
            "fixed_overlap": self.fixed,
            "pairs_done": self.pairs_done,
            "judgments_done": self.judgments_done,
            "judgments_saved": self.judgments_saved,
            "median_judgment_seconds": (
                None if self.median_seconds is None else round(self.median_seconds, 3)
            ),
            "hours_saved": None if hours is None else round(hours, 3),
        }


def savings(
    fixed: int, judged_per_done_pair: Sequence[int], durations_ms: Sequence[int]
) -> Savings:
    """What finishing these pairs cost against ``fixed`` judgments each, in judgments and in
    hours (the median judgment duration; zero durations, from clients that did not time the
    judgment, are left out)."""
    done = sum(judged_per_done_pair)
    saved = sum(max(0, fixed - n) for n in judged_per_done_pair)
    timed = [d for d in durations_ms if d > 0]
    median = statistics.median(timed) / 1000 if timed else None
    return Savings(fixed, len(judged_per_done_pair), done, saved, median)


def project_savings(conn: Connection, project: Project, fixed: int | None = None) -> Savings:
    """:func:`savings` for a project's finished ordinary pairs against a fixed overlap of
    ``fixed`` (default: ``overlap + extra_on_conflict``, what the project would cost without
    the adaptive rule)."""
    fixed = project.overlap + project.extra_on_conflict if fixed is None else fixed
    P, J = t.pairs, t.judgments
    judged = (
        conn.execute(
            select(P.c.n_judged).where(
                P.c.project_id == project.id, P.c.is_gold.is_(False), P.c.done.is_(True)
            )
        )
        .scalars()
        .all()
    )
    durations = (
        conn.execute(
            select(J.c.data["duration_ms"].as_integer()).where(
                J.c.project_id == project.id,
                J.c.source.is_(None),
                J.c.retracted.is_(False),
                J.c.superseded.is_(False),
            )
        )
        .scalars()
        .all()
    )
    return savings(fixed, judged, [d for d in durations if d is not None])


def recheck(conn: Connection, project: Project) -> None:
    """Recompute every ordinary pair's done and conflict flags (after the overlap, the extra
    slots or the conflict rule of a project with extra slots changed)."""

    P = t.pairs
    rows = conn.execute(
        select(P.c.seq, P.c.n_judged, P.c.done, P.c.conflict).where(
            P.c.project_id == project.id, P.c.is_gold.is_(False)
        )
    ).all()
    floor = max(2, project.overlap)
    full = [row.seq for row in rows if row.n_judged >= floor]
    verdicts: dict[int, list[Judgment]] = {seq: [] for seq in full}
    for group in chunks(full):
        for row in conn.execute(S.STANDING_VERDICTS, {"seqs": group}):
            verdicts[row.pair_seq].append(stored_verdict(row.data))
    updates = []
    for row in rows:
        done, conflict = pair_flags(
            project.overlap,
            project.extra_on_conflict,
            project.conflict_rule,
            row.n_judged,
            verdicts.get(row.seq),
        )
        if (done, conflict) != (row.done, row.conflict):
            updates.append({"s": row.seq, "dn": done, "cf": conflict})
    if updates:
        conn.execute(
            update(P)
            .where(P.c.seq == bindparam("s"))
            .values(done=bindparam("dn"), conflict=bindparam("cf")),
            updates,
        )
