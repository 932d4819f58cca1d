"""Run the packaged Alembic migrations programmatically (``rankterm admin migrate``, startup)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from rankterm.server.db import Database

#: Key of the PostgreSQL advisory lock that keeps two starting servers from migrating at once.
MIGRATION_LOCK = 0x72616E6B


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "rankterm.server:migrations")
    return config


def run_migrations(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to call from several processes at once."""
    config = alembic_config()
    with db.advisory_lock(MIGRATION_LOCK), db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
