"""``rankterm web`` over plain HTTP and websockets (no browser): sign-in rules, the cookie,
cross-site refusals, the session cap and the idle timeout. Real task server, real front."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from tests.web.conftest import WebFront, start_web
from tests.web.helpers import journal_judgments, server_judgments

pytestmark = pytest.mark.web


def _sign_in(front: WebFront, token: str, mode: str = "annotate", **headers: str):
    return httpx.post(
        front.url + "/signin",
        data={"token": token, "mode": mode},
        headers=headers,
        follow_redirects=False,
        timeout=30,
    )


def _cookie(response: httpx.Response) -> str:
    return response.cookies["rankterm_session"]


async def _connect(front: WebFront, cookie: str | None, origin: str | None = None):
    session = aiohttp.ClientSession(cookies={"rankterm_session": cookie} if cookie else None)
    headers = {"Origin": origin} if origin else {}
    try:
        socket = await session.ws_connect(
            front.url.replace("http", "ws") + "/ws?width=100&height=30", headers=headers
        )
    except BaseException:
        await session.close()
        raise
    return session, socket


async def _read_until_painted(socket: aiohttp.ClientWebSocketResponse, needle: bytes) -> None:
    seen = b""
    deadline = asyncio.get_running_loop().time() + 90
    while needle not in seen:
        left = deadline - asyncio.get_running_loop().time()
        assert left > 0, f"{needle!r} never painted: {seen[-3000:]!r}"
        try:
            message = await asyncio.wait_for(socket.receive(), timeout=min(left, 5.0))
        except TimeoutError:
            continue
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            raise AssertionError(f"closed before {needle!r} was painted: {seen[-3000:]!r}")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(x) for x in (task / "children").read_text().split()]
    return found


def test_sign_in_page_asks_for_the_token_in_a_form(web_front) -> None:
    _backend, project, front = web_front
    page = httpx.get(front.url + "/", timeout=30)
    assert page.status_code == 200
    assert '<form method="post" action="/signin"' in page.text
    assert 'type="password"' in page.text and project in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_a_token_the_server_refuses_signs_no_one_in(web_front) -> None:
    _backend, _project, front = web_front
    response = _sign_in(front, "not-a-token")
    assert response.status_code == 403
    assert "does not accept this token" in response.text
    assert "rankterm_session" not in response.cookies
    assert "not-a-token" not in response.text


def test_non_members_and_annotators_adjudicating_are_refused(web_front) -> None:
    backend, _project, front = web_front
    _outsider, outsider_token = backend.user(member_of=[])
    response = _sign_in(front, outsider_token)
    assert response.status_code == 403 and "not a member" in response.text
    _name, token = backend.user()
    response = _sign_in(front, token, mode="adjudicate")
    assert response.status_code == 403 and "adjudicator" in response.text


def test_cookie_is_random_httponly_samesite_strict_and_the_token_stays_out_of_urls(
    web_front,
) -> None:
    backend, _project, front = web_front
    _name, token = backend.user()
    first, second = _sign_in(front, token), _sign_in(front, token)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/"
    header = first.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert token not in header and token not in first.headers["location"]
    assert _cookie(first) != _cookie(second) and len(_cookie(first)) >= 40
    # The second sign-in ended the first login.
    old = httpx.get(front.url + "/", cookies={"rankterm_session": _cookie(first)}, timeout=30)
    new = httpx.get(front.url + "/", cookies={"rankterm_session": _cookie(second)}, timeout=30)
    assert 'id="token"' in old.text and 'id="terminal"' in new.text


async def test_cross_site_requests_and_sockets_are_refused(web_front) -> None:
    backend, _project, front = web_front
    _name, token = backend.user()
    assert _sign_in(front, token, Origin="https://evil.example").status_code == 403
    cookie = _cookie(_sign_in(front, token))
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await _connect(front, cookie, origin="https://evil.example")
    assert refused.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as anonymous:
        await _connect(front, None)
    assert anonymous.value.status == 403


@pytest.fixture
def small_front(sqlite_backend, tmp_path: Path) -> Iterator[tuple]:
    """One session at most; sessions idle for 12 s end."""
    project = sqlite_backend.project(n_pairs=6, overlap=2)
    front = start_web(
        sqlite_backend.url, project, tmp_path, "--max-sessions", "1", "--idle-minutes", "0.2"
    )
    try:
        yield sqlite_backend, project, front
    finally:
        front.stop()


async def test_cap_then_idle_timeout_frees_the_slot(small_front) -> None:
    backend, project, front = small_front
    (name_a, token_a), (_name_b, token_b) = backend.user(), backend.user()
    cookie_a = _cookie(_sign_in(front, token_a))
    session, socket = await _connect(front, cookie_a)
    try:
        await _read_until_painted(socket, b"0/6")
        await socket.send_str(json.dumps(["stdin", "2"]))  # one verdict
        await _read_until_painted(socket, b"1/6")
        # The person's process: the token in its environment, never on its command line.
        (child,) = _children(front.proc.pid)
        assert token_a.encode() not in Path(f"/proc/{child}/cmdline").read_bytes()
        assert f"RANKTERM_TOKEN={token_a}".encode() in Path(f"/proc/{child}/environ").read_bytes()
        full = _sign_in(front, token_b)
        assert full.status_code == 503 and "all 1 sessions are in use" in full.text
        # No key for 12 s: the session ends by itself; the TUI quits cleanly (exit 4: pairs
        # left), the verdict journaled and delivered.
        async with asyncio.timeout(60):
            while not socket.closed:
                await socket.receive()
    finally:
        await socket.close()
        await session.close()
    deadline = time.monotonic() + 30
    while f"session of {name_a} ended (exit 4)" not in front.log():
        assert time.monotonic() < deadline, front.log()[-2000:]
        await asyncio.sleep(0.2)
    assert f"ending idle session of {name_a}" in front.log()
    ((_path, entries),) = journal_judgments(front.data_dir).items()  # A's journal, kept
    rows = server_judgments(backend.url, project, token_a)
    assert [str(e.id) for e in entries] == [r["id"] for r in rows] and len(rows) == 1
    assert _sign_in(front, token_b).status_code == 303  # the slot is free again


async def test_adjudicators_get_the_adjudication_desk(sqlite_backend, tmp_path: Path) -> None:
    backend = sqlite_backend
    # Guidelines: `rankterm adjudicate --server` stops on a project without them (HTTP 404).
    project = backend.project(n_pairs=4, guidelines="# Rules\n\nPrefer the correct answer.\n")
    front = start_web(backend.url, project, tmp_path)
    _name, token = backend.user(role="adjudicator")
    response = _sign_in(front, token, mode="adjudicate")
    assert response.status_code == 303
    session, socket = await _connect(front, _cookie(response))
    try:
        await _read_until_painted(socket, b"U unclear")  # the desk's key legend
    finally:
        await socket.close()
        await session.close()
        front.stop()
    assert len(list(front.data_dir.glob("people/*/*.adjudications.jsonl"))) == 1
