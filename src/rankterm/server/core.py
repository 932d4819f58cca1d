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

from rankterm.core.errors import RanktermError
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
    repeat_gap: int
    max_leases: int
    lease_max_age: int
    side_key: str
    conflict_rule: str
    ordering: str
    extra_on_conflict: int
    tags: list[str]
    criteria: list[str]
    description: str
    created_at: float
    requirements: list[str] = field(default_factory=list)
    pool_keys: list[str] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Any) -> Project:
        m = row._mapping
        return cls(**{name: m[name] for name in cls.__slots__})  # type: ignore[attr-defined]


#: Seconds a project's settings are reused without asking the database (admin changes made
#: with the CLI reach running servers within this time).
PROJECT_TTL = 1.0
_projects: dict[tuple[str, str], tuple[Project, float]] = {}


def get_project(conn: Connection, name: str) -> Project:
    key = (str(conn.engine.url), name)
    hit = _projects.get(key)
    at = time.monotonic()
    if hit is not None and hit[1] > at:
        return hit[0]
    from rankterm.server.statements import PROJECT_BY_NAME

    row = conn.execute(PROJECT_BY_NAME, {"name": name}).first()
    if row is None:
        raise NotFound(f"no project named {name!r}")
    project = Project.from_row(row)
    if len(_projects) > 1000:
        _projects.clear()
    _projects[key] = (project, at + PROJECT_TTL)
    return project


def project_for(conn: Connection, name: str, user: User, role: str = "annotator") -> Project:
    """Project ``name`` as ``user`` may see it: admins reach every project, everyone else only
    the projects they are members of, in the lower of their own and their member role.

    A non-member gets the very answer a project that does not exist gets, so a token cannot
    even tell which project names are taken. One primary-key lookup, never cached: removing a
    member takes effect on their next request, as revoking a token does.
    """
    return project_as(conn, name, user, role)[0]


def project_as(
    conn: Connection, name: str, user: User, role: str = "annotator"
) -> tuple[Project, User]:
    """:func:`project_for`, and the user with their role in that project."""
    project = get_project(conn, name)
    if user.role == "admin":
        return project, user
    from rankterm.server.statements import MEMBER_ROLE

    member = conn.execute(MEMBER_ROLE, {"pid": project.id, "uid": user.id}).scalar()
    return project, as_member(project, user, member, role)


def as_member(project: Project, user: User, member: str | None, role: str) -> User:
    """``user`` with their role in ``project`` (member role ``member``, None: not a member),
    which must reach ``role``: else the 404 of a missing project, or 403."""
    if user.role == "admin":
        return user
    if member is None:
        raise NotFound(f"no project named {project.name!r}")
    effective = member if ROLE_RANK[member] < ROLE_RANK[user.role] else user.role
    if ROLE_RANK[effective] < ROLE_RANK[role]:
        raise Forbidden(f"this needs the {role} role in project {project.name!r}")
    if effective != user.role:
        user = User(user.id, user.name, effective, user.profile)
    return user


def forget_project(conn: Connection, name: str) -> None:
    """Drop a cached project after changing it in this process."""
    _projects.pop((str(conn.engine.url), name), None)


def get_user(conn: Connection, name: str) -> User:
    row = conn.execute(select(t.users).where(t.users.c.name == name)).first()
    if row is None:
        raise NotFound(f"no user named {name!r}")
    return User(row.id, row.name, row.role, row.profile or {})


def current_guideline(conn: Connection, project_id: int) -> Any:
    """The newest guidelines row of a project, or None."""
    from rankterm.server.statements import CURRENT_GUIDELINE

    return conn.execute(CURRENT_GUIDELINE, {"pid": project_id}).first()
