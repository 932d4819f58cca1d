"""Request dependencies: the database, the caller's identity and role checks.

Tokens are looked up by their SHA-256; a short in-process cache spares the database one query
per request. Neither the token nor its hash is ever logged or put into an error message.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from rankterm.server.core import User
from rankterm.server.db import Database
from rankterm.server.settings import ServerSettings
from rankterm.server.users import authenticate

CACHE_MAX = 10_000


async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


class TokenCache:
    """digest -> (user, expiry); bounded, thread-safe, TTL from the settings."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._items: dict[str, tuple[User, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> User | None:
        if self.ttl <= 0:
            return None
        item = self._items.get(digest)
        if item is None or item[1] < time.monotonic():
            return None
        return item[0]

    def put(self, digest: str, user: User) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._items) >= CACHE_MAX:
                self._items.clear()
            self._items[digest] = (user, time.monotonic() + self.ttl)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


async def current_user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("missing token: send 'Authorization: Bearer <token>'")
    digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
    cache: TokenCache = request.app.state.token_cache
    user = cache.get(digest)
    if user is None:
        db: Database = request.app.state.db

        def lookup() -> User | None:
            with db.read() as conn:
                return authenticate(conn, token)

        user = await run_in_threadpool(lookup)
        if user is None:
            raise _unauthorized("invalid or revoked token")
        cache.put(digest, user)
    return user


def require(role: str) -> Callable[..., Coroutine[Any, Any, User]]:
    """Dependency: the caller, who must hold ``role`` or a higher one."""

    async def check(request: Request) -> User:
        user = await current_user(request)
        if not user.has(role):
            raise HTTPException(status_code=403, detail=f"this needs the {role} role")
        return user

    check.__name__ = f"require_{role}"
    return check


annotator = require("annotator")
adjudicator = require("adjudicator")
admin = require("admin")


class Json(JSONResponse):
    """JSON rendered by orjson (UUIDs and datetimes included), for hand-built fast paths."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


DB = Annotated[Database, Depends(get_db)]
Config = Annotated[ServerSettings, Depends(get_settings)]
AnyUser = Annotated[User, Depends(current_user)]
Annotator = Annotated[User, Depends(annotator)]
Adjudicator = Annotated[User, Depends(adjudicator)]
Admin = Annotated[User, Depends(admin)]
