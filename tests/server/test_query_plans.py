"""An annotator's lease/submit/retract cost must not grow with what they judged before.

PostgreSQL picks plans from statistics, and a new deployment or a new project has none worth
the name (autovacuum has not analysed the tables yet). This builds that case on purpose: a
fresh database with autovacuum off, one annotator with a long history, then EXPLAIN ANALYZE of
every query that one more lease, submit and retraction actually ran. No plan node may touch a
large share of that history. Before migration 0003 the submit's "your standing verdicts on
these pairs" lookup walked all of the annotator's judgments in the project.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import select, update

from rankterm.core.model import Retraction
from rankterm.server import ingest, pg_submit, projects, scheduling, users
from rankterm.server import tables as t
from rankterm.server.app import submit_path_for
from rankterm.server.core import forget_project, get_project, get_user
from rankterm.server.db import ANALYZE_AFTER_ROWS, Database
from rankterm.server.migrate import run_migrations
from rankterm.server.schemas import ProjectCreate
from rankterm.server.settings import resolve_db_url
from tests.server.conftest import (
    Backend,
    judgment,
    make_pairs,
    pg_admin_execute,
    pg_database_url,
)

pytestmark = pytest.mark.pg

HISTORY = 400
#: A plan node may touch at most this many rows (times its loops) for one request.
ROW_BUDGET = HISTORY // 4
TABLES = ("pairs", "leases", "judgments", "retractions", "rejections", "tokens", "users")


@pytest.fixture
def unanalysed_db(pg_url: str) -> Iterator[Database]:
    """A fresh database whose tables are never analysed during the test."""
    name = f"rankterm_plan_{secrets.token_hex(4)}"
    pg_admin_execute(f"CREATE DATABASE {name}")
    db = Database(resolve_db_url(pg_database_url(name)))
    try:
        run_migrations(db)
        with db.engine.begin() as conn:
            for table in TABLES:
                conn.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        yield db
    finally:
        db.dispose()
        pg_admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _rows_touched(node: dict[str, Any]) -> float:
    seen = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
    seen += node.get("Rows Removed by Index Recheck", 0)
    return seen * node.get("Actual Loops", 1)


def _explained(db: Database, statements: list[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """(sql, plan) of each captured statement, run again under EXPLAIN ANALYZE and rolled
    back (a lease's SELECT ... FOR UPDATE locks nothing past its own plan)."""
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        for sql, params in statements:
            with raw.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                (plan,) = cursor.fetchone()[0]
            raw.rollback()
            yield sql, plan


def _assert_within_budget(db: Database, statements: list[tuple[str, Any]]) -> None:
    """No node of any statement's plan touches more than ROW_BUDGET rows."""
    for sql, plan in _explained(db, statements):
        worst = max(_nodes(plan["Plan"]), key=_rows_touched)
        assert _rows_touched(worst) <= ROW_BUDGET, (
            f"{worst['Node Type']} on {worst.get('Index Name') or worst.get('Relation Name')}"
            f" touched {_rows_touched(worst):.0f} rows for one request:\n{sql}\n"
            + json.dumps(plan["Plan"], indent=1)[:3000]
        )


def _judged_history(db: Database, project: str, who: str, n: int) -> list[str]:
    """A project of at least n + 20 pairs, n of them leased and judged by ``who``; its ids."""
    spec = ProjectCreate(name=project, overlap=1, max_leases=n + 50)
    db.write(lambda conn: projects.create_project(conn, spec))
    # Big enough that the import refreshes the statistics, as a real one of this size would.
    pairs = make_pairs(max(n + 20, ANALYZE_AFTER_ROWS))
    db.write(
        lambda conn: projects.import_pairs(conn, get_project(conn, project), list(enumerate(pairs)))
    )
    db.refresh_statistics("pairs", len(pairs))  # as the import endpoint and CLI do
    db.write(lambda conn: users.add_user(conn, who, "annotator"))
    assert [r.status for r in _lease_and_judge(db, project, who, n)] == ["accepted"] * n
    return [p.id for p in pairs]


def _lease_and_judge(db: Database, project: str, who: str, n: int) -> list[ingest.Receipt]:
    def work(conn: Any) -> list[ingest.Receipt]:
        proj, user = get_project(conn, project), get_user(conn, who)
        leased = scheduling.lease(conn, proj, user, n)
        items = [judgment(item["pair"]["id"], who).model_dump(mode="json") for item in leased]
        return ingest.submit_judgments(conn, proj, user, items, submit_path_for(db))

    return db.write(work)


def _as_ann(db: Database, submit: Any, record: Any) -> list[ingest.Receipt]:
    """``submit`` (judgments or retractions) of one record by ann in project "plans"."""
    item = record.model_dump(mode="json")
    return db.write(
        lambda conn: submit(conn, get_project(conn, "plans"), get_user(conn, "ann"), [item])
    )


def _set_repeat_rate(db: Database, project: str, rate: float) -> None:
    def work(conn: Any) -> None:
        conn.execute(
            update(t.projects).where(t.projects.c.name == project).values(repeat_rate=rate)
        )
        forget_project(conn, project)

    db.write(work)


@pytest.mark.parametrize("stats", ["never analysed", "analysed before the project"])
def test_annotator_requests_do_not_scan_their_history(
    unanalysed_db: Database, stats: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = unanalysed_db
    if stats != "never analysed":
        _judged_history(db, "earlier", "bob", HISTORY)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    pair_ids = _judged_history(db, "plans", "ann", HISTORY)

    captured: list[tuple[str, Any]] = []
    execute = psycopg.Cursor.execute

    def capture(cursor: psycopg.Cursor, query: Any, params: Any = None, **kw: Any) -> Any:
        # At the driver, so that both SQLAlchemy's statements and pg_submit's are seen.
        if isinstance(query, str) and query.lstrip().upper().startswith("SELECT"):
            captured.append((query, params))
        return execute(cursor, query, params, **kw)

    monkeypatch.setattr(psycopg.Cursor, "execute", capture)
    try:
        (one,) = _lease_and_judge(db, "plans", "ann", 1)
        _set_repeat_rate(db, "plans", 1.0)  # the next lease is a blind repeat
        (again,) = _lease_and_judge(db, "plans", "ann", 1)
        _set_repeat_rate(db, "plans", 0.0)
        # A change of mind on a pair judged long ago (its lease used), and its undo.
        rethought = judgment(pair_ids[0], "ann", "B")
        (two,) = _as_ann(db, partial(ingest.submit_judgments, path=submit_path_for(db)), rethought)
        undo = Retraction(
            id=uuid.uuid4(), retracts=rethought.id, pair_id=rethought.pair_id, annotator="ann"
        )
        (three,) = _as_ann(db, ingest.submit_retractions, undo)
    finally:
        monkeypatch.undo()
    assert (one.status, again.status, two.status, three.status) == ("accepted",) * 4
    with db.engine.connect() as conn:
        kinds = conn.execute(select(t.leases.c.kind).where(t.leases.c.kind == "repeat")).all()
    assert len(kinds) == 1, "no blind repeat was leased"
    assert any("FROM judgments" in sql for sql, _ in captured)
    if submit_path_for(db) is pg_submit.PIPELINED:  # the pipelined reads were planned too
        assert pg_submit.USER_ACTIVE in [sql for sql, _ in captured]

    _assert_within_budget(db, captured)


def _times_analysed(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        row = conn.exec_driver_sql(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = %(t)s", {"t": table}
        ).first()
    return row[0] if row else 0


def test_a_large_import_refreshes_the_planners_statistics(pg_backend: Backend) -> None:
    _, admin_token = pg_backend.user("admin")
    project = pg_backend.project()
    url = f"{pg_backend.url}/v1/projects/{project}/pairs"
    headers = {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/x-ndjson"}

    def ndjson(pairs: list) -> bytes:
        return b"".join(p.model_dump_json().encode() + b"\n" for p in pairs)

    before = _times_analysed(pg_backend.db, "pairs")
    with httpx.Client(timeout=60) as http:
        small = http.post(url, content=ndjson(make_pairs(10, prefix="s")), headers=headers)
        assert small.json()["added"] == 10
        assert _times_analysed(pg_backend.db, "pairs") == before  # too small to bother
        big = make_pairs(ANALYZE_AFTER_ROWS, prefix="b")
        assert http.post(url, content=ndjson(big), headers=headers).json()["added"] == len(big)
    assert _times_analysed(pg_backend.db, "pairs") == before + 1


def _captured_selects(monkeypatch: pytest.MonkeyPatch, work: Any) -> list[tuple[str, Any]]:
    captured: list[tuple[str, Any]] = []
    execute = psycopg.Cursor.execute

    def capture(cursor: psycopg.Cursor, query: Any, params: Any = None, **kw: Any) -> Any:
        if isinstance(query, str) and query.lstrip().upper().startswith("SELECT"):
            captured.append((query, params))
        return execute(cursor, query, params, **kw)

    monkeypatch.setattr(psycopg.Cursor, "execute", capture)
    try:
        work()
    finally:
        monkeypatch.undo()
    return captured


def test_pooled_leases_stay_index_driven(
    unanalysed_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project with annotator pools: the lease picks from each pool the annotator may serve
    on its own (ix_pairs_pool_queue); neither it nor the gold draw reads the annotator's
    history or every pair."""
    from rankterm.core.model import Pair

    db = unanalysed_db
    german = "metadata.language=de:languages=de"
    spec = ProjectCreate(name="pooled", overlap=1, max_leases=HISTORY + 50, requirements=[german])
    db.write(lambda conn: projects.create_project(conn, spec))
    pairs = [
        Pair(
            id=f"p{i:05d}",
            prompt=f"q{i}",
            response_a="a",
            response_b="b",
            metadata={"language": "de" if i % 2 else "en"},
            gold="A" if i >= ANALYZE_AFTER_ROWS + HISTORY else None,
        )
        for i in range(ANALYZE_AFTER_ROWS + HISTORY + 20)
    ]
    db.write(
        lambda conn: projects.import_pairs(
            conn, get_project(conn, "pooled"), list(enumerate(pairs))
        )
    )
    db.refresh_statistics("pairs", len(pairs))
    db.write(lambda conn: users.add_user(conn, "de", "annotator", {"languages": ["de"]}))
    db.write(lambda conn: users.add_user(conn, "en", "annotator", {"languages": ["en"]}))
    judged = _lease_and_judge(db, "pooled", "de", HISTORY)
    assert [r.status for r in judged] == ["accepted"] * HISTORY

    def leases() -> None:
        for who in ("de", "en"):
            (one,) = _lease_and_judge(db, "pooled", who, 1)
            assert one.status == "accepted"

        def gold(conn: Any) -> None:
            conn.execute(
                update(t.projects).where(t.projects.c.name == "pooled").values(gold_rate=1.0)
            )
            forget_project(conn, "pooled")

        db.write(gold)
        for who in ("de", "en"):
            (one,) = _lease_and_judge(db, "pooled", who, 1)
            assert one.status == "accepted"

    captured = _captured_selects(monkeypatch, leases)
    assert any("pairs.pool IN" in sql for sql, _ in captured)

    _assert_within_budget(db, captured)


@pytest.mark.parametrize(("ordering", "extra"), [("priority", 0), ("informative", 1)])
def test_a_pooled_lease_walks_only_the_pools_it_serves(
    unanalysed_db: Database, monkeypatch: pytest.MonkeyPatch, ordering: str, extra: int
) -> None:
    """The worst case of bench_pools.py: the highest-priority pairs all need German, and an
    annotator without German leases. Each pool's pick walks its own part of
    ix_pairs_pool_queue / ix_pairs_pool_informative (migration 0011), in order (no sort), and
    reads no German pair: before it, the pick read ``pairs.pool`` on the rows of
    ix_pairs_queue and walked past every German pair still open."""
    from rankterm.core.model import Pair

    db = unanalysed_db
    german = "metadata.language=de:languages=de"
    spec = ProjectCreate(name="first", overlap=1, max_leases=100, requirements=[german])
    db.write(lambda conn: projects.create_project(conn, spec))
    n = ANALYZE_AFTER_ROWS + HISTORY
    pairs = [
        Pair(
            id=f"p{i:05d}",
            prompt=f"q{i}",
            response_a="a",
            response_b="b",
            metadata={"language": "de" if i < n // 2 else "en"},
            priority=-i,
        )
        for i in range(n)
    ]
    db.write(
        lambda conn: projects.import_pairs(conn, get_project(conn, "first"), list(enumerate(pairs)))
    )
    db.refresh_statistics("pairs", len(pairs))

    def settings(conn: Any) -> None:
        conn.execute(
            update(t.projects)
            .where(t.projects.c.name == "first")
            .values(ordering=ordering, extra_on_conflict=extra)
        )
        forget_project(conn, "first")

    db.write(settings)
    db.write(lambda conn: users.add_user(conn, "en", "annotator", {"languages": ["en"]}))
    db.write(lambda conn: users.add_user(conn, "de", "annotator", {"languages": ["de"]}))

    def leases() -> None:
        for who in ("en", "de"):
            got = db.write(
                lambda conn, w=who: scheduling.lease(
                    conn, get_project(conn, "first"), get_user(conn, w), 20
                )
            )
            assert len(got) == 20
            german_ids = {p.id for p in pairs[: n // 2]}
            assert ({item["pair"]["id"] for item in got} <= german_ids) == (who == "de")

    captured = _captured_selects(monkeypatch, leases)
    picks = [(sql, params) for sql, params in captured if "pairs.pool = " in sql]
    assert len(picks) == 3  # "" for en; "" and the German pool for de
    index = "ix_pairs_pool_queue" if ordering == "priority" else "ix_pairs_pool_informative"
    for _, plan in _explained(db, picks):
        nodes = list(_nodes(plan["Plan"]))
        shown = json.dumps(plan["Plan"], indent=1)[:3000]
        assert index in [node.get("Index Name") for node in nodes], shown
        assert not any("Sort" in node["Node Type"] for node in nodes), shown
        # Run again after the leases: the 20 pairs leased from this pool (now full), the
        # next 20, and no German pair walked past (the old walk read n / 2 of them).
        walk = [node for node in nodes if node.get("Relation Name") == "pairs"]
        assert sum(_rows_touched(node) for node in walk) <= 40, shown
