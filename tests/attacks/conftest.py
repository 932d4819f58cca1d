"""The task-server fixtures of tests/server (real ``rankterm serve`` on SQLite and PostgreSQL)."""

from tests.server.conftest import backend, pg_backend, pg_url, server, sqlite_backend  # noqa: F401
