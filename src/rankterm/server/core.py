"""Shared pieces of the service layer: errors with HTTP statuses, project and user records.

Service functions take a SQLAlchemy connection and these records, so the HTTP API and the
admin CLI run exactly the same code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from rankterm.errors import RanktermError
from rankterm.server import tables as t

ROLE_RANK = {"annotator": 0, "adjudicator": 1, "admin": 2}


def now() -> float:
    return time.time()


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class ServiceError(RanktermError):
    """A request that cannot be served; ``status`` is its HTTP status code."""

    status = 400
    code = "bad_request"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Invalid(ServiceError):
    status = 422
    code = "invalid"
    exit_code = 2


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str
    profile: dict[str, Any] = field(default_factory=dict)

    def has(self, role: str) -> bool:
        """Roles nest: an admin may do what an adjudicator may, who may do what an annotator may."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    overlap: int
    lease_ttl: int
    gold_rate: float
    repeat_rate: float
    conflict_rule: str
    tags: list[str]
    criteria: list[str]
    description: str
    created_at: float

    @classmethod
    def from_row(cls, row: Any) -> Project:
        m = row._mapping
        return cls(**{name: m[name] for name in cls.__slots__})  # type: ignore[attr-defined]


def get_project(conn: Connection, name: str) -> Project:
    row = conn.execute(select(t.projects).where(t.projects.c.name == name)).first()
    if row is None:
        raise NotFound(f"no project named {name!r}")
    return Project.from_row(row)


def get_user(conn: Connection, name: str) -> User:
    row = conn.execute(select(t.users).where(t.users.c.name == name)).first()
    if row is None:
        raise NotFound(f"no user named {name!r}")
    return User(row.id, row.name, row.role, row.profile or {})


def current_guideline(conn: Connection, project_id: int) -> Any:
    """The newest guidelines row of a project, or None."""
    return conn.execute(
        select(t.guidelines)
        .where(t.guidelines.c.project_id == project_id)
        .order_by(t.guidelines.c.id.desc())
        .limit(1)
    ).first()
