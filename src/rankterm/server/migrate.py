"""Run the packaged Alembic migrations programmatically (``rankterm admin migrate``, startup).

Alembic is imported only when a migration has to run: a server whose schema is current never
loads it, which keeps the serving process small.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError, ProgrammingError

from rankterm.server.db import Database

#: Key of the PostgreSQL advisory lock that keeps two starting servers from migrating at once.
MIGRATION_LOCK = 0x72616E6B
#: The newest revision in migrations/versions (a test checks it against Alembic's head).
HEAD = "0002"


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


def run_migrations(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to call from several processes at once."""
    if revision == "head" and current_revision(db) == HEAD:
        return
    from alembic import command

    config = alembic_config()
    with db.advisory_lock(MIGRATION_LOCK), db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def migrate_in_child(db: Database) -> None:
    """Migrate in a separate process (so this one never imports Alembic) when needed."""
    if current_revision(db) == HEAD:
        return
    env = {**os.environ, "RANKTERM_DB": db.url}
    done = subprocess.run(
        [sys.executable, "-m", "rankterm", "admin", "migrate"], env=env, capture_output=True
    )
    if done.returncode != 0:
        from rankterm.errors import RanktermError

        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise RanktermError(message[-1] if message else "database migration failed")
