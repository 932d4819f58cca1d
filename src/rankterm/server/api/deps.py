"""Request dependencies: the database, the caller's identity and role checks.

Tokens are looked up by their SHA-256; neither the token nor its hash is ever logged or put
into an error message.

Revocation: there is no token cache. Every request checks its token against the database,
so revoking a token (``rankterm admin token revoke``, from any process or host) or
deactivating a user takes effect on the very next request, in every worker process of every
server sharing the database: the database is the only place the answer lives, and nothing
has to be propagated. The hot endpoints (lease, submit, retract, renew, release) keep this
cheap by checking the token inside the transaction they open anyway (:class:`Caller`): one
indexed lookup on a connection already held, instead of a cache that would go stale. Other
endpoints look the token up in a read transaction of its own (:func:`current_user`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from rankterm.server.core import NotFound, Project, User, as_member, get_project, project_for
from rankterm.server.db import Database
from rankterm.server.settings import ServerSettings
from rankterm.server.users import authenticate_digest, authenticate_leaser, authenticate_member


async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def _digest(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("missing token: send 'Authorization: Bearer <token>'")
    if len(token) > 200:
        raise _unauthorized("invalid or revoked token")
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_user(conn: Connection, digest: str, role: str) -> User:
    """The token's user, who must hold ``role``: 401 or 403 otherwise."""
    user = authenticate_digest(conn, digest)
    if user is None:
        raise _unauthorized("invalid or revoked token")
    if not user.has(role):
        raise HTTPException(status_code=403, detail=f"this needs the {role} role")
    return user


class Caller:
    """A request's bearer token, not yet checked: the endpoint checks it with :meth:`user`
    inside its own transaction (see the module docstring)."""

    __slots__ = ("digest", "role")

    def __init__(self, digest: str, role: str) -> None:
        self.digest = digest
        self.role = role

    def user(self, conn: Connection) -> User:
        return check_user(conn, self.digest, self.role)

    def member(self, conn: Connection, name: str) -> tuple[User, Project]:
        """The token's user and project ``name``, which they must be a member of (admins: any):
        token, role and membership in one statement. A bad token is a 401 even for a project
        that does not exist, so that nobody learns project names without a token."""
        project = self._project(conn, name)
        user, member = authenticate_member(conn, self.digest, project.id)
        return self._check(project, user, member), project

    def leaser(self, conn: Connection, name: str) -> tuple[User, Project, int]:
        """:meth:`member`, and the user's live leases in the project from the same statement
        (the lease endpoint's cap check)."""
        project = self._project(conn, name)
        user, member, live = authenticate_leaser(conn, self.digest, project.id)
        return self._check(project, user, member), project, live

    def _project(self, conn: Connection, name: str) -> Project:
        try:
            return get_project(conn, name)
        except NotFound:
            self.user(conn)
            raise

    def _check(self, project: Project, user: User | None, member: str | None) -> User:
        if user is None:
            raise _unauthorized("invalid or revoked token")
        if not user.has(self.role):
            raise HTTPException(status_code=403, detail=f"this needs the {self.role} role")
        return as_member(project, user, member, self.role)


async def annotator_caller(request: Request) -> Caller:
    return Caller(_digest(request), "annotator")


async def current_user(request: Request) -> User:
    digest = _digest(request)
    db: Database = request.app.state.db

    def lookup() -> User | None:
        with db.read() as conn:
            return authenticate_digest(conn, digest)

    user = await run_in_threadpool(lookup)
    if user is None:
        raise _unauthorized("invalid or revoked token")
    return user


def require(role: str) -> Callable[..., Coroutine[Any, Any, User]]:
    """Dependency: the caller, who must hold ``role`` or a higher one."""

    async def check(request: Request) -> User:
        user = await current_user(request)
        if not user.has(role):
            raise HTTPException(status_code=403, detail=f"this needs the {role} role")
        return user

    check.__name__ = f"require_{role}"
    # Read by the routes' pre-body check (server/bodies.py: BoundedRoute), which refuses a
    # caller without this role before a byte of the body is read.
    check.role = role  # type: ignore[attr-defined]
    return check


async def check_before_body(request: Request, role: str) -> None:
    """Token, role and (for a project's route) membership, before the body is read: the very
    401/403/404 the endpoint's own checks give, so the order tells nobody anything new (a
    non-member gets the 404 of a project that does not exist, as from :func:`project_for`).
    The endpoint checks again in its own transaction; these routes are not hot."""
    user = await current_user(request)
    if not user.has(role):
        raise HTTPException(status_code=403, detail=f"this needs the {role} role")
    name = request.path_params.get("project")
    if name is None or user.role == "admin":
        return
    db: Database = request.app.state.db

    def member() -> None:
        with db.read() as conn:
            project_for(conn, name, user, role)

    await run_in_threadpool(member)


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
AnnotatorCaller = Annotated[Caller, Depends(annotator_caller)]
Adjudicator = Annotated[User, Depends(adjudicator)]
Admin = Annotated[User, Depends(admin)]
