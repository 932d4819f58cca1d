"""The informative order and extra slots keep a lease's cost independent of the annotator's
history and of the project's size (PostgreSQL plans, built as tests/server/test_query_plans.py
builds them: a fresh database that autovacuum never analyses)."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from rankterm.server import projects
from rankterm.server.schemas import ProjectUpdate
from tests.server import test_query_plans as plans
from tests.server.test_query_plans import (
    HISTORY,
    ROW_BUDGET,
    _judged_history,
    _lease_and_judge,
    _nodes,
    _rows_touched,
)

#: The fixture, found by its name here.
unanalysed_db = plans.unanalysed_db

pytestmark = pytest.mark.pg


@pytest.mark.parametrize("ordering", ["informative", "priority"])
def test_an_informative_lease_reads_the_queue_index(
    request: pytest.FixtureRequest, ordering: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = request.getfixturevalue("unanalysed_db")
    _judged_history(db, "plans", "ann", HISTORY)
    changes = ProjectUpdate(ordering=ordering, extra_on_conflict=1)
    db.write(lambda conn: projects.update_project(conn, "plans", changes))
    captured: list[tuple[str, Any]] = []
    execute = psycopg.Cursor.execute

    def capture(cursor: psycopg.Cursor, query: Any, params: Any = None, **kw: Any) -> Any:
        if isinstance(query, str) and "SKIP LOCKED" in query:
            captured.append((query, params))
        return execute(cursor, query, params, **kw)

    monkeypatch.setattr(psycopg.Cursor, "execute", capture)
    try:
        (one,) = _lease_and_judge(db, "plans", "ann", 1)
    finally:
        monkeypatch.undo()
    assert one.status == "accepted"
    (pick,) = captured
    if ordering == "informative":
        assert "info_score DESC" in pick[0]
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + pick[0], pick[1])
            (plan,) = cursor.fetchone()[0]
        raw.rollback()
    worst = max(_nodes(plan["Plan"]), key=_rows_touched)
    assert _rows_touched(worst) <= ROW_BUDGET, json.dumps(plan["Plan"], indent=1)[:3000]
