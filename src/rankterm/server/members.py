"""Project membership: who may work in a project, and in which role.

A user's role inside a project is the lower of their own role and their member role, so an
adjudicator can be added to one project as a plain annotator. Admins need no membership.
Checked on every request by :func:`rankterm.server.core.project_for`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from rankterm.server import tables as t
from rankterm.server.core import ROLE_RANK, Invalid, NotFound, Project, User, now

M = t.project_members


def add_member(conn: Connection, project: Project, user: User, role: str | None = None) -> str:
    """Make ``user`` a member of ``project`` (or change their role there); returns the role.

    Without ``role`` the member role follows the user's own (an admin's is "adjudicator",
    which matters only if they are later made an annotator)."""
    if role is None:
        role = user.role if user.role in t.MEMBER_ROLES else "adjudicator"
    if role not in t.MEMBER_ROLES:
        raise Invalid(f"member role must be one of {', '.join(t.MEMBER_ROLES)}, not {role!r}")
    where = (M.c.project_id == project.id, M.c.user_id == user.id)
    if conn.execute(select(M.c.role).where(*where)).first() is None:
        conn.execute(
            insert(M).values(project_id=project.id, user_id=user.id, role=role, added_at=now())
        )
    else:
        conn.execute(update(M).where(*where).values(role=role))
    return role


def remove_member(conn: Connection, project: Project, user: User) -> None:
    """Take ``user`` out of ``project``: their next request there gets 404. Their leases there
    are given back now, so the pairs go to others without waiting for expiry."""
    from rankterm.server import scheduling

    gone = conn.execute(
        delete(M).where(M.c.project_id == project.id, M.c.user_id == user.id)
    ).rowcount
    if not gone:
        raise NotFound(f"{user.name!r} is not a member of project {project.name!r}")
    live = conn.execute(
        select(t.leases.c.id).where(
            t.leases.c.project_id == project.id,
            t.leases.c.user_id == user.id,
            t.leases.c.state == "live",
        )
    ).scalars()
    scheduling.release(conn, project, user, list(live))


def list_members(conn: Connection, project: Project) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(t.users.c.name, t.users.c.role.label("own"), M.c.role)
        .join(t.users, t.users.c.id == M.c.user_id)
        .where(M.c.project_id == project.id)
        .order_by(t.users.c.name)
    ).all()
    return [
        {
            "name": r.name,
            "role": r.role if ROLE_RANK[r.own] >= ROLE_RANK[r.role] else r.own,
            "member_role": r.role,
        }
        for r in rows
    ]


def member_project_ids(conn: Connection, user: User) -> set[int]:
    return set(conn.execute(select(M.c.project_id).where(M.c.user_id == user.id)).scalars())
