"""The app factory: one FastAPI app per :class:`ServerSettings`, nothing built at import time.

Every error leaves as JSON ``{"error": code, "detail": ...}``: 401/403/404/409/413/422 for
what the caller can fix, 503 when the database is busy, and 500 only for a bug, which is
logged here (without request headers, so tokens never reach a log) and answered without
internals.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, OperationalError

from rankterm import __version__
from rankterm.server import ingest
from rankterm.server.api import projects, review, work
from rankterm.server.api.deps import Json
from rankterm.server.bodies import BodyGuard, FieldErrors
from rankterm.server.core import ServiceError
from rankterm.server.db import Database
from rankterm.server.settings import ServerSettings

log = logging.getLogger("rankterm.server")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
}


def _error(status: int, detail: Any, headers: dict[str, str] | None = None) -> Json:
    code = _CODES.get(status, "error")
    return Json({"error": code, "detail": detail}, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts) or "body"


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> Json:
        return Json({"error": exc.code, "detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(FieldErrors)
    async def field_errors(_: Request, exc: FieldErrors) -> Json:
        return Json(
            {"error": "invalid", "detail": exc.detail, "fields": exc.fields}, status_code=422
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Json:
        return _error(exc.status_code, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> Json:
        errors = [
            {"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()[:20]
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
        return Json({"error": "invalid", "detail": summary, "fields": errors}, status_code=422)

    @app.exception_handler(DataError)
    async def bad_data(_: Request, exc: DataError) -> Json:
        # e.g. a NUL character, which PostgreSQL text cannot hold: the input's fault.
        return _error(422, "a value cannot be stored (for example it contains a NUL character)")

    @app.exception_handler(OperationalError)
    async def db_busy(request: Request, exc: OperationalError) -> Json:
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(exc.orig).__name__,
        )
        return _error(503, "the database is busy or unavailable; retry", {"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Json:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error(500, "internal server error (logged on the server)")


def _limit_malloc_arenas() -> None:
    """glibc gives each thread its own malloc arena; with a thread pool that multiplies the
    resident memory for no speed gain here. Two arenas are plenty (no-op off glibc)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def _token_lookup(db: Database) -> Any:
    """Whether a token digest belongs to an active user (for :class:`BodyGuard`)."""
    from rankterm.server.users import authenticate_digest

    def known(digest: str) -> bool:
        with db.read() as conn:
            return authenticate_digest(conn, digest) is not None

    return known


def submit_path_for(db: Database) -> ingest.SubmitPath:
    """How this database takes judgments in (see :class:`ingest.SubmitPath`): PostgreSQL's
    pipelined path where it can, else the Core path. Chosen once per app and passed to every
    submit; pg_submit is imported only for PostgreSQL (psycopg is 8 MB of a SQLite server's
    memory that it never uses)."""
    if db.engine.dialect.name == "postgresql":
        from rankterm.server import pg_submit

        if pg_submit.enabled(db.engine):
            return pg_submit.PIPELINED
    return ingest.CORE


def create_app(settings: ServerSettings) -> FastAPI:
    """A ready app for ``settings``; its engine is created here and disposed at shutdown."""
    db = Database(settings.db_url, pool_size=settings.pool_size, max_overflow=settings.max_overflow)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        _limit_malloc_arenas()
        if settings.migrate:
            from rankterm.server.migrate import run_migrations

            run_migrations(db)
        yield
        db.dispose()

    app = FastAPI(
        title="rankterm task server",
        version=__version__,
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.submit_path = submit_path_for(db)
    app.add_middleware(BodyGuard, limit=settings.max_body_bytes, known_token=_token_lookup(db))
    _install_handlers(app)

    @app.get("/v1/health", include_in_schema=False)
    def health() -> dict[str, str]:
        with db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__}

    for module in (projects, work, review):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and worker processes: settings from the environment."""
    settings = ServerSettings.model_validate_json(os.environ["RANKTERM_SERVER_SETTINGS"])
    return create_app(settings)
