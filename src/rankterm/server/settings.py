"""Server settings and database URL handling, kept free of FastAPI so the CLI can use them."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field

from rankterm.core.errors import UsageError

APP_NAME = "rankterm"
DEFAULT_MAX_BODY = 32 * 1024 * 1024


def default_db_path() -> Path:
    """Where ``rankterm serve`` keeps its SQLite file when no database is named."""
    return platformdirs.user_data_path(APP_NAME) / "server.db"


def resolve_db_url(value: str | None) -> str:
    """Turn what a person typed (URL, path, nothing, or $RANKTERM_DB) into a SQLAlchemy URL.

    ``postgresql://`` and ``postgres://`` are mapped to the psycopg 3 driver, which is the one
    the ``server`` extra installs; a bare path means a SQLite file.
    """
    value = value or os.environ.get("RANKTERM_DB") or ""
    if not value:
        from rankterm.storage.private_files import create_private, private_dir

        path = default_db_path()
        # Verdicts and pair text: 0600 in a 0700 folder (SQLite gives its -wal/-shm the same).
        private_dir(path.parent, owned=platformdirs.user_data_path(APP_NAME))
        create_private(path)
        return f"sqlite:///{path}"
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    if value.startswith("postgresql+"):
        raise UsageError(f"unsupported PostgreSQL driver in {value.split('://')[0]!r}; use psycopg")
    if value.startswith("sqlite:"):
        return value
    if "://" in value:
        scheme = value.split("://", 1)[0]
        raise UsageError(f"unsupported database {scheme!r}: use a SQLite path or postgresql://")
    path = Path(value).expanduser()
    if path.is_dir():
        raise UsageError(f"{value} is a directory; give a database file name")
    if not path.parent.exists():
        raise UsageError(f"directory {path.parent} does not exist")
    return f"sqlite:///{path.resolve()}"


def redact_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


class ServerSettings(BaseModel):
    """What one server process needs; the app factory takes this and nothing global."""

    db_url: str
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY, ge=1024)
    #: Run Alembic migrations when the app starts (the CLI runs them before forking workers).
    migrate: bool = True
    #: Most pairs one lease request may take, and most judgments one batch may carry.
    max_lease: int = Field(default=500, ge=1)
    max_batch: int = Field(default=10_000, ge=1)
    #: Most JSON values (bytes ``{ [ , :``) one request body may hold; counted before parsing,
    #: so that parsing a body costs bounded memory (see server/bodies.py). 64 per item of the
    #: largest batch: a full judgment record has about 45.
    max_json_values: int = Field(default=640_000, ge=1000)
    #: Worker threads for blocking endpoints (each may hold a database connection).
    threads: int = Field(default=24, ge=2, le=200)
    pool_size: int = Field(default=8, ge=1)
    max_overflow: int = Field(default=12, ge=0)
