"""PostgreSQL connections that die in the pool (server restart, pg_terminate_backend, a proxy's
idle timeout) cost no request: an idle one is pinged at checkout, and a write that meets one
used a moment ago runs again on a fresh connection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from rankterm.server import db as dbmod
from rankterm.server.db import Database
from rankterm.server.settings import resolve_db_url

pytestmark = pytest.mark.pg


@pytest.fixture
def db(pg_url: str) -> Iterator[Database]:
    database = Database(resolve_db_url(pg_url), pool_size=1, max_overflow=0)
    yield database
    database.dispose()


def _backend_pid(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.connection.driver_connection.info.backend_pid


def _terminate(pg_url: str, pid: int) -> None:
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.commit()


def test_a_write_on_a_connection_killed_a_moment_ago_runs_again(db: Database, pg_url: str):
    first = _backend_pid(db)
    _terminate(pg_url, first)  # the pool's only connection, back in the pool just now
    attempts: list[int] = []

    def work(conn: Any) -> int:
        attempts.append(conn.connection.driver_connection.info.backend_pid)
        return conn.execute(text("SELECT 41 + 1")).scalar_one()

    assert db.write(work) == 42
    assert len(attempts) == 2 and attempts[0] == first and attempts[1] != first


def test_an_idle_dead_connection_is_replaced_before_use(
    db: Database, pg_url: str, monkeypatch: pytest.MonkeyPatch
):
    first = _backend_pid(db)
    _terminate(pg_url, first)
    monkeypatch.setattr(dbmod, "PING_AFTER_IDLE_S", 0.0)  # "idle": any gap at all
    with db.read() as conn:  # a read has no retry: the ping must catch it
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
        assert conn.connection.driver_connection.info.backend_pid != first
