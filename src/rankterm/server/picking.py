"""Which open pairs a lease takes first, for a project's ordering and adaptive overlap.

The plain case (priority order, fixed overlap) is :data:`rankterm.server.statements.PICK_NORMAL`
itself. The others are that statement with one change each, built once here, so that the
careful parts (the per-pair probes, ``SKIP LOCKED``) stay in one place:

- ``informative`` ordering: by ``pairs.info_score`` (then priority, then insertion order),
  which the ``ix_pairs_informative`` index serves as ``ix_pairs_queue`` serves priority;
- extra slots on conflict: the statement's capacity test is given ``overlap + extra``, and a
  pair may use the extra slots only once its first ``overlap`` verdicts are in (a pair still
  open with that many verdicts is one whose verdicts conflict: rankterm.server.adaptive);
- annotator pools (every lease: rankterm.server.pools.allowed): the statement for one pool,
  run once per pool the annotator may serve, the picks merged in queue order (:func:`pick`),
  each walking ``ix_pairs_pool_queue`` / ``ix_pairs_pool_informative``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, or_

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

#: The same statements, only from the pools the annotator can serve, in one statement: the
#: filter is read on the rows ``ix_pairs_queue`` yields, so a lease walks past every open pair
#: of a pool the annotator cannot serve. The reference for :func:`pick` (tests compare the
#: two), and what :func:`pick_normal` gives for a list of pools.
_POOLED = {
    key: stmt.where(P.c.pool.in_(bindparam("pools", expanding=True)))
    for key, stmt in _STATEMENTS.items()
}

#: The same statements for one pool, walking ``ix_pairs_pool_queue`` /
#: ``ix_pairs_pool_informative`` (migration 0011: the pool before the order), so they read
#: only that pool's open pairs, in queue order. With the order's columns, for the merge.
_ONE_POOL = {
    key: stmt.add_columns(P.c.priority, P.c.info_score).where(P.c.pool == bindparam("pool"))
    for key, stmt in _STATEMENTS.items()
}


def _key(project: Project) -> tuple[str, bool]:
    ordering = project.ordering if project.ordering == "informative" else "priority"
    return ordering, project.extra_on_conflict > 0


def _params(project: Project, user_id: int, k: int) -> dict[str, Any]:
    params: dict[str, Any] = {"pid": project.id, "uid": user_id, "k": k}
    if project.extra_on_conflict > 0:
        params["overlap"] = project.overlap + project.extra_on_conflict
        params["base"] = project.overlap
    else:
        params["overlap"] = project.overlap
    return params


def pick_normal(
    project: Project, user_id: int, k: int, pools: list[str] | None = None
) -> tuple[Any, dict[str, Any]]:
    """The single statement and parameters that pick up to ``k`` open pairs for user
    ``user_id``, only from ``pools`` if given (rankterm.server.pools.allowed).

    With pools, its cost grows with the open pairs of pools the annotator cannot serve that
    rank above the ones they can: :func:`pick` is what leases use."""
    key = _key(project)
    stmt = _STATEMENTS[key] if pools is None else _POOLED[key]
    params = _params(project, user_id, k)
    if pools is not None:
        params["pools"] = pools
    return stmt, params


def pick_one_pool(project: Project, user_id: int, k: int, pool: str) -> tuple[Any, dict[str, Any]]:
    """The statement and parameters that pick up to ``k`` open pairs of pool ``pool`` for
    user ``user_id``, with the order's columns (one part of :func:`pick`)."""
    return _ONE_POOL[_key(project)], {**_params(project, user_id, k), "pool": pool}


def pick(
    conn: Connection, project: Project, user_id: int, k: int, pools: list[str] | None = None
) -> list[Any]:
    """Up to ``k`` open pairs for user ``user_id``, the same ones :func:`pick_normal`'s
    statement picks, locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).

    With ``pools``, one index-driven pick of up to ``k`` per pool (an annotator serves few:
    ``""`` and their own), merged in queue order: each reads only its pool's open pairs, so a
    lease costs about the same whatever the pool mix (bench_pools.py). The queue order is
    total (``seq`` last), so the first ``k`` of the merge are the first ``k`` of the union.
    Rows of other pools than those kept stay locked until the transaction ends (at most
    ``k`` a pool): a concurrent lease skips them, as it skips any row being leased.
    """
    if pools is None:
        stmt, params = pick_normal(project, user_id, k)
        return list(conn.execute(stmt, params).all())
    rows: list[Any] = []
    for pool in dict.fromkeys(pools):
        rows += conn.execute(*pick_one_pool(project, user_id, k, pool)).all()
    if project.ordering == "informative":
        rows.sort(key=lambda row: (-row.info_score, -row.priority, row.seq))
    else:
        rows.sort(key=lambda row: (-row.priority, row.seq))
    return rows[:k]
