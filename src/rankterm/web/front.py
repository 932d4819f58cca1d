"""The aiohttp application: sign-in, sign-out, the terminal page and its websocket.

Security choices, and why:

- the token is typed into a form and POSTed, never put in a URL (URLs end up in history,
  proxy logs and Referer headers); it is checked with the task server before anything starts;
- the session cookie is random, HttpOnly (no script reads it), SameSite=Strict (no other site
  can make the browser send it, so no cross-site request or websocket acts as the person), and
  Secure whenever the page is served over HTTPS (directly or behind a TLS proxy);
- POSTs and the websocket also check the Origin header against the Host: a second line of
  defence for browsers that ignore SameSite;
- every page says Cache-Control: no-store and carries a CSP that forbids framing.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import textual_serve
from aiohttp import WSMsgType, web

from rankterm.web import pages
from rankterm.web.person import PersonProcess
from rankterm.web.registry import Full, Registry
from rankterm.web.signin import MODES, SignInRefused, verify

log = logging.getLogger("rankterm.web")

COOKIE = "rankterm_session"
STATIC = Path(textual_serve.__file__).parent / "static"
#: Largest message a browser may send on the websocket (keys, pastes, resizes).
MAX_MESSAGE = 256 * 1024


@dataclass(frozen=True)
class FrontConfig:
    server: str
    project: str
    idle_seconds: float
    #: The page reaches the browser over HTTPS (TLS here, or a TLS proxy in front).
    https: bool = False


REGISTRY = web.AppKey("registry", Registry)
CONFIG = web.AppKey("config", FrontConfig)


def _headers(response: web.StreamResponse, nonce: str | None = None) -> web.StreamResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"  # no-referrer makes Origin "null"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = pages.csp(nonce or pages.new_nonce())
    return response


def _same_origin(request: web.Request) -> bool:
    """An Origin header, when the browser sends one, must name this host."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    host = request.headers.get("X-Forwarded-Host") or request.host
    return urlsplit(origin).netloc.lower() == host.lower()


def _https(request: web.Request) -> bool:
    """Whether the browser sees HTTPS: TLS here, a TLS proxy elsewhere (``--insecure-http``),
    or a proxy that says so. Trusting the header is safe: a wrongly Secure cookie is only
    refused by the browser over plain HTTP."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    return request.secure or request.app[CONFIG].https or forwarded


def _signin_response(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    config = request.app[CONFIG]
    from rankterm.sources.client import display_url

    html = pages.signin_page(
        project=config.project, server=display_url(config.server), error=error, modes=tuple(MODES)
    )
    return _headers(web.Response(text=html, content_type="text/html", status=status))


async def index(request: web.Request) -> web.Response:
    login = request.app[REGISTRY].login(request.cookies.get(COOKIE))
    if login is None:
        return _signin_response(request)
    config = request.app[CONFIG]
    nonce = pages.new_nonce()
    html = pages.terminal_page(
        nonce=nonce,
        name=login.person.name,
        project=config.project,
        mode=login.mode,
        idle_minutes=round(config.idle_seconds / 60, 1),
    )
    return _headers(web.Response(text=html, content_type="text/html"), nonce)


async def signin(request: web.Request) -> web.Response:
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-site sign-in refused")
    form = await request.post()
    token = str(form.get("token", ""))
    mode = str(form.get("mode", "annotate"))
    config = request.app[CONFIG]
    registry = request.app[REGISTRY]
    try:
        person = await verify(config.server, config.project, token, mode)
        cookie = registry.sign_in(person, token, mode)
    except SignInRefused as exc:
        return _signin_response(request, str(exc), status=403)
    except Full as exc:
        return _signin_response(request, str(exc), status=503)
    log.info("%s signed in (%s)", person.name, mode)
    response = web.HTTPSeeOther("/")
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="Strict",
        secure=_https(request),
        path="/",
        max_age=int(registry.login_seconds),
    )
    _headers(response)
    raise response


async def signout(request: web.Request) -> web.Response:
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-site sign-out refused")
    await request.app[REGISTRY].sign_out(request.cookies.get(COOKIE))
    response = web.HTTPSeeOther("/")
    response.del_cookie(COOKIE, path="/")
    raise response


def _size(request: web.Request, name: str, default: int) -> int:
    try:
        return max(10, min(1000, int(request.query.get(name, default))))
    except ValueError:
        return default


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """Bridge one browser tab to the person's process (started if it is not running)."""
    registry = request.app[REGISTRY]
    login = registry.login(request.cookies.get(COOKIE))
    if login is None or not _same_origin(request):
        raise web.HTTPForbidden(text="sign in first")
    socket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
    await socket.prepare(request)
    width, height = _size(request, "width", 80), _size(request, "height", 24)
    try:
        process = await registry.attach(login, socket, width, height)
    except Full as exc:
        await socket.send_str(json.dumps(["log", str(exc)]))
        await socket.close(code=4003, message=b"full")
        return socket
    try:
        await _pump(socket, process)
    finally:
        process.detach(socket)
    return socket


async def _pump(socket: web.WebSocketResponse, process: PersonProcess) -> None:
    """Browser -> process: keys, resizes, focus; the same envelope textual-serve uses."""
    async for message in socket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            envelope = json.loads(message.data)
            kind = envelope[0]
        except (ValueError, TypeError, IndexError, KeyError):
            continue
        if process.socket is not socket or not process.running:
            break  # another tab took over, or the TUI has exited
        if kind == "stdin" and isinstance(envelope[1], str):
            process.touch()
            await process.send_bytes(envelope[1].encode("utf-8"))
        elif kind == "resize" and isinstance(envelope[1], dict):
            with contextlib.suppress(KeyError, TypeError, ValueError):
                size = (int(envelope[1]["width"]), int(envelope[1]["height"]))
                if size != process.size and min(size) >= 10 and max(size) <= 1000:
                    process.size = size
                    await process.set_terminal_size(*size)
        elif kind == "ping":
            await socket.send_json(["pong", envelope[1]])
        elif kind == "blur":
            await process.blur()
        elif kind == "focus":
            await process.focus()


async def _on_startup(app: web.Application) -> None:
    app[REGISTRY].start_reaper()


async def _on_shutdown(app: web.Application) -> None:
    await app[REGISTRY].close()


def make_app(config: FrontConfig, registry: Registry) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[CONFIG] = config
    app[REGISTRY] = registry
    app.add_routes(
        [
            web.get("/", index),
            web.post("/signin", signin),
            web.post("/signout", signout),
            web.get("/ws", websocket),
            web.static("/static", STATIC),
        ]
    )
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_on_shutdown)
    return app
