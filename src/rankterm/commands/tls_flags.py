"""The TLS flags of ``rankterm serve`` and ``rankterm web``, declared once.

Both commands listen on a network port under the same rule (:mod:`rankterm.core.listen`), so
they take the same four flags (the host and TLS) with the same help; declaring them here keeps
the two ``--help`` pages from drifting. Not a command group: nothing to register.
"""

from __future__ import annotations

from pathlib import Path

import typer

from rankterm.core.listen import CERTFILE_HELP, INSECURE_HELP, KEYFILE_HELP

HOST: str = typer.Option(
    "127.0.0.1", "--host", help="Interface to listen on (beyond loopback: TLS)."
)
SSL_CERTFILE: Path | None = typer.Option(None, "--ssl-certfile", help=CERTFILE_HELP)
SSL_KEYFILE: Path | None = typer.Option(None, "--ssl-keyfile", help=KEYFILE_HELP)
INSECURE_HTTP: bool = typer.Option(False, "--insecure-http", help=INSECURE_HELP)
