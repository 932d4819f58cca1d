"""``rankterm web``: annotate (and adjudicate) in a browser, one process per signed-in person.

The web libraries (aiohttp, textual-serve) come with the ``web`` extra and are imported inside
the command, so the annotator's terminal install needs neither.
"""

from __future__ import annotations

from pathlib import Path

import typer

from rankterm.commands.tls_flags import HOST, INSECURE_HTTP, SSL_CERTFILE, SSL_KEYFILE
from rankterm.core.errors import RanktermError, UsageError
from rankterm.core.listen import tls_context


def web(
    server: str | None = typer.Option(
        None, "--server", help="Task server URL (default: 'server' in the config)."
    ),
    project: str | None = typer.Option(
        None, "--project", "-p", help="Project annotators work in (default: the config's)."
    ),
    host: str = HOST,
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="TCP port."),
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help="Where each person's journal is kept, in a private folder of their own "
        "(default: <rankterm data dir>/web).",
    ),
    max_sessions: int = typer.Option(
        20, "--max-sessions", min=1, max=1000, help="Most annotators working at once."
    ),
    idle_minutes: float = typer.Option(
        30.0,
        "--idle-minutes",
        min=0.05,
        help="End a session after this long without a key (everything is saved; opening "
        "the page again resumes).",
    ),
    ssl_certfile: Path | None = SSL_CERTFILE,
    ssl_keyfile: Path | None = SSL_KEYFILE,
    insecure_http: bool = INSECURE_HTTP,
) -> None:
    """Serve the annotation TUI to browsers: each person signs in with their task-server
    token and gets their own process, journal and leases. Ctrl-C stops it (every session
    saves and quits).

    Listens on 127.0.0.1 unless told otherwise; beyond loopback it needs TLS
    (--ssl-certfile/--ssl-keyfile) or --insecure-http behind a TLS proxy.
    """
    from rankterm.config import load_settings

    settings = load_settings({"server": server, "project": project})
    if not settings.server:
        raise UsageError("rankterm web needs --server URL (the task server annotators use)")
    if not settings.project:
        raise UsageError("rankterm web needs --project NAME")
    try:
        from rankterm.web.run import run
    except ImportError as exc:
        raise RanktermError(
            f"rankterm web needs the 'web' extra ({exc.name} is missing): "
            "pip install 'rankterm[web]'"
        ) from None
    context = tls_context(host, ssl_certfile, ssl_keyfile, insecure_http)  # same rule as serve
    run(
        server=settings.server.rstrip("/"),
        project=settings.project,
        host=host,
        port=port,
        data_dir=data_dir,
        max_sessions=max_sessions,
        idle_seconds=idle_minutes * 60,
        ssl_context=context,
        behind_tls_proxy=insecure_http,
    )


def register(app: typer.Typer) -> None:
    app.command("web")(web)
