"""On SQLite, a lease reads open pairs in queue order straight off an index, in every
ordering: no sort of all the project's open pairs per lease.

Before migration 0006, ix_pairs_queue on SQLite had lost its ``priority DESC`` (a table rebuild
in an earlier migration re-created it from reflection): ``ORDER BY priority DESC, seq`` then
sorted each run of equal priorities by seq in a temporary B-tree, which for a project imported
without priorities is every open pair, on every lease (about 25 ms of server CPU per lease of
10 at 2,000 pairs, bench_server.py ``--ordering-only``).

A pooled lease (every lease: rankterm.server.pools.allowed) picks from each pool on its own
(rankterm.server.picking.pick), walking the index with the pool before the order (migration
0011): before it, the pool was read on each row of ix_pairs_queue, and a lease walked past every
open pair of a pool the annotator cannot serve (bench_pools.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from rankterm.server import picking, projects
from rankterm.server.core import get_project
from rankterm.server.db import Database
from rankterm.server.migrate import run_migrations
from rankterm.server.schemas import ProjectCreate
from tests.server.conftest import make_pairs


@pytest.fixture
def db(tmp_path: Any) -> Any:
    database = Database(f"sqlite:///{tmp_path / 'plan.db'}")
    run_migrations(database)
    yield database
    database.dispose()


def _plan(conn: Any, stmt: Any, params: dict[str, Any]) -> list[str]:
    # An expanding IN is rendered with its values, as the driver gets it.
    state = stmt.compile(dialect=conn.dialect).construct_expanded_state(params)
    values = state.parameters
    positions = state.positiontup
    args = [values[name] for name in positions] if positions else values
    raw = conn.connection.driver_connection
    return [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + state.statement, args)]


_ORDERINGS = pytest.mark.parametrize(
    ("ordering", "extra", "index"),
    [
        ("priority", 0, "ix_pairs_queue"),
        ("priority", 1, "ix_pairs_queue"),
        ("informative", 0, "ix_pairs_informative"),
        ("informative", 1, "ix_pairs_informative"),
    ],
)


@_ORDERINGS
@pytest.mark.parametrize("pool", [None, "", "languages=de"])
def test_the_pick_needs_no_sort(
    db: Database, ordering: str, extra: int, index: str, pool: str | None
) -> None:
    """The unpooled pick walks the queue index; each pool's pick of a pooled lease (every
    lease filters on the annotator's pools: rankterm.server.pools) walks the same order
    within the pool (ix_pairs_pool_*, the pool an equality in its key): never a sort of the
    project's open pairs."""
    db.write(lambda conn: projects.create_project(conn, ProjectCreate(name="plan")))
    pairs = list(enumerate(make_pairs(300)))
    db.write(lambda conn: projects.import_pairs(conn, get_project(conn, "plan"), pairs))
    with db.read() as conn:
        project = dataclasses.replace(
            get_project(conn, "plan"), ordering=ordering, extra_on_conflict=extra
        )
        if pool is None:
            plan = _plan(conn, *picking.pick_normal(project, 1, 10))
        else:
            plan = _plan(conn, *picking.pick_one_pool(project, 1, 10, pool))
            index = index.replace("ix_pairs_", "ix_pairs_pool_")
            assert "pool=?" in plan[0], plan
    assert f"USING INDEX {index} " in plan[0], plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
