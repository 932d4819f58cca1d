"""The packaged migration builds exactly the tables the code defines, on every backend."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from rankterm.server.db import Database
from rankterm.server.migrate import (
    HEAD,
    MigrationError,
    alembic_config,
    current_revision,
    run_migrations,
)
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


def _sqlite_at_0001_with_data(path) -> Database:
    """A database as 0001 left it, holding rows that point at ``projects`` (which 0002 rebuilds)."""
    db = Database(f"sqlite:///{path}")
    run_migrations(db, "0001")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO projects (id, name, overlap, lease_ttl, gold_rate, repeat_rate,"
                " conflict_rule, tags, criteria, description, created_at)"
                " VALUES (1, 'p', 3, 60, 0, 0, 'any_disagreement', '[]', '[]', '', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (id, name, role, profile, created_at)"
                " VALUES (1, 'ann', 'annotator', '{}', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO guidelines (project_id, version, content, created_at)"
                " VALUES (1, 'v1', 'x', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO pairs (seq, project_id, pair_id, data, priority, is_gold, created_at)"
                " VALUES (1, 1, 'q1', '{}', 0, 0, 0)"
            )
        )
    return db


def test_sqlite_upgrade_of_a_database_with_data(tmp_path) -> None:
    db = _sqlite_at_0001_with_data(tmp_path / "old.db")
    try:
        run_migrations(db)
        assert current_revision(db) == HEAD
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name, repeat_gap FROM projects")).all() == [("p", 20)]
            assert conn.execute(text("SELECT count(*) FROM guidelines")).scalar() == 1
            # 0009: pairs of before need nothing; projects of before state no requirements.
            assert conn.execute(text("SELECT pool FROM pairs")).scalars().all() == [""]
            row = conn.execute(text("SELECT requirements, pool_keys FROM projects")).one()
            assert [json.loads(v) for v in row] == [[], []]
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            # Enforcement is back on for the pooled connections the server goes on to use.
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        db.dispose()


def test_failed_migration_is_one_line_naming_database_and_revision(tmp_path) -> None:
    path = tmp_path / "broken.db"
    db = _sqlite_at_0001_with_data(path)
    with db.engine.begin() as conn:  # a leftover that makes 0002's table rebuild fail
        conn.execute(text("CREATE TABLE _alembic_tmp_projects (x INTEGER)"))
    db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RANKTERM_")}
    done = subprocess.run(
        [sys.executable, "-m", "rankterm", "admin", "migrate", "--db", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert str(path) in lines[0] and "0002" in lines[0] and "0001" in lines[0]
    db = Database(f"sqlite:///{path}")
    try:
        assert current_revision(db) == "0001"  # rolled back, nothing half-done
    finally:
        db.dispose()


def test_run_migrations_raises_migration_error(tmp_path) -> None:
    db = _sqlite_at_0001_with_data(tmp_path / "bad.db")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE _alembic_tmp_projects (x INTEGER)"))
    try:
        with pytest.raises(MigrationError, match=r"to revision 0002 \(it stays at 0001\)") as err:
            run_migrations(db)
        assert "bad.db" in str(err.value) and "\n" not in str(err.value)
        assert current_revision(db) == "0001"
    finally:
        db.dispose()


def test_database_from_a_newer_version_is_one_line(tmp_path) -> None:
    db = _sqlite_at_0001_with_data(tmp_path / "newer.db")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        with pytest.raises(MigrationError, match=r"newer\.db.*9999") as err:
            run_migrations(db)
        assert "\n" not in str(err.value)
    finally:
        db.dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_0005_makes_people_who_worked_in_a_project_its_members(kind: str, tmp_path, request):
    """An existing deployment keeps working for everyone already at work in a project: they
    become members in their own role; who never touched it is not; admins need no membership.
    Every project gets its own side key."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'm5.db'}"
    else:
        request.getfixturevalue("pg_url")
        name = f"rankterm_m5_{secrets.token_hex(4)}"
        pg_admin_execute(f"CREATE DATABASE {name}")
        request.addfinalizer(lambda: pg_admin_execute(f"DROP DATABASE {name} WITH (FORCE)"))
        url = resolve_db_url(pg_database_url(name))
    db = Database(url)
    try:
        run_migrations(db, "0004")
        with db.engine.begin() as conn:
            for pid in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO projects (id, name, overlap, lease_ttl, gold_rate,"
                        " repeat_rate, repeat_gap, conflict_rule, tags, criteria, description,"
                        " created_at) VALUES (:id, :name, 3, 60, 0, 0, 20, 'any_disagreement',"
                        " '[]', '[]', '', 0)"
                    ),
                    {"id": pid, "name": f"p{pid}"},
                )
            for uid, uname, role in [
                (1, "ann", "annotator"),
                (2, "judge", "adjudicator"),
                (3, "idle", "annotator"),
                (4, "root", "admin"),
            ]:
                conn.execute(
                    text(
                        "INSERT INTO users (id, name, role, profile, active, created_at)"
                        " VALUES (:id, :name, :role, '{}', true, 0)"
                    ),
                    {"id": uid, "name": uname, "role": role},
                )
            conn.execute(
                text(
                    "INSERT INTO pairs (seq, project_id, pair_id, data, priority, is_gold,"
                    " created_at) VALUES (1, 1, 'q1', '{}', 0, false, 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO leases (id, project_id, pair_seq, user_id, kind, shown_swapped,"
                    " state, created_at, expires_at) VALUES"
                    " ('00000000-0000-0000-0000-000000000001', 1, 1, 1, 'normal', false,"
                    " 'expired', 0, 1)"
                )
            )
            for jid, uid in (
                (f"00000000-0000-0000-0000-00000000000{c}", u)
                for c, u in zip("ab", (2, 4), strict=True)
            ):
                conn.execute(
                    text(
                        "INSERT INTO judgments (id, project_id, pair_seq, user_id, choice,"
                        " shown_swapped, data, received_at) VALUES (:id, 1, 1, :uid, 'A', false,"
                        " '{}', 0)"
                    ),
                    {"id": jid, "uid": int(uid)},
                )
        run_migrations(db)
        assert current_revision(db) == HEAD
        with db.engine.connect() as conn:
            members = conn.execute(
                text("SELECT project_id, user_id, role FROM project_members ORDER BY user_id")
            ).all()
            keys = conn.execute(text("SELECT side_key FROM projects ORDER BY id")).scalars().all()
            limits = conn.execute(text("SELECT max_leases, lease_max_age FROM projects")).all()
        assert [tuple(m) for m in members] == [(1, 1, "annotator"), (1, 2, "adjudicator")]
        assert len(set(keys)) == 2 and all(len(k) == 64 for k in keys)
        assert {tuple(x) for x in limits} == {(50, 14400)}
    finally:
        db.dispose()
