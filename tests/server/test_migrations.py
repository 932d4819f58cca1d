"""The packaged migration builds exactly the tables the code defines, on every backend."""

from __future__ import annotations

import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from rankterm.server.db import Database
from rankterm.server.migrate import HEAD, alembic_config, current_revision, run_migrations
from rankterm.server.settings import resolve_db_url
from rankterm.server.tables import metadata
from tests.server.conftest import pg_admin_execute, pg_database_url


def test_head_constant_matches_alembic() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_migration_matches_metadata(kind: str, tmp_path, request) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        request.getfixturevalue("pg_url")  # skips without RANKTERM_TEST_PG
        name = f"rankterm_m_{secrets.token_hex(4)}"
        pg_admin_execute(f"CREATE DATABASE {name}")
        request.addfinalizer(lambda: pg_admin_execute(f"DROP DATABASE {name} WITH (FORCE)"))
        url = resolve_db_url(pg_database_url(name))
    db = Database(url)
    try:
        assert current_revision(db) is None
        run_migrations(db)
        run_migrations(db)  # a second run is a no-op
        assert current_revision(db) == HEAD
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        db.dispose()
