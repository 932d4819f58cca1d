"""Engine setup and transactions: SQLite for no-setup use, PostgreSQL for teams.

Write transactions go through :meth:`Database.write`, which retries the whole unit of work on
the errors that mean "try again" (SQLite busy, PostgreSQL deadlock or serialization failure,
a lost race on a unique index). On SQLite a write starts with ``BEGIN IMMEDIATE`` so that two
writers never both read and then fail to upgrade their lock; within one process writers also
queue on a lock, because SQLite's own busy handler sleeps in coarse steps.

:meth:`Database.write_now` is the SQLite fast path for small requests: it runs the unit of
work on the calling thread (the event loop) when nobody holds the write lock, on a connection
that never waits (``busy_timeout=0``). Handing a one-judgment request to a worker thread and
back costs more CPU than the transaction itself; when the lock is taken, in this process or
by another one, it returns :data:`BUSY` at once and the caller takes the thread-pool path.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError

log = logging.getLogger("rankterm.server")

T = TypeVar("T")

#: PostgreSQL SQLSTATEs that mean the transaction lost a race and can simply run again.
RETRY_SQLSTATES = {"40001", "40P01", "55P03"}


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


#: A bulk load of at least this many rows refreshes the planner's statistics (PostgreSQL).
ANALYZE_AFTER_ROWS = 1000

#: What :meth:`Database.write_now` returns when it could not run the work without waiting.
BUSY: Any = object()


class Retry(Exception):
    """Raised inside a unit of work to ask :meth:`Database.write` to run it again."""


class Database:
    """One engine plus the transaction helpers every service function uses."""

    def __init__(self, url: str, *, pool_size: int = 8, max_overflow: int = 12) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.is_postgres = url.startswith("postgresql")
        kwargs: dict[str, Any] = {
            "json_serializer": _json_dumps,
            "json_deserializer": orjson.loads,
        }
        if self.is_sqlite:
            # Writers queue on one lock anyway; a small pool keeps page caches (memory) few.
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            kwargs.update(pool_size=4, max_overflow=4, pool_timeout=60)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800)
        self.engine: Engine = create_engine(url, **kwargs)
        if not self.is_sqlite:
            _ping_when_idle(self.engine)
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._now_engine: Engine | None = None
        if self.is_sqlite:
            _setup_sqlite(self.engine)
            if ":memory:" not in url and "mode=memory" not in url:
                # One connection, used only by whoever holds the write lock; never waits.
                now_args = {"check_same_thread": False, "timeout": 0}
                self._now_engine = create_engine(
                    url,
                    **{**kwargs, "connect_args": now_args, "pool_size": 1, "max_overflow": 0},
                )
                _setup_sqlite(self._now_engine, busy_timeout_ms=0)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._now_engine is not None:
            self._now_engine.dispose()

    def write_now(self, work: Callable[[Connection], T]) -> T:
        """SQLite: ``work(conn)`` in a write transaction on this thread if that needs no
        waiting at all, else :data:`BUSY` (nothing done). PostgreSQL: always :data:`BUSY`.

        Errors raised by ``work`` itself propagate; only "the database is locked" and the
        races :meth:`write` would retry turn into :data:`BUSY`.
        """
        lock = self._write_lock
        if self._now_engine is None or lock is None or not lock.acquire(blocking=False):
            return BUSY
        try:
            with self._now_engine.connect() as conn:
                conn.execution_options(rankterm_write=True)
                with conn.begin():
                    return work(conn)
        except (Retry, OperationalError, IntegrityError, DBAPIError) as exc:
            if self._retryable(exc):
                return BUSY
            raise
        finally:
            lock.release()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (on SQLite WAL, readers never wait for writers)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def write(self, work: Callable[[Connection], T], *, attempts: int = 8) -> T:
        """Run ``work(conn)`` in one write transaction, retrying it when it lost a race."""
        for attempt in range(attempts):
            lock = self._write_lock if self._write_lock is not None else nullcontext()
            try:
                with lock, self.engine.connect() as conn:
                    conn.execution_options(rankterm_write=True)
                    with conn.begin():
                        return work(conn)
            except (Retry, OperationalError, IntegrityError, DBAPIError) as exc:
                if attempt == attempts - 1 or not self._retryable(exc):
                    raise
                delay = min(0.5, 0.005 * (2**attempt)) * (0.5 + random.random())
                log.debug("write retry %d after %s", attempt + 1, type(exc).__name__)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _retryable(self, exc: Exception) -> bool:
        if isinstance(exc, Retry):
            return True
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            # The pooled connection was dead (see _ping_when_idle); the pool has dropped it.
            return True
        if isinstance(exc, IntegrityError):
            # Only the live-lease unique index is a race; other integrity errors are real.
            # So is the primary key of leases: a resent lease request (same key, same lease
            # ids) that raced the original; run again, it finds the original's leases.
            # And so is the primary key of judgments: two requests carrying one id at once,
            # on pairs that share no row lock; run again, the loser finds the id stored and
            # answers "duplicate".
            text = str(exc.orig)
            return any(
                name in text
                for name in (
                    "uq_leases_live_pair_user",
                    "leases.pair_seq",
                    "pk_leases",
                    "leases.id",
                    "pk_judgments",
                    "judgments.id",
                )
            )
        orig = getattr(exc, "orig", None)
        if self.is_sqlite:
            return "locked" in str(orig) or "busy" in str(orig)
        return getattr(orig, "sqlstate", None) in RETRY_SQLSTATES

    def refresh_statistics(self, table: str, changed: int) -> None:
        """PostgreSQL: ANALYZE ``table`` now, after a bulk load of ``changed`` rows.

        Autovacuum re-analyses a table only after a tenth of it changed, so a new project's
        pairs can stay unknown to the planner for a long time. Without statistics every index
        led by project_id costs the same, and it may look a pair up through the queue index:
        a walk over the whole project, on every submit. ANALYZE samples a fixed number of rows
        (0.2-0.4 s on 870k pairs here), so loads smaller than ANALYZE_AFTER_ROWS, whose
        projects are cheap to walk, skip it. SQLite plans without statistics.
        """
        if not self.is_postgres or changed < ANALYZE_AFTER_ROWS:
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'ANALYZE "{table}"')
            conn.commit()

    @contextmanager
    def advisory_lock(self, key: int) -> Iterator[None]:
        """A cross-process lock on PostgreSQL (used around migrations); SQLite needs none."""
        if not self.is_postgres:
            yield
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({int(key)})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({int(key)})")
                conn.commit()


#: A pooled PostgreSQL connection used this recently is handed out without a ping.
PING_AFTER_IDLE_S = 0.5


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only if it sat idle for PING_AFTER_IDLE_S.

    SQLAlchemy's ``pool_pre_ping`` costs a round trip on every checkout: one of six in a
    one-judgment submit. A connection back in the pool a moment ago is alive unless the
    server dropped it in that moment; HikariCP makes the same trade (its bypass window is
    500 ms). If it did, the statement fails, SQLAlchemy invalidates the connection, and
    :meth:`Database.write` runs the unit of work again on a fresh one. A database restart
    takes longer than the window, so after one every connection is pinged before use.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_conn: Any, record: Any) -> None:
        record.info["rankterm_used"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["rankterm_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("rankterm_used", 0.0) <= PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool discards this connection and checks out another (up to 3 tries).
            raise DisconnectionError(f"pooled connection is dead: {exc}") from exc


def _setup_sqlite(engine: Engine, busy_timeout_ms: int = 30_000) -> None:
    """WAL, a busy timeout and our own BEGIN (pysqlite's implicit transactions get in the way)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("rankterm_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def chunks(items: list[T], size: int = 500) -> Iterator[list[T]]:
    """Slices small enough for an ``IN (...)`` list on every backend."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping any whose primary key exists (a concurrent resend)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    conn.execute(dialect_insert(table).on_conflict_do_nothing(), rows)
