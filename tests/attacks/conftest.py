"""The attack tests play against the same real server processes as tests/server (one per
backend per session): their fixtures, re-exported here."""

from tests.server.conftest import backend, pg_backend, pg_url, server, sqlite_backend

__all__ = ["backend", "pg_backend", "pg_url", "server", "sqlite_backend"]
