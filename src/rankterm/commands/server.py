"""``rankterm serve``: run the task server, and open its database for the admin commands.

Server libraries are imported inside the functions: the annotator's install does not have them.

Exit codes: 0 ok, 1 failure, 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rankterm.commands.tls_flags import HOST, INSECURE_HTTP, SSL_CERTFILE, SSL_KEYFILE
from rankterm.core.errors import RanktermError, UsageError

DB_HELP = "Database URL or SQLite path (default: $RANKTERM_DB, else the local SQLite file)."


def open_db(db: str | None, *, migrate: bool = True, in_child: bool = False) -> Any:
    """A Database with its schema up to date, or a readable error."""
    try:
        from sqlalchemy.exc import OperationalError

        from rankterm.server.db import Database
        from rankterm.server.migrate import migrate_in_child, run_migrations
        from rankterm.server.settings import redact_url, resolve_db_url
    except ImportError as exc:
        raise RanktermError(
            f"the task server needs the 'server' extra ({exc.name} is missing): "
            "pip install 'rankterm[server]'"
        ) from None
    url = resolve_db_url(db)
    database = Database(url)
    if migrate:
        try:
            (migrate_in_child if in_child else run_migrations)(database)
        except OperationalError as exc:
            database.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "connection failed"
            raise RanktermError(f"cannot use database {redact_url(url)}: {reason}") from None
    return database


def _tls(host: str, certfile: Path | None, keyfile: Path | None, insecure: bool) -> dict[str, str]:
    """uvicorn's TLS arguments (file names: several workers each load them), after the shared
    rule of :func:`rankterm.core.listen.tls_context` has checked the host and the files."""
    from rankterm.core.listen import tls_context

    remedy = "keep the default --host 127.0.0.1 and let annotators reach it through an SSH tunnel"
    if tls_context(host, certfile, keyfile, insecure, remedy=remedy) is None:
        return {}
    tls = {"ssl_certfile": str(certfile)}
    if keyfile is not None:
        tls["ssl_keyfile"] = str(keyfile)
    return tls


def _serve(
    db: str | None,
    host: str,
    port: int,
    workers: int,
    max_body_mb: int,
    log: str,
    tls: dict[str, str],
) -> None:
    import os

    import uvicorn

    from rankterm.server.app import create_app
    from rankterm.server.settings import ServerSettings, redact_url

    if log not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise UsageError(f"--log-level must be debug, info, warning or error, not {log!r}")
    database = open_db(db, in_child=True)
    url = database.url
    database.dispose()
    settings = ServerSettings(db_url=url, migrate=False, max_body_bytes=max_body_mb * 1024 * 1024)
    if workers > 1 and url.startswith("sqlite") and ":memory:" in url:
        raise UsageError("several workers need a database file, not :memory:")
    scheme = "https" if tls else "http"
    typer.echo(
        f"rankterm task server on {scheme}://{host}:{port} (database {redact_url(url)})", err=True
    )
    common = {"host": host, "port": port, "log_level": log, "server_header": False, **tls}
    if workers > 1:
        os.environ["RANKTERM_SERVER_SETTINGS"] = settings.model_dump_json()
        uvicorn.run("rankterm.server.app:app_from_env", factory=True, workers=workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)


def serve(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    host: str = HOST,
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Server processes."),
    max_body_mb: int = typer.Option(32, "--max-body-mb", min=1, help="Request size limit."),
    log_level: str = typer.Option("info", "--log-level", help="debug|info|warning|error"),
    ssl_certfile: Path | None = SSL_CERTFILE,
    ssl_keyfile: Path | None = SSL_KEYFILE,
    insecure_http: bool = INSECURE_HTTP,
) -> None:
    """Run the task server (migrates the database first). Ctrl-C stops it.

    Beyond 127.0.0.1 it needs TLS (--ssl-certfile/--ssl-keyfile) or --insecure-http.
    """
    tls = _tls(host, ssl_certfile, ssl_keyfile, insecure_http)
    _serve(db, host, port, workers, max_body_mb, log_level, tls)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("serve")(serve)
