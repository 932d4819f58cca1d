"""Where ``rankterm web`` may listen: loopback by default, beyond it only with TLS (or behind
a TLS proxy, said explicitly with ``--insecure-http``). The same rule, flags and wording as
``rankterm serve``: tokens are typed into this page, so plain HTTP on a network gives them
away."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from rankterm.core.errors import UsageError


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name or "": it may resolve to anything, so it counts as the network


def tls_context(
    host: str, certfile: Path | None, keyfile: Path | None, insecure: bool
) -> ssl.SSLContext | None:
    """The server's TLS context, after checking the files load; None for plain HTTP, which is
    refused beyond loopback unless ``insecure`` says a proxy in front encrypts."""
    if keyfile is not None and certfile is None:
        raise UsageError("--ssl-keyfile needs --ssl-certfile")
    if certfile is None:
        if not is_loopback(host) and not insecure:
            raise UsageError(
                f"refusing to serve plain HTTP on {host or 'every interface'}: annotators' "
                "tokens and labels would cross the network unencrypted. Give --ssl-certfile "
                "and --ssl-keyfile, or keep the default --host 127.0.0.1 behind a reverse proxy "
                "that terminates TLS (README: rankterm web), or pass --insecure-http if a "
                "proxy on another host does."
            )
        return None
    for flag, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if path is not None and not path.is_file():
            raise UsageError(f"{flag} {path}: no such file")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(
            f"cannot use {certfile}{f' and {keyfile}' if keyfile else ''} for TLS: "
            f"{getattr(exc, 'reason', None) or exc}"
        ) from None
    return context
