"""Which open pairs a lease takes first, for a project's ordering and adaptive overlap.

The plain case (priority order, fixed overlap) is :data:`rankterm.server.statements.PICK_NORMAL`
itself. The others are that statement with one change each, built once here, so that the
careful parts (the per-pair probes, ``SKIP LOCKED``) stay in one place:

- ``informative`` ordering: by ``pairs.info_score`` (then priority, then insertion order),
  which the ``ix_pairs_informative`` index serves as ``ix_pairs_queue`` serves priority;
- extra slots on conflict: the statement's capacity test is given ``overlap + extra``, and a
  pair may use the extra slots only once its first ``overlap`` verdicts are in (a pair still
  open with that many verdicts is one whose verdicts conflict: rankterm.server.adaptive).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, or_

from rankterm.server import statements as S
from rankterm.server import tables as t
from rankterm.server.core import Project

P = t.pairs

_INFORMATIVE = S.PICK_NORMAL.order_by(None).order_by(
    P.c.info_score.desc(), P.c.priority.desc(), P.c.seq
)
_EXTRA = or_(P.c.n_judged + P.c.n_leased < bindparam("base"), P.c.n_judged >= bindparam("base"))
_STATEMENTS = {
    ("priority", False): S.PICK_NORMAL,
    ("informative", False): _INFORMATIVE,
    ("priority", True): S.PICK_NORMAL.where(_EXTRA),
    ("informative", True): _INFORMATIVE.where(_EXTRA),
}

#: The same statements, only from the pools the annotator can serve. ``pairs.pool`` is read
#: on the rows ``ix_pairs_queue`` yields anyway (no second index can serve an IN list
#: that includes "" in priority order; ix_pairs_pool holds only pooled pairs).
_POOLED = {
    key: stmt.where(P.c.pool.in_(bindparam("pools", expanding=True)))
    for key, stmt in _STATEMENTS.items()
}


def pick_normal(
    project: Project, user_id: int, k: int, pools: list[str] | None = None
) -> tuple[Any, dict[str, Any]]:
    """The statement and parameters that pick up to ``k`` open pairs for user ``user_id``,
    only from ``pools`` if given (rankterm.server.pools.allowed)."""
    extra = project.extra_on_conflict > 0
    key = (project.ordering if project.ordering == "informative" else "priority", extra)
    stmt = _STATEMENTS[key] if pools is None else _POOLED[key]
    params: dict[str, Any] = {"pid": project.id, "uid": user_id, "k": k}
    if pools is not None:
        params["pools"] = pools
    if extra:
        params["overlap"] = project.overlap + project.extra_on_conflict
        params["base"] = project.overlap
    else:
        params["overlap"] = project.overlap
    return stmt, params
