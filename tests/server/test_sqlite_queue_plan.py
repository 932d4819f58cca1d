"""On SQLite, a lease reads open pairs in queue order straight off an index, in every
ordering: no sort of all the project's open pairs per lease.

Before migration 0006, ix_pairs_queue on SQLite had lost its ``priority DESC`` (a table rebuild
in an earlier migration re-created it from reflection): ``ORDER BY priority DESC, seq`` then
sorted each run of equal priorities by seq in a temporary B-tree, which for a project imported
without priorities is every open pair, on every lease (about 25 ms of server CPU per lease of
10 at 2,000 pairs, bench_server.py ``--ordering-only``)."""

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


@pytest.mark.parametrize(
    ("ordering", "extra", "index"),
    [
        ("priority", 0, "ix_pairs_queue"),
        ("priority", 1, "ix_pairs_queue"),
        ("informative", 0, "ix_pairs_informative"),
        ("informative", 1, "ix_pairs_informative"),
    ],
)
@pytest.mark.parametrize("pools", [None, [""], ["", "languages=de"]])
def test_the_pick_needs_no_sort(
    db: Database, ordering: str, extra: int, index: str, pools: list[str] | None
) -> None:
    """Every lease filters on the annotator's pools (rankterm.server.pools): still the
    ordered walk of the queue index, never a sort of the project's open pairs."""
    db.write(lambda conn: projects.create_project(conn, ProjectCreate(name="plan")))
    pairs = list(enumerate(make_pairs(300)))
    db.write(lambda conn: projects.import_pairs(conn, get_project(conn, "plan"), pairs))
    with db.read() as conn:
        project = dataclasses.replace(
            get_project(conn, "plan"), ordering=ordering, extra_on_conflict=extra
        )
        stmt, params = picking.pick_normal(project, 1, 10, pools)
        # The pools list is an expanding IN: rendered with its values, as the driver gets it.
        state = stmt.compile(dialect=conn.dialect).construct_expanded_state(params)
        values = state.parameters
        positions = state.positiontup
        args = [values[name] for name in positions] if positions else values
        raw = conn.connection.driver_connection
        plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + state.statement, args)]
    assert any(f"USING INDEX {index} " in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
