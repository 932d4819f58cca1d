"""Database tables (SQLAlchemy Core): the server's storage, separate from the API schemas.

Times are epoch seconds (float) so that SQLite and PostgreSQL compare them the same way. Each
pair row carries its own slot counters (``n_judged``, ``n_leased``): the scheduler's check
"judgments + live leases < overlap" then reads only the locked row, which is what makes
``FOR UPDATE SKIP LOCKED`` correct across several server processes.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ROLES = ("annotator", "adjudicator", "admin")

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("overlap", Integer, nullable=False),
    Column("lease_ttl", Integer, nullable=False),
    Column("gold_rate", Float, nullable=False),
    Column("repeat_rate", Float, nullable=False),
    #: How many judgments an annotator makes between a pair and its blind repeat.
    Column("repeat_gap", Integer, nullable=False, server_default=text("20")),
    #: Live leases one annotator may hold in the project (a hoarder cannot starve the rest).
    Column("max_leases", Integer, nullable=False, server_default=text("50")),
    #: Seconds a lease may live in all, renewals included (0.5.0 leases renewed forever).
    Column("lease_max_age", Integer, nullable=False, server_default=text("14400")),
    #: Key of the keyed hash that sets each lease's side order: without it nobody can predict
    #: the order, so a blind repeat's (the inverse of the first showing) gives nothing away.
    Column("side_key", String(64), nullable=False, server_default=""),
    Column("conflict_rule", String(64), nullable=False),
    #: How open pairs are served: "priority" (highest first) or "informative" (by
    #: pairs.info_score: see rankterm.server.informative).
    Column("ordering", String(20), nullable=False, server_default="priority"),
    #: Adaptive overlap: slots a pair gets beyond ``overlap`` only when its first verdicts
    #: conflict (see rankterm.server.adaptive).
    Column("extra_on_conflict", Integer, nullable=False, server_default=text("0")),
    Column("tags", JSON, nullable=False),
    Column("criteria", JSON, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_at", Float, nullable=False),
    #: Annotator pools (rankterm.server.pools): "SLICE=VALUE:ATTRIBUTE=VALUE" requirements,
    #: and the pools its pairs fall in (kept by import and by changes of requirements).
    Column("requirements", JSON, nullable=False, server_default=text("'[]'")),
    Column("pool_keys", JSON, nullable=False, server_default=text("'[]'")),
    #: Pairs each requirement's slice holds ({requirement: n}), counted with the pools.
    Column("slice_pairs", JSON, nullable=False, server_default=text("'{}'")),
)

guidelines = Table(
    "guidelines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("version", String(64), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("project_id", "version"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("profile", JSON, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", Float, nullable=False),
)

MEMBER_ROLES = ("annotator", "adjudicator")

#: Who may work in a project, and as what: a user's role in a project is the lower of their
#: own role and this one. Admins reach every project without being members.
project_members = Table(
    "project_members",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True, index=True),
    Column("role", String(20), nullable=False),
    Column("added_at", Float, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False, server_default=""),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

pairs = Table(
    "pairs",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("pair_id", String(512), nullable=False),
    Column("data", JSON, nullable=False),
    Column("priority", Float, nullable=False),
    Column("is_gold", Boolean, nullable=False),
    #: None for a pair; K (3-9) for a ranking task (its data holds ``responses``): the submit
    #: path checks a verdict's kind and candidate indices against it without reading ``data``
    #: (migration 0008). Rankings are stored as judgment rows whose ``choice`` is "ranking".
    Column("k", Integer, nullable=True),
    Column("n_judged", Integer, nullable=False, server_default=text("0")),
    Column("n_leased", Integer, nullable=False, server_default=text("0")),
    Column("done", Boolean, nullable=False, server_default=text("false")),
    Column("conflict", Boolean, nullable=False, server_default=text("false")),
    Column("resolved", Boolean, nullable=False, server_default=text("false")),
    #: How much a label on this pair would teach (0-1), for "informative" projects; refreshed
    #: off the lease path by rankterm.server.informative.
    Column("info_score", Float, nullable=False, server_default=text("0")),
    Column("created_at", Float, nullable=False),
    #: What the pair needs of its annotators ("languages=de;expertise=medical", "" for
    #: nothing): rankterm.server.pools, computed at import and when requirements change.
    Column("pool", String(2000), nullable=False, server_default=""),
    UniqueConstraint("project_id", "pair_id"),
)
Index(
    "ix_pairs_queue",
    pairs.c.project_id,
    pairs.c.is_gold,
    pairs.c.done,
    pairs.c.priority.desc(),
    pairs.c.seq,
)
Index(
    "ix_pairs_informative",
    pairs.c.project_id,
    pairs.c.is_gold,
    pairs.c.done,
    pairs.c.info_score.desc(),
    pairs.c.priority.desc(),
    pairs.c.seq,
)
#: The queue orders within one pool (migration 0011): a pooled lease walks each pool it may
#: serve on its own (rankterm.server.picking.pick), never past pairs of pools it cannot serve.
Index(
    "ix_pairs_pool_queue",
    pairs.c.project_id,
    pairs.c.is_gold,
    pairs.c.done,
    pairs.c.pool,
    pairs.c.priority.desc(),
    pairs.c.seq,
)
Index(
    "ix_pairs_pool_informative",
    pairs.c.project_id,
    pairs.c.is_gold,
    pairs.c.done,
    pairs.c.pool,
    pairs.c.info_score.desc(),
    pairs.c.priority.desc(),
    pairs.c.seq,
)
#: Pooled pairs only (migration 0009): what the pools report groups by.
Index(
    "ix_pairs_pool",
    pairs.c.project_id,
    pairs.c.pool,
    sqlite_where=pairs.c.pool != "",
    postgresql_where=pairs.c.pool != "",
)
Index("ix_pairs_conflict", pairs.c.project_id, pairs.c.conflict, pairs.c.resolved)

leases = Table(
    "leases",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("pair_seq", Integer, ForeignKey("pairs.seq"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    #: "normal" holds one of the pair's overlap slots; "gold", "repeat" and "rejudge" (a
    #: re-judgment after a guideline change: rankterm.server.rejudge) do not.
    Column("kind", String(10), nullable=False),
    Column("shown_swapped", Boolean, nullable=False),
    #: live -> consumed (judged) | released (given back) | expired (reclaimed after the TTL)
    Column("state", String(10), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
Index("ix_leases_expiry", leases.c.project_id, leases.c.state, leases.c.expires_at)
Index("ix_leases_pair_user", leases.c.pair_seq, leases.c.user_id)
#: Live leases only: a lookup of a user's leases on some pairs must not be able to walk all
#: their past leases here instead of ix_leases_pair_user (migration 0003).
Index(
    "ix_leases_live_user",
    leases.c.user_id,
    sqlite_where=leases.c.state == "live",
    postgresql_where=leases.c.state == "live",
)
Index(
    "uq_leases_live_pair_user",
    leases.c.pair_seq,
    leases.c.user_id,
    unique=True,
    sqlite_where=leases.c.state == "live",
    postgresql_where=leases.c.state == "live",
)

judgments = Table(
    "judgments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("pair_seq", Integer, ForeignKey("pairs.seq"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    #: None for an ordinary judgment, "gold" or "repeat" as recorded on the lease.
    Column("source", String(10), nullable=True),
    Column("choice", String(10), nullable=False),
    Column("strength", Integer, nullable=True),
    Column("shown_swapped", Boolean, nullable=False),
    Column("lease_id", Uuid, nullable=True),
    Column("retracted", Boolean, nullable=False, server_default=text("false")),
    Column("superseded", Boolean, nullable=False, server_default=text("false")),
    Column("data", JSON, nullable=False),
    Column("received_at", Float, nullable=False),
)
#: (pair_seq, user_id), not led by project_id: a seq is unique across projects, and lookups by
#: pair must never tie with the (project_id, user_id, ...) indexes in the planner (0003).
Index("ix_judgments_pair_user", judgments.c.pair_seq, judgments.c.user_id)
#: An annotator's judgments in a project in time order (their progress and export, the repeat
#: gap) and in id order (a random draw of blind repeats): see scheduling._pick_repeats.
Index(
    "ix_judgments_project_user_time",
    judgments.c.project_id,
    judgments.c.user_id,
    judgments.c.received_at,
)
Index("ix_judgments_project_user_id", judgments.c.project_id, judgments.c.user_id, judgments.c.id)

rejections = Table(
    "rejections",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("received_at", Float, nullable=False),
)

retractions = Table(
    "retractions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("retracts", Uuid, nullable=False, index=True),
    Column("data", JSON, nullable=False),
    Column("received_at", Float, nullable=False),
)

resolutions = Table(
    "resolutions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("pair_seq", Integer, ForeignKey("pairs.seq"), nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("data", JSON, nullable=False),
    Column("received_at", Float, nullable=False),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("pair_seq", Integer, ForeignKey("pairs.seq"), nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("data", JSON, nullable=False),
    Column("received_at", Float, nullable=False),
)

#: Re-judgments owed after a guideline change (``admin guidelines --requeue``, see
#: rankterm.server.rejudge): one row per annotator and judged pair, for the version it is to be
#: judged under again. Open while ``done_at`` is NULL; the annotator's next leases take it
#: (lease kind "rejudge", blind), and the verdict under that lease closes it. ``judgment_id``
#: is the verdict queued (the link stays in the record: the new judgment's
#: ``data.rejudge_of`` names the one it replaced); ``rejudge_id`` the verdict that closed it.
rejudges = Table(
    "rejudges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("pair_seq", Integer, ForeignKey("pairs.seq"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("judgment_id", Uuid, nullable=False),
    Column("version", String(64), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("done_at", Float, nullable=True),
    Column("rejudge_id", Uuid, nullable=True),
    #: Re-running the same upload and requeue queues nothing twice.
    UniqueConstraint("project_id", "pair_seq", "user_id", "version"),
)
#: An annotator's re-judgments: the open ones (``done_at`` NULL) for the lease pick, the
#: answered ones for their progress count.
Index(
    "ix_rejudges_user",
    rejudges.c.project_id,
    rejudges.c.user_id,
    rejudges.c.done_at,
    rejudges.c.id,
)
