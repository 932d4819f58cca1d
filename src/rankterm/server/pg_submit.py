"""PostgreSQL: a submit's reads in one round trip and its writes in one more (psycopg pipeline).

The same decisions as :func:`rankterm.server.ingest.decide` make, on the same rows; only the
I/O differs. Through SQLAlchemy a one-judgment submit was seven statements, each a round trip
to the server and about 140 µs of client CPU (psycopg alone: about 70). Here the four reads
go out together and come back together, and so do the writes; arrays replace ``IN`` lists, so
every statement has one text and psycopg prepares it once per connection.

Each statement runs on the server in the order sent, inside the caller's transaction, so the
reads still follow the pair locks as in the Core path (``FOR UPDATE`` first). The reads of the
user's leases and verdicts join the batch's pairs themselves instead of taking their seqs from
the first result, which is what lets them share its round trip.

This is one :class:`~rankterm.server.ingest.SubmitPath`, :data:`PIPELINED`, which the caller
passes to :func:`~rankterm.server.ingest.submit_judgments` when :func:`enabled` says so (see
:func:`rankterm.server.app.submit_path_for`); ingest never imports this module, so a SQLite
server never loads psycopg (8 MB it would not use).

``RANKTERM_PG_PIPELINE=0`` in the server's environment turns this off (the Core path runs on
PostgreSQL too): for benchmarks' same-run comparisons and for ruling it out in a bug hunt.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import Connection, Engine
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.exc import DBAPIError

from rankterm.server import ingest, rejudge
from rankterm.server import statements as S
from rankterm.server.conflicts import stored_verdict
from rankterm.server.core import Project, User

_ENABLED = os.environ.get("RANKTERM_PG_PIPELINE", "1") != "0"

#: The batch's pairs, joined to the user's rows on them (a join, not ``seq = ANY(ARRAY(...))``:
#: the planner cannot size an array that a subquery makes, and then prefers walking all of the
#: user's rows; tests/server/test_query_plans.py).
_OF_PAIRS = "FROM pairs p JOIN {table} x ON x.pair_seq = p.seq"
_BATCH = "p.project_id = %(pid)s AND p.pair_id = ANY(%(pair_ids)s) AND x.user_id = %(uid)s"

PAIRS_FOR_UPDATE = (
    "SELECT seq, pair_id, is_gold, n_judged, n_leased, k, done FROM pairs"
    " WHERE project_id = %(pid)s AND pair_id = ANY(%(pair_ids)s) ORDER BY seq FOR UPDATE"
)
SEEN_IDS = (
    "SELECT id, NULL::text, 'j', user_id FROM judgments WHERE id = ANY(%(ids)s)"
    " UNION ALL SELECT id, reason, 'r', user_id FROM rejections WHERE id = ANY(%(ids)s)"
)
USER_LEASES = (
    "SELECT x.id, x.pair_seq, x.kind, x.state "
    + _OF_PAIRS.format(table="leases")
    + f" WHERE {_BATCH} AND x.state <> 'released' ORDER BY x.created_at"
)
USER_ACTIVE = (
    "SELECT x.id, x.pair_seq, x.source "
    + _OF_PAIRS.format(table="judgments")
    + f" WHERE {_BATCH} AND NOT x.retracted AND NOT x.superseded"
)
INSERT_JUDGMENT = (
    "INSERT INTO judgments (id, project_id, pair_seq, user_id, source, choice, strength,"
    " shown_swapped, lease_id, retracted, superseded, data, received_at)"
    " VALUES (%(id)s, %(project_id)s, %(pair_seq)s, %(user_id)s, %(source)s, %(choice)s,"
    " %(strength)s, %(shown_swapped)s, %(lease_id)s, %(retracted)s, %(superseded)s, %(data)s,"
    " %(received_at)s)"
)
CONSUME_LEASES = "UPDATE leases SET state = 'consumed' WHERE id = ANY(%(ids)s)"
SUPERSEDE = "UPDATE judgments SET superseded = true WHERE id = ANY(%(ids)s)"
INSERT_REJECTION = (
    "INSERT INTO rejections (id, project_id, user_id, reason, received_at)"
    " VALUES (%(id)s, %(project_id)s, %(user_id)s, %(reason)s, %(received_at)s)"
    " ON CONFLICT DO NOTHING"
)
STANDING_VERDICTS = (
    "SELECT pair_seq, data FROM judgments WHERE pair_seq = ANY(%(seqs)s)"
    " AND source IS NULL AND NOT retracted AND NOT superseded"
)
#: The Core path's statement, rendered once in psycopg's placeholder style.
WRITE_PAIRS = str(S.WRITE_PAIRS_PG.compile(dialect=pg_psycopg.dialect()))


def enabled(bind: Engine | Connection) -> bool:
    """Whether this engine's (or connection's) database takes the pipelined path: PostgreSQL
    with libpq 14 or newer, unless ``RANKTERM_PG_PIPELINE=0``."""
    return _ENABLED and bind.dialect.name == "postgresql" and psycopg.Pipeline.is_supported()


@contextmanager
def _pipeline(conn: Connection) -> Iterator[psycopg.Connection]:
    """The driver connection in pipeline mode; psycopg errors become SQLAlchemy's, so that
    :meth:`Database.write` retries a deadlock or serialization failure as it does elsewhere."""
    raw: psycopg.Connection = conn.connection.driver_connection  # type: ignore[assignment]
    try:
        with raw.pipeline():
            yield raw
    except psycopg.Error as exc:
        raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc


class PipelinedSubmit:
    """PostgreSQL's submit path: the reads in one round trip, the writes in one more."""

    def read_standing(
        self,
        conn: Connection,
        project: Project,
        user: User,
        pair_ids: set[str],
        ids: list[uuid.UUID],
    ) -> ingest.Standing:
        """:class:`ingest.Standing` for a batch: pair locks, seen ids, the user's leases and
        standing verdicts, in one round trip."""
        params = {"pid": project.id, "pair_ids": sorted(pair_ids), "ids": ids, "uid": user.id}
        with _pipeline(conn) as raw:
            cursors = [raw.cursor() for _ in range(4)]
            for cursor, sql in zip(
                cursors, (PAIRS_FOR_UPDATE, SEEN_IDS, USER_LEASES, USER_ACTIVE), strict=True
            ):
                cursor.execute(sql, params)
        pairs_c, seen_c, leases_c, active_c = cursors
        standing = ingest.Standing(
            user_id=user.id,
            pairs={
                pair_id: ingest.PairState(seq, pair_id, is_gold, n_judged, n_leased, k=k, done=done)
                for seq, pair_id, is_gold, n_judged, n_leased, k, done in pairs_c.fetchall()
            },
        )
        for rid, reason, kind, uid in seen_c.fetchall():
            standing.note_seen(rid, kind, reason, uid)
        for lid, seq, kind, state in leases_c.fetchall():
            standing.latest_lease[seq] = ingest.LeaseRef(lid, kind, state)
        for jid, seq, source in active_c.fetchall():
            standing.active[(seq, source)] = jid
        return standing

    def write_changes(
        self,
        conn: Connection,
        project: Project,
        changes: ingest.Changes,
        states: list[ingest.PairState],
    ) -> None:
        """Write what :func:`ingest.decide` made: one round trip, two when a pair's conflict flag
        needs its standing verdicts read back after the new ones are in.

        The COMMIT stays the caller's: sending it in the same round trip measured no faster
        (1.79 against 1.80 ms a one-judgment submit, in-process), and a function that commits
        behind its caller's transaction is a trap."""
        full = ingest.needs_verdicts(project, states)
        verdicts: dict[int, list[Any]] = {seq: [] for seq in full}
        with _pipeline(conn) as raw:
            cursor = raw.cursor()
            if changes.judgments:
                rows = [{**row, "data": Json(row["data"])} for row in changes.judgments]
                cursor.executemany(INSERT_JUDGMENT, rows)
            if changes.consumed:
                cursor.execute(CONSUME_LEASES, {"ids": changes.consumed})
            if changes.superseded:
                cursor.execute(SUPERSEDE, {"ids": changes.superseded})
            if changes.rejections:
                cursor.executemany(INSERT_REJECTION, changes.rejections)
            if full:
                read = raw.cursor()
                read.execute(STANDING_VERDICTS, {"seqs": full})
            else:
                _write_pairs(cursor, project, states, verdicts)
        if full:
            for seq, data in read.fetchall():
                verdicts[seq].append(stored_verdict(data))
            with _pipeline(conn) as raw:
                _write_pairs(raw.cursor(), project, states, verdicts)
        if changes.rejudged:
            rejudge.close(conn, project, changes.rejudged)


#: The pipelined path, for PostgreSQL when :func:`enabled`.
PIPELINED = PipelinedSubmit()


def _write_pairs(
    cursor: psycopg.Cursor, project: Project, states: list[ingest.PairState], verdicts: dict
) -> None:
    rows = ingest.pair_rows(project, states, verdicts)
    if rows:
        cursor.execute(WRITE_PAIRS, ingest.as_columns(rows))
