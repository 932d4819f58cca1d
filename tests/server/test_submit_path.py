"""The app picks how judgments are taken in, once, and ingest never picks it itself.

ingest knows only its own Core path; PostgreSQL's pipelined one (pg_submit) builds on ingest
and is handed in by the app, so the two modules no longer import each other and a SQLite server
never loads psycopg.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from rankterm.server import ingest, pg_submit
from rankterm.server.app import submit_path_for
from tests.server.conftest import Backend


def test_each_database_gets_its_submit_path(backend: Backend) -> None:
    path = submit_path_for(backend.db)
    if backend.name == "sqlite":
        assert path is ingest.CORE
    else:
        pipelined = pg_submit._ENABLED and psycopg.Pipeline.is_supported()
        assert path is (pg_submit.PIPELINED if pipelined else ingest.CORE)


def test_a_sqlite_server_never_loads_psycopg(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    script = f"""
import sys
from rankterm.server import ingest
assert "rankterm.server.pg_submit" not in sys.modules, "ingest imported pg_submit"
from rankterm.server.app import create_app
from rankterm.server.settings import ServerSettings
app = create_app(ServerSettings(db_url={url!r}, migrate=False))
assert app.state.submit_path is ingest.CORE
print(sorted(m for m in sys.modules if m.split(".")[0] == "psycopg" or m.endswith("pg_submit")))
"""
    env = {k: v for k, v in os.environ.items() if k != "RANKTERM_PG_PIPELINE"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
