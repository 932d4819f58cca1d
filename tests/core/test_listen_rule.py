"""``rankterm serve`` and ``rankterm web`` listen under one TLS rule, with one set of flags.

The rule was written twice (commands/server.py and web/listen.py) and the two copies had already
drifted in wording; both commands now call :func:`rankterm.core.listen.tls_context`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from rankterm.commands import server as server_cmd
from rankterm.commands import web as web_cmd
from rankterm.core.errors import UsageError

FLAGS = ("--host", "--ssl-certfile", "--ssl-keyfile", "--insecure-http")


def _refusal(command: str, tmp_path: Path, **tls) -> str:
    """The UsageError text the command gives for these TLS arguments, called directly."""
    args = {"host": "0.0.0.0", "ssl_certfile": None, "ssl_keyfile": None, "insecure_http": False}
    args |= tls
    with pytest.raises(UsageError) as caught:
        if command == "serve":
            server_cmd.serve(
                db=str(tmp_path / "never.db"),
                port=8765,
                workers=1,
                max_body_mb=32,
                log_level="info",
                **args,
            )
        else:
            web_cmd.web(
                server="http://127.0.0.1:9",
                project="p",
                port=8080,
                data_dir=tmp_path / "web",
                max_sessions=2,
                idle_minutes=1.0,
                **args,
            )
    return str(caught.value)


def _without_remedy(message: str) -> str:
    """The refusal with the command's own advice (between the TLS flags and --insecure-http)
    cut out: everything else is the shared rule's wording."""
    return re.sub(r"--ssl-keyfile, or .*, or pass --insecure-http", "<remedy>", message)


@pytest.mark.parametrize(
    "tls",
    [
        {},
        {"host": ""},
        {"host": "127.0.0.1", "ssl_keyfile": Path("key.pem")},
        {"ssl_certfile": Path("/nonexistent/cert.pem")},
    ],
    ids=["network", "every-interface", "key-without-cert", "missing-cert"],
)
def test_serve_and_web_refuse_in_the_same_words(tmp_path: Path, tls: dict) -> None:
    pytest.importorskip("aiohttp")  # rankterm web needs its extra before it checks anything
    serve_says = _refusal("serve", tmp_path, **tls)
    web_says = _refusal("web", tmp_path, **tls)
    assert _without_remedy(serve_says) == _without_remedy(web_says)
    assert not (tmp_path / "never.db").exists(), "refused before touching the database"


def test_each_command_keeps_its_own_advice(tmp_path: Path) -> None:
    pytest.importorskip("aiohttp")
    assert "SSH tunnel" in _refusal("serve", tmp_path)
    assert "reverse proxy" in _refusal("web", tmp_path)


def test_the_listening_flags_are_declared_once() -> None:
    def flags(function) -> dict[str, tuple]:
        app = typer.Typer()
        app.command()(function)
        command = typer.main.get_command(app)
        return {
            opt: (param.default, param.help)
            for param in command.params
            for opt in param.opts
            if opt in FLAGS
        }

    serve_flags, web_flags = flags(server_cmd.serve), flags(web_cmd.web)
    assert set(serve_flags) == set(FLAGS)
    assert serve_flags == web_flags
