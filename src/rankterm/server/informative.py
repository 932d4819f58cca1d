"""The ``informative`` ordering: serve first the pairs whose label would teach the most.

Each open ordinary pair gets a score from 0 to 1, the mean of whichever of three signals it has:

- **margin**: how close to a coin flip a reward model (or a judge) found it. The pair's
  ``metadata`` carries ``reward_a`` and ``reward_b`` (reward scores on a logit scale) or one
  ``margin`` (A's advantage on the same scale, e.g. a judge's log-odds; for a judge's verdict
  averaged over both side orders, -1..1 works too). Near zero margin -> 1:
  ``1 - |tanh(margin / 2)|`` (the distance from 50% of the implied win probability, doubled).
- **disagreement**: how split the people who judged it so far are: 1 - the top choice's share,
  doubled and capped at 1 (two opposite verdicts -> 1, unanimous -> 0). Needs two verdicts.
- **overlap**: how much the Bradley-Terry 95% intervals of the pair's two models overlap
  (the leaderboard's fit on the project's own standing verdicts): the overlap's length over the
  narrower interval. A model without verdicts yet counts as fully overlapping (nothing is known).

Pairs without any signal score 0 and follow in priority order (ties keep priority, then
insertion order). Scores are computed off the lease path: :func:`refresh` reads, computes and
writes changed scores in small transactions; the server calls :func:`maybe_refresh` after a
lease, which starts a background refresh when the last is older than :data:`REFRESH_SECONDS`.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from rankterm.core.model import Choice
from rankterm.quality.leaderboard import Battle, compute
from rankterm.server import tables as t
from rankterm.server.core import Project
from rankterm.server.db import chunks

P, J = t.pairs, t.judgments

COMPONENTS = ("margin", "disagreement", "overlap")

#: Seconds between background refreshes of one project's scores (environment:
#: RANKTERM_INFORMATIVE_REFRESH).
REFRESH_SECONDS = float(os.environ.get("RANKTERM_INFORMATIVE_REFRESH", "10"))
#: Rows written per transaction: a refresh never holds the write lock (SQLite) or many pair
#: row locks (PostgreSQL, where a locked pair is skipped by leases) for long.
WRITE_CHUNK = 200
#: Bootstrap resamples for the intervals (seeded: the same verdicts give the same scores).
BOOTSTRAP = 100


@dataclass
class PairScore:
    pair_id: str
    seq: int
    priority: float
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    #: Words for each part, for ``admin project show``.
    reasons: list[str] = field(default_factory=list)


@dataclass
class Explanation:
    """What the ordering is built from, and the pairs it puts first."""

    open_pairs: int
    #: How many open pairs each component scored.
    coverage: dict[str, int]
    models: dict[str, tuple[float, float, float]]
    top: list[PairScore]

    def lines(self) -> list[str]:
        out = [
            "order = informative: open pairs by score (0-1), the mean of the signals a pair has;"
            " then priority, then insertion order",
            "  margin: 1 - |tanh(m/2)| of the reward/judge margin m (metadata reward_a/reward_b"
            " or margin)",
            "  disagreement: split of the verdicts so far (1 - top share, doubled, at most 1)",
            "  overlap: overlap of the two models' Bradley-Terry 95% intervals",
            f"  open pairs: {self.open_pairs}; scored by "
            + ", ".join(f"{c} {self.coverage.get(c, 0)}" for c in COMPONENTS),
        ]
        for model, (rating, low, high) in sorted(self.models.items(), key=lambda m: -m[1][0]):
            out.append(f"  model {model}: {rating:.0f} [{low:.0f}, {high:.0f}]")
        for i, s in enumerate(self.top, 1):
            why = "; ".join(s.reasons) or "no signal (priority order)"
            out.append(f"  #{i} {s.pair_id}: score {s.score:.3f} ({why})")
        return out


def margin_part(metadata: Any) -> tuple[float, str] | None:
    """(closeness to an even margin, reason) from a pair's metadata, or None."""
    if not isinstance(metadata, dict):
        return None
    a, b = metadata.get("reward_a"), metadata.get("reward_b")
    if _number(a) and _number(b):
        margin = float(a) - float(b)
        how = f"reward margin {margin:+.3g}"
    elif _number(metadata.get("margin")):
        margin = float(metadata["margin"])
        how = f"margin {margin:+.3g}"
    else:
        return None
    return 1.0 - abs(math.tanh(margin / 2)), how


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def disagreement_part(choices: list[str]) -> tuple[float, str] | None:
    if len(choices) < 2:
        return None
    counts = Counter(choices)
    top = counts.most_common(1)[0][1]
    split = "-".join(str(n) for _, n in counts.most_common())
    return min(1.0, 2 * (1 - top / len(choices))), f"verdicts split {split}"


def overlap_part(
    model_a: Any, model_b: Any, models: dict[str, tuple[float, float, float]]
) -> tuple[float, str] | None:
    if not isinstance(model_a, str) or not isinstance(model_b, str) or model_a == model_b:
        return None
    if model_a not in models or model_b not in models:
        return 1.0, f"{model_a} vs {model_b}: no rating yet"
    _, lo_a, hi_a = models[model_a]
    _, lo_b, hi_b = models[model_b]
    narrower = min(hi_a - lo_a, hi_b - lo_b)
    common = min(hi_a, hi_b) - max(lo_a, lo_b)
    if narrower <= 0:
        value = 1.0 if common >= 0 else 0.0
    else:
        value = max(0.0, min(1.0, common / narrower))
    return value, f"{model_a} vs {model_b}: intervals overlap {value:.0%}"


