"""Run the packaged Alembic migrations programmatically (``rankterm admin migrate``, startup).

Alembic is imported only when a migration has to run: a server whose schema is current never
loads it, which keeps the serving process small.

On SQLite, Alembic's batch mode rebuilds a table (create a copy, move the rows, drop the old
one, rename). With foreign keys enforced, dropping a table that other rows point at fails
("FOREIGN KEY constraint failed"), and ``PRAGMA foreign_keys`` cannot change inside a
transaction. So the migration connection turns enforcement off *before* its transaction,
checks every reference with ``PRAGMA foreign_key_check`` before committing, and turns it back
on. Any failure becomes a :class:`MigrationError`: one line naming the database and the
revision, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError, ProgrammingError

from rankterm.core.errors import RanktermError
from rankterm.server.db import Database

#: Key of the PostgreSQL advisory lock that keeps two starting servers from migrating at once.
MIGRATION_LOCK = 0x72616E6B
#: The newest revision in migrations/versions (a test checks it against Alembic's head).
HEAD = "0011"


class MigrationError(RanktermError):
    """A schema migration failed; the database was left at its previous revision."""


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "rankterm.server:migrations")
    return config


def current_revision(db: Database) -> str | None:
    try:
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError) as exc:
        if "alembic_version" in str(exc):
            return None
        raise


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0]}" if lines else type(orig).__name__


def _pending(config: Any, start: str | None, target: str) -> list[str]:
    """Revisions an upgrade from ``start`` to ``target`` applies, oldest first."""
    from alembic.script import ScriptDirectory

    try:
        script = ScriptDirectory.from_config(config)
        steps = script.iterate_revisions(target, start)
        return [rev.revision for rev in reversed(list(steps))]
    except Exception:  # only used to name the failing revision in a message
        return []


def _set_sqlite_foreign_keys(conn: Any, on: bool) -> None:
    # At the DBAPI level: a statement through SQLAlchemy would begin a transaction first,
    # and inside a transaction SQLite ignores this pragma.
    conn.connection.dbapi_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_migrations(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to call from several processes at once.

    Raises :class:`MigrationError` (one line: database, revision, reason) on any failure.
    """
    from rankterm.server.settings import redact_url

    if revision == "head" and current_revision(db) == HEAD:
        return
    where = redact_url(db.url)
    try:
        from alembic import command
    except ImportError as exc:  # pragma: no cover - alembic is in the server extra
        raise MigrationError(f"cannot migrate database {where}: {exc}") from None

    config = alembic_config()
    applied: list[str] = []
    config.attributes["applied"] = applied
    start: str | None = None
    try:
        with db.advisory_lock(MIGRATION_LOCK), db.engine.connect() as conn:
            if db.is_sqlite:
                _set_sqlite_foreign_keys(conn, False)
            try:
                conn.execution_options(rankterm_write=True)  # BEGIN IMMEDIATE on SQLite
                with conn.begin():
                    start = conn.execute(_version_query(conn)).scalar()
                    before = _foreign_key_problems(conn) if db.is_sqlite else set()
                    config.attributes["connection"] = conn
                    command.upgrade(config, revision)
                    if db.is_sqlite:
                        # Only what the migration broke: old damage must not block upgrades.
                        broken = _foreign_key_problems(conn) - before
                        if broken:
                            tables = sorted({row[0] for row in broken})
                            raise MigrationError(
                                f"{len(broken)} rows would break foreign keys "
                                f"(in {', '.join(tables)})"
                            )
            finally:
                if db.is_sqlite:
                    _set_sqlite_foreign_keys(conn, True)
    except Exception as exc:
        pending = [r for r in _pending(config, start, revision) if r not in applied]
        failed = pending[0] if pending else revision
        at = start or "an empty schema"
        raise MigrationError(
            f"cannot migrate database {where} to revision {failed} (it stays at {at}): "
            f"{_first_line(exc)}"
        ) from None


def _foreign_key_problems(conn: Any) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in conn.exec_driver_sql("PRAGMA foreign_key_check").all()}


def _version_query(conn: Any) -> Any:
    from sqlalchemy import inspect

    if not inspect(conn).has_table("alembic_version"):
        return text("SELECT NULL")
    return text("SELECT version_num FROM alembic_version")


def migrate_in_child(db: Database) -> None:
    """Migrate in a separate process (so this one never imports Alembic) when needed."""
    if current_revision(db) == HEAD:
        return
    env = {**os.environ, "RANKTERM_DB": db.url}
    done = subprocess.run(
        [sys.executable, "-m", "rankterm", "admin", "migrate"], env=env, capture_output=True
    )
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        text_ = message[-1] if message else "database migration failed"
        raise MigrationError(text_.removeprefix("rankterm: "))
