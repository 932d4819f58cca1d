"""Users, roles and tokens. A token is shown once; only its SHA-256 is stored.

Tokens carry 256 random bits, so a plain SHA-256 (no salt, no slow hash) is enough: nobody
can guess one, and the stored hash is useless without the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from rankterm.server import tables as t
from rankterm.server.core import Conflict, Invalid, User, get_user, now
from rankterm.server.statements import TOKEN_USER, TOKEN_USER_MEMBER, TOKEN_USER_MEMBER_LEASES

TOKEN_PREFIX = "rt_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def add_user(conn: Connection, name: str, role: str, profile: dict[str, Any] | None = None) -> User:
    if role not in t.ROLES:
        raise Invalid(f"role must be one of {', '.join(t.ROLES)}, not {role!r}")
    if not name or len(name) > 200 or not name.isprintable():
        raise Invalid("user name must be 1-200 printable characters")
    if profile is not None and not isinstance(profile, dict):
        raise Invalid("profile must be a JSON object")
    try:
        with conn.begin_nested():
            result = conn.execute(
                insert(t.users).values(
                    name=name, role=role, profile=profile or {}, created_at=now()
                )
            )
    except IntegrityError:
        raise Conflict(f"a user named {name!r} already exists") from None
    return User(result.inserted_primary_key[0], name, role, profile or {})


def set_user(
    conn: Connection,
    name: str,
    *,
    role: str | None = None,
    profile: dict[str, Any] | None = None,
    active: bool | None = None,
) -> User:
    user = get_user(conn, name)
    values: dict[str, Any] = {}
    if role is not None:
        if role not in t.ROLES:
            raise Invalid(f"role must be one of {', '.join(t.ROLES)}, not {role!r}")
        values["role"] = role
    if profile is not None:
        values["profile"] = profile
    if active is not None:
        values["active"] = active
    if values:
        conn.execute(update(t.users).where(t.users.c.id == user.id).values(**values))
    return get_user(conn, name)


def set_attributes(
    conn: Connection, name: str, set_: dict[str, Any], remove: list[str] | None = None
) -> User:
    """Set and remove a user's pool attributes (rankterm.server.pools): values checked,
    the rest of the profile kept. Their next lease goes by the new profile."""
    from rankterm.server.pools import PoolError, with_attributes

    user = get_user(conn, name)
    try:
        profile = with_attributes(user.profile, set_, remove or [])
    except PoolError as exc:
        raise Invalid(str(exc)) from None
    return set_user(conn, name, profile=profile)


def list_users(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(t.users).order_by(t.users.c.name)).all()
    return [
        {"name": r.name, "role": r.role, "active": r.active, "profile": r.profile} for r in rows
    ]


def create_token(conn: Connection, user_name: str, label: str = "") -> str:
    """A new token for ``user_name``; the caller shows it once and forgets it."""
    user = get_user(conn, user_name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        insert(t.tokens).values(
            user_id=user.id, token_hash=hash_token(token), label=label, created_at=now()
        )
    )
    return token


def revoke_tokens(conn: Connection, user_name: str) -> int:
    user = get_user(conn, user_name)
    result = conn.execute(
        update(t.tokens)
        .where(t.tokens.c.user_id == user.id, t.tokens.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return result.rowcount or 0


def authenticate(conn: Connection, token: str) -> User | None:
    """The active user owning ``token``, or None. Never logs or echoes the token."""
    if not token or len(token) > 200:
        return None
    return authenticate_digest(conn, hash_token(token))


def authenticate_digest(conn: Connection, digest: str) -> User | None:
    """The active user whose unrevoked token has this SHA-256 (hex), or None."""
    row = conn.execute(TOKEN_USER, {"digest": digest}).first()
    if row is None or not row.active or not hmac.compare_digest(row.token_hash, digest):
        return None
    return User(row.id, row.name, row.role, row.profile or {})


def authenticate_member(
    conn: Connection, digest: str, project_id: int
) -> tuple[User | None, str | None]:
    """:func:`authenticate_digest` and the user's member role in the project (or None)."""
    user, role, _ = _member(conn, TOKEN_USER_MEMBER, digest, project_id)
    return user, role


def authenticate_leaser(
    conn: Connection, digest: str, project_id: int
) -> tuple[User | None, str | None, int]:
    """:func:`authenticate_member` and the user's live leases in the project, in the same
    statement (the lease endpoint needs all three)."""
    return _member(conn, TOKEN_USER_MEMBER_LEASES, digest, project_id)


def _member(
    conn: Connection, statement: Any, digest: str, project_id: int
) -> tuple[User | None, str | None, int]:
    row = conn.execute(statement, {"digest": digest, "pid": project_id}).first()
    if row is None or not row.active or not hmac.compare_digest(row.token_hash, digest):
        return None, None, 0
    user = User(row.id, row.name, row.role, row.profile or {})
    return user, row.member_role, getattr(row, "live_leases", 0)