def _ratings(conn: Connection, project: Project) -> dict[str, tuple[float, float, float]]:
    """model -> (rating, low, high) from the project's standing ordinary verdicts."""
    rows = conn.execute(
        select(J.c.choice, P.c.data["model_a"], P.c.data["model_b"])
        .join(P, P.c.seq == J.c.pair_seq)
        .where(
            J.c.project_id == project.id,
            J.c.source.is_(None),
            J.c.retracted.is_(False),
            J.c.superseded.is_(False),
        )
    ).all()
    battles = []
    for choice, a, b in rows:
        if isinstance(a, str) and isinstance(b, str) and a != b and choice != "both_bad":
            battles.append(Battle(a, b, Choice(choice)))
    if not battles:
        return {}
    board = compute(battles, bootstrap=BOOTSTRAP, seed=0)
    return {s.model: (s.rating, s.ci_low, s.ci_high) for s in board.standings}


def score_pairs(conn: Connection, project: Project) -> tuple[list[PairScore], Explanation]:
    """Every open ordinary pair's score, best first, and the explanation (reads only)."""
    models = _ratings(conn, project)
    pairs = conn.execute(
        select(
            P.c.seq,
            P.c.pair_id,
            P.c.priority,
            P.c.data["metadata"],
            P.c.data["model_a"],
            P.c.data["model_b"],
        ).where(P.c.project_id == project.id, P.c.is_gold.is_(False), P.c.done.is_(False))
    ).all()
    choices: dict[int, list[str]] = defaultdict(list)
    open_seqs = [row.seq for row in pairs]
    for group in chunks(open_seqs):
        for seq, choice in conn.execute(
            select(J.c.pair_seq, J.c.choice).where(
                J.c.pair_seq.in_(group),
                J.c.source.is_(None),
                J.c.retracted.is_(False),
                J.c.superseded.is_(False),
            )
        ):
            choices[seq].append(choice)
    coverage: Counter[str] = Counter()
    scores = []
    for seq, pair_id, priority, metadata, model_a, model_b in pairs:
        parts: dict[str, float] = {}
        reasons: list[str] = []
        for name, part in (
            ("margin", margin_part(metadata)),
            ("disagreement", disagreement_part(choices.get(seq, []))),
            ("overlap", overlap_part(model_a, model_b, models)),
        ):
            if part is not None:
                parts[name], why = part
                reasons.append(f"{name} {parts[name]:.2f}: {why}")
                coverage[name] += 1
        score = sum(parts.values()) / len(parts) if parts else 0.0
        scores.append(PairScore(pair_id, seq, priority, round(score, 6), parts, reasons))
    scores.sort(key=lambda s: (-s.score, -s.priority, s.seq))
    return scores, Explanation(len(scores), dict(coverage), models, scores[:10])


def write_scores(conn: Connection, scores: list[PairScore], known: dict[int, float]) -> int:
    """Write the scores that changed (``known``: seq -> stored score); how many."""
    changed = [
        {"s": s.seq, "v": s.score} for s in scores if abs(known.get(s.seq, 0.0) - s.score) > 1e-9
    ]
    if changed:
        conn.execute(
            update(P).where(P.c.seq == bindparam("s")).values(info_score=bindparam("v")), changed
        )
    return len(changed)


def refresh(conn: Connection, project: Project) -> Explanation:
    """Recompute and store the project's scores in the caller's transaction."""
    scores, explanation = score_pairs(conn, project)
    known = dict(
        conn.execute(
            select(P.c.seq, P.c.info_score).where(
                P.c.project_id == project.id, P.c.is_gold.is_(False), P.c.done.is_(False)
            )
        ).all()
    )
    write_scores(conn, scores, known)
    return explanation


def refresh_in_steps(db: Any, project: Project) -> int:
    """:func:`refresh` for a running server: computed in a read transaction, written in
    transactions of :data:`WRITE_CHUNK` rows so that leases never wait long; rows written."""
    with db.read() as conn:
        scores, _ = score_pairs(conn, project)
        known = dict(
            conn.execute(
                select(P.c.seq, P.c.info_score).where(
                    P.c.project_id == project.id, P.c.is_gold.is_(False), P.c.done.is_(False)
                )
            ).all()
        )
    changed = [s for s in scores if abs(known.get(s.seq, 0.0) - s.score) > 1e-9]
    for group in chunks(changed, WRITE_CHUNK):
        db.write(lambda conn, group=group: write_scores(conn, group, {}))
    return len(changed)


_last: dict[tuple[int, int], float] = {}
_running: set[tuple[int, int]] = set()
_guard = threading.Lock()


def maybe_refresh(db: Any, project: Project | None) -> bool:
    """Start a background refresh of an informative project's scores if the last one is older
    than :data:`REFRESH_SECONDS` and none is running; whether one was started. Never waits."""
    if project is None or project.ordering != "informative":
        return False
    key = (id(db), project.id)
    at = time.monotonic()
    with _guard:
        if key in _running or at - _last.get(key, -math.inf) < REFRESH_SECONDS:
            return False
        _running.add(key)
        _last[key] = at

    def run() -> None:
        try:
            refresh_in_steps(db, project)
        except Exception:  # a failed refresh keeps the old order; logged
            import logging

            logging.getLogger("rankterm.server").exception("informative refresh failed")
        finally:
            with _guard:
                _running.discard(key)

    threading.Thread(target=run, name="informative-refresh", daemon=True).start()
    return True
