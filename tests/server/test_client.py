"""Client behaviour: retries (5xx, 429, connection errors), no retry on 4xx, readable errors
that never contain the token. A real local HTTP server plays the failing task server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rankterm.sources.client import (
    AuthError,
    NotFoundError,
    PermissionDenied,
    RequestRejected,
    RetryPolicy,
    ServerUnavailable,
    TaskClient,
)
from tests.server.conftest import Backend, free_port

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)
SECRET = "rt_supersecrettokenvalue0123456789"


class Scripted(ThreadingHTTPServer):
    """Answers each request with the next (status, body) of a script; counts requests."""

    def __init__(self, script: list[tuple[int, bytes]]) -> None:
        self.script = list(script)
        self.hits = 0
        self.auth_headers: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                server.hits += 1
                server.auth_headers.append(self.headers.get("authorization", ""))
                status, body = server.script.pop(0) if server.script else (200, b"{}")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def scripted():
    servers: list[Scripted] = []

    def make(*script: tuple[int, bytes]) -> Scripted:
        servers.append(Scripted(list(script)))
        return servers[-1]

    yield make
    for s in servers:
        s.shutdown()
        s.server_close()


OK = (200, b'{"annotator": "a", "judged": 1}')


def test_5xx_and_429_are_retried(scripted) -> None:
    server = scripted((503, b'{"detail": "busy"}'), (500, b"oops"), (429, b"{}"), OK)
    with TaskClient(server.url, "p", SECRET, retry=FAST) as c:
        assert c.progress()["judged"] == 1
    assert server.hits == 4
    assert set(server.auth_headers) == {f"Bearer {SECRET}"}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, RequestRejected),
        (401, AuthError),
        (403, PermissionDenied),
        (404, NotFoundError),
        (409, RequestRejected),
        (413, RequestRejected),
        (422, RequestRejected),
    ],
)
def test_4xx_is_never_retried(scripted, status: int, error: type) -> None:
    server = scripted((status, b'{"error": "x", "detail": "n: bad value"}'), OK)
    with TaskClient(server.url, "p", SECRET, retry=FAST) as c, pytest.raises(error) as caught:
        c.progress()
    assert server.hits == 1
    message = str(caught.value)
    assert "n: bad value" in message and server.url in message and f"HTTP {status}" in message
    assert SECRET not in message and SECRET not in repr(c)


def test_persistent_5xx_gives_up_readably(scripted) -> None:
    server = scripted(*[(502, b"<html>bad gateway</html>")] * 10)
    with TaskClient(server.url, "p", SECRET, retry=FAST) as c, pytest.raises(ServerUnavailable):
        c.progress()
    assert server.hits == FAST.attempts


def test_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with TaskClient(url, "p", SECRET, retry=FAST) as c, pytest.raises(ServerUnavailable) as caught:
        c.lease(1)
    assert "unreachable" in str(caught.value) and SECRET not in str(caught.value)


def test_one_client_retries_then_maps_the_next_calls_error(scripted) -> None:
    server = scripted((503, b"{}"), OK, (404, b'{"detail": "no project named \'p\'"}'))
    with TaskClient(server.url, "p", SECRET, retry=FAST) as c:
        assert c.progress()["judged"] == 1
        with pytest.raises(NotFoundError, match="no project named"):
            c.progress()
    assert server.hits == 3


def test_against_the_real_server(server: Backend) -> None:
    project = server.project(n_pairs=2, overlap=1, guidelines="# G")
    name, token = server.user("adjudicator")
    with TaskClient(server.url, project, token) as c:
        assert c.me()["name"] == name
        info = c.project_info()
        assert c.guidelines()["version"] == info["guideline_version"]
        assert c.conflicts() == []
        with pytest.raises(NotFoundError):
            TaskClient(server.url, "missing", token).project_info()
    with TaskClient(server.url, project, "rt_wrong") as c, pytest.raises(AuthError) as caught:
        c.lease(1)
    assert "rt_wrong" not in str(caught.value)
