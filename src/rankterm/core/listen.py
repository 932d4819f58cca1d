"""Where a rankterm server may listen: the one TLS rule of ``rankterm serve`` and ``rankterm web``.

Loopback by default; beyond it only with TLS, or with ``--insecure-http`` saying that a proxy in
front encrypts. Tokens and labels cross this connection, so plain HTTP on a network gives them
away. Both commands call :func:`tls_context`, so the rule, the checks on the certificate files
and the wording of every refusal cannot drift apart; only the advice on how to reach a loopback
server differs per command (``remedy``). Standard library only: core imports no other layer.
``ssl`` is imported when a context is built: the CLI imports this module for the flags' help,
and every start of ``rankterm`` should not pay for OpenSSL.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING

from rankterm.core.errors import UsageError

if TYPE_CHECKING:
    import ssl

#: The ``--help`` text of the three flags, shared by the commands' option declarations.
CERTFILE_HELP = "Serve HTTPS with this certificate (PEM)."
KEYFILE_HELP = "The certificate's private key (PEM)."
INSECURE_HELP = "Allow plain HTTP beyond loopback (only behind a proxy that terminates TLS)."


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name or "": it may resolve to anything, so it counts as the network


def tls_context(
    host: str,
    certfile: Path | None,
    keyfile: Path | None,
    insecure: bool,
    *,
    remedy: str = "keep the default --host 127.0.0.1 behind a reverse proxy that terminates TLS",
) -> ssl.SSLContext | None:
    """The server's TLS context, after checking that the files load; None for plain HTTP,
    which is refused beyond loopback unless ``insecure`` says a proxy in front encrypts.

    ``remedy`` is the command's own advice for the refusal (an SSH tunnel for the task server,
    a reverse proxy for the browser front), placed between the TLS flags and --insecure-http.
    """
    if keyfile is not None and certfile is None:
        raise UsageError("--ssl-keyfile needs --ssl-certfile")
    if certfile is None:
        if not is_loopback(host) and not insecure:
            raise UsageError(
                f"refusing to serve plain HTTP on {host or 'every interface'}: tokens and "
                "labels would cross the network unencrypted. Give --ssl-certfile and "
                f"--ssl-keyfile, or {remedy}, or pass --insecure-http if a proxy in front of "
                "this terminates TLS."
            )
        return None
    for flag, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if path is not None and not path.is_file():
            raise UsageError(f"{flag} {path}: no such file")
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(
            f"cannot use {certfile}{f' and {keyfile}' if keyfile else ''} for TLS: "
            f"{getattr(exc, 'reason', None) or exc}"
        ) from None
    return context
