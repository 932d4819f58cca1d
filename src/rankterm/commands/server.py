"""``rankterm serve``: run the task server, and open its database for the admin commands.

Server libraries are imported inside the functions: the annotator's install does not have them.

Exit codes: 0 ok, 1 failure, 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

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


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name or "": it may resolve to anything, so it counts as the network


def _tls(host: str, certfile: Path | None, keyfile: Path | None, insecure: bool) -> dict[str, str]:
    """uvicorn's TLS arguments, after checking that the files load; refuse plain HTTP beyond
    loopback unless ``--insecure-http`` says someone else encrypts (see README)."""
    import ssl

    if keyfile is not None and certfile is None:
        raise UsageError("--ssl-keyfile needs --ssl-certfile")
    if certfile is None:
        if not _is_loopback(host) and not insecure:
            raise UsageError(
                f"refusing to serve plain HTTP on {host or 'every interface'}: tokens and "
                "labels would cross the network unencrypted. Give --ssl-certfile and "
                "--ssl-keyfile, or keep the default --host 127.0.0.1 and let annotators reach "
                "it through an SSH tunnel, or pass --insecure-http if a proxy in front of this "
                "terminates TLS."
            )
        return {}
    for flag, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if path is not None and not path.is_file():
            raise UsageError(f"{flag} {path}: no such file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(
            f"cannot use {certfile}{f' and {keyfile}' if keyfile else ''} for TLS: "
            f"{getattr(exc, 'reason', None) or exc}"
        ) from None
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
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Interface to listen on (beyond loopback: TLS)."
    ),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Server processes."),
    max_body_mb: int = typer.Option(32, "--max-body-mb", min=1, help="Request size limit."),
    log_level: str = typer.Option("info", "--log-level", help="debug|info|warning|error"),
    ssl_certfile: Path | None = typer.Option(
        None, "--ssl-certfile", help="Serve HTTPS with this certificate (PEM)."
    ),
    ssl_keyfile: Path | None = typer.Option(
        None, "--ssl-keyfile", help="The certificate's private key (PEM)."
    ),
    insecure_http: bool = typer.Option(
        False,
        "--insecure-http",
        help="Allow plain HTTP beyond loopback (only behind a proxy that terminates TLS).",
    ),
) -> None:
    """Run the task server (migrates the database first). Ctrl-C stops it.

    Beyond 127.0.0.1 it needs TLS (--ssl-certfile/--ssl-keyfile) or --insecure-http.
    """
    tls = _tls(host, ssl_certfile, ssl_keyfile, insecure_http)
    _serve(db, host, port, workers, max_body_mb, log_level, tls)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("serve")(serve)
