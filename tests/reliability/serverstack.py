"""A task server that a test may SIGKILL and restart on the same port and database.

tests/server's backends are session-wide and stopped politely; crash tests need their own:
a fresh SQLite file or PostgreSQL database (``RANKTERM_TEST_PG``) per test, direct database
access for setup and for checking invariants, and ``rankterm serve`` as a child process that
dies with SIGKILL, no shutdown hook run.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rankterm.core.model import Pair
from tests.server.conftest import PG_URL, pg_admin_execute, pg_database_url
from tests.serverproc import ServerProcess

#: Server start-up on a loaded 2-core machine can take tens of seconds.
START_TIMEOUT = 240.0


@dataclass
class Stack:
    db_url: str
    db: Any
    server: ServerProcess
    log: Path
    #: Projects made here, in order: a new user joins them unless told otherwise.
    projects: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def crash(self) -> None:
        """SIGKILL the server: no lifespan shutdown, no connection draining."""
        self.server.kill()

    def restart(self) -> None:
        self.server = ServerProcess(self.db_url, port=self.server.port, log=self.log)
        self.server.start(timeout=START_TIMEOUT)

    def user(self, name: str, role: str = "annotator", member_of: list[str] | None = None) -> str:
        """A new user's token; a member of ``member_of``, by default of every project so far."""
        from rankterm.server import users
        from tests.server.conftest import add_member

        joins = list(self.projects if member_of is None else member_of)

        def work(conn: Any) -> str:
            users.add_user(conn, name, role, {"region": "test"})
            for project in joins:
                add_member(conn, project, name)
            return users.create_token(conn, name)

        return self.db.write(work)

    def project(self, name: str, pairs: list[Pair], **settings: Any) -> str:
        from rankterm.server import projects
        from rankterm.server.core import get_project
        from rankterm.server.schemas import ProjectCreate

        def work(conn: Any) -> None:
            projects.create_project(conn, ProjectCreate(name=name, **settings))
            projects.import_pairs(conn, get_project(conn, name), list(enumerate(pairs)))

        self.db.write(work)
        self.projects.append(name)
        self.db.refresh_statistics("pairs", len(pairs))  # as the import endpoint and CLI do
        return name


@contextlib.contextmanager
def stack(kind: str, tmp_path: Path) -> Iterator[Stack]:
    """``kind`` is "sqlite" or "pg" (skipped without RANKTERM_TEST_PG)."""
    from rankterm.server.db import Database
    from rankterm.server.migrate import run_migrations
    from rankterm.server.settings import resolve_db_url

    dropped: str | None = None
    if kind == "pg":
        if not PG_URL:
            pytest.skip("RANKTERM_TEST_PG is not set (e.g. postgresql://postgres@127.0.0.1/test)")
        dropped = f"rankterm_rel_{secrets.token_hex(4)}"
        pg_admin_execute(f"CREATE DATABASE {dropped}")
        db_url = pg_database_url(dropped)
    else:
        db_url = str(tmp_path / "server.db")
    db = Database(resolve_db_url(db_url))
    server = None
    try:
        run_migrations(db)
        log = tmp_path / f"server-{kind}.log"
        server = ServerProcess(db_url, log=log).start(timeout=START_TIMEOUT)
        the_stack = Stack(db_url, db, server, log)
        yield the_stack
    finally:
        if server is not None:
            with contextlib.suppress(Exception):
                the_stack.server.stop()
        db.dispose()
        if dropped:
            pg_admin_execute(f"DROP DATABASE IF EXISTS {dropped} WITH (FORCE)")


def make_pairs(n: int, prefix: str = "p") -> list[Pair]:
    return [
        Pair(id=f"{prefix}{i:05d}", prompt=f"question {i}", response_a=f"a{i}", response_b=f"b{i}")
        for i in range(n)
    ]
