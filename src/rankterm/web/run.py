"""Start the front: resolve the data folder, build the registry and serve until Ctrl-C."""

from __future__ import annotations

import logging
import ssl
import sys
from functools import partial
from pathlib import Path

from aiohttp import web

from rankterm.storage.private_files import private_dir
from rankterm.web.child import child_spec
from rankterm.web.front import FrontConfig, make_app
from rankterm.web.registry import Registry


def default_data_dir() -> Path:
    import platformdirs

    home = platformdirs.user_data_path("rankterm")
    return private_dir(home / "web", owned=home)


def run(
    *,
    server: str,
    project: str,
    host: str,
    port: int,
    data_dir: Path | None,
    max_sessions: int,
    idle_seconds: float,
    ssl_context: ssl.SSLContext | None,
    behind_tls_proxy: bool,
) -> None:
    logging.basicConfig(level=logging.INFO, format="rankterm web: %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per sign-in check is noise
    folder = private_dir(data_dir) if data_dir is not None else default_data_dir()
    make_spec = partial(_spec, folder, server, project)
    registry = Registry(make_spec, cap=max_sessions, idle_seconds=idle_seconds)
    config = FrontConfig(
        server=server,
        project=project,
        idle_seconds=idle_seconds,
        https=ssl_context is not None or behind_tls_proxy,
    )
    scheme = "https" if ssl_context is not None else "http"
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(
        f"rankterm web on {scheme}://{shown}:{port} for project {project} "
        f"(at most {max_sessions} sessions, idle ones end after {idle_seconds / 60:g} min; "
        f"journals under {folder})\n"
    )
    sys.stderr.flush()
    web.run_app(
        make_app(config, registry),
        host=host,
        port=port,
        ssl_context=ssl_context,
        print=None,
        access_log=None,
        shutdown_timeout=15,
    )


def _spec(folder: Path, server: str, project: str, person, token, mode, width, height):
    return child_spec(
        folder,
        person,
        token,
        server=server,
        project=project,
        mode=mode,
        width=width,
        height=height,
    )
