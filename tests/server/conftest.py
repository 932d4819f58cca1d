"""Real task servers for the tests: ``python -m rankterm serve`` subprocesses on free ports.

One server per backend per session (starting one takes seconds on a small machine); tests
isolate themselves with their own project and users. PostgreSQL runs only when
``RANKTERM_TEST_PG`` holds a URL; each session creates a fresh database and drops it.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from rankterm.core.model import Judgment, Pair

PG_URL = os.environ.get("RANKTERM_TEST_PG", "")
READY_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RANKTERM_")}
    env.update(extra)
    return env


class ServerProcess:
    """A ``rankterm serve`` child process and its log file."""

    def __init__(self, db_url: str, log_path: Path, *, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("ab")
        args = [sys.executable, "-m", "rankterm", "serve", "--db", db_url]
        args += ["--port", str(self.port), "--workers", str(workers), "--log-level", "info"]
        self.proc = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, env=server_env()
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def pg_admin_execute(sql: str) -> None:
    """Run CREATE/DROP DATABASE on the given server; if the URL's own database does not exist
    (e.g. .../test on a fresh cluster), go through the ``postgres`` maintenance database."""
    import psycopg

    try:
        conn = psycopg.connect(PG_URL, autocommit=True)
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
        conn = psycopg.connect(pg_database_url("postgres"), autocommit=True)
    with conn:
        conn.execute(sql)


def pg_database_url(name: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, dropped at the end."""
    if not PG_URL:
        pytest.skip("RANKTERM_TEST_PG is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    name = f"rankterm_t_{secrets.token_hex(4)}"
    pg_admin_execute(f"CREATE DATABASE {name}")
    try:
        yield pg_database_url(name)
    finally:
        pg_admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@dataclass
class Backend:
    """A running server plus direct database access for setting up users and projects."""

    name: str
    db_url: str
    server: ServerProcess
    db: Any
    _count: Any = field(default_factory=lambda: itertools.count(1))
    #: Projects this backend made, in order: a new user joins them unless told otherwise.
    projects: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self._count)}_{secrets.token_hex(3)}"

    def user(
        self,
        role: str = "annotator",
        name: str | None = None,
        *,
        member_of: list[str] | tuple[str, ...] | None = None,
    ) -> tuple[str, str]:
        """A new user and token; a member (in their role) of ``member_of``, by default of every
        project this backend made so far, as a team lead would add a new colleague."""
        from rankterm.server import users

        name = name or self.unique(role[:3])
        joins = list(self.projects if member_of is None else member_of)

        def work(conn: Any) -> str:
            users.add_user(conn, name, role, {"region": "test"})
            for project in joins:
                add_member(conn, project, name)
            return users.create_token(conn, name)

        return name, self.db.write(work)

    def add_member(self, project: str, name: str, role: str | None = None) -> None:
        self.db.write(lambda conn: add_member(conn, project, name, role))

    def project(self, n_pairs: int = 0, gold: int = 0, **settings: Any) -> str:
        from rankterm.server import projects
        from rankterm.server.schemas import ProjectCreate

        name = self.unique("proj")
        spec = ProjectCreate(name=name, **settings)
        self.db.write(lambda conn: projects.create_project(conn, spec))
        self.projects.append(name)
        if n_pairs or gold:
            self.add_pairs(name, make_pairs(n_pairs, gold=gold))
        return name

    def add_pairs(self, project: str, pairs: list[Pair]) -> None:
        from rankterm.server import projects
        from rankterm.server.core import get_project

        def work(conn: Any) -> None:
            projects.import_pairs(conn, get_project(conn, project), list(enumerate(pairs)))

        self.db.write(work)
        self.db.refresh_statistics("pairs", len(pairs))  # as the import endpoint and CLI do


def add_member(conn: Any, project: str, name: str, role: str | None = None) -> None:
    """Make user ``name`` a member of ``project`` (in their own role unless ``role``)."""
    from rankterm.server import members
    from rankterm.server.core import get_project, get_user

    members.add_member(conn, get_project(conn, project), get_user(conn, name), role)


def make_pairs(n: int, gold: int = 0, prefix: str = "p") -> list[Pair]:
    pairs = [
        Pair(id=f"{prefix}{i:05d}", prompt=f"question {i}", response_a=f"a{i}", response_b=f"b{i}")
        for i in range(n)
    ]
    pairs += [
        Pair(id=f"gold{i:03d}", prompt=f"gold {i}", response_a="x", response_b="y", gold="A")
        for i in range(gold)
    ]
    return pairs


def judgment(pair_id: str, annotator: str, choice: str = "A", **extra: Any) -> Judgment:
    strength = extra.pop("strength", 2 if choice in ("A", "B") else None)
    return Judgment(
        id=extra.pop("id", uuid.uuid4()),
        pair_id=pair_id,
        annotator=annotator,
        choice=choice,
        strength=strength,
        **extra,
    )


def _start(name: str, db_url: str, tmp: Path) -> Iterator[Backend]:
    from rankterm.server.db import Database
    from rankterm.server.migrate import run_migrations
    from rankterm.server.settings import resolve_db_url

    url = resolve_db_url(db_url)
    db = Database(url)
    run_migrations(db)
    server = ServerProcess(db_url, tmp / f"server-{name}.log")
    try:
        yield Backend(name, url, server, db)
    finally:
        server.stop()
        db.dispose()


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    tmp = tmp_path_factory.mktemp("sqlite")
    yield from _start("sqlite", str(tmp / "server.db"), tmp)


@pytest.fixture(scope="session")
def pg_backend(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from _start("pg", pg_url, tmp_path_factory.mktemp("pg"))


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each test using this runs on SQLite and, with RANKTERM_TEST_PG, on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_backend")


@pytest.fixture
def server(sqlite_backend: Backend) -> Backend:
    """SQLite only, for tests whose subject is not the database."""
    return sqlite_backend
