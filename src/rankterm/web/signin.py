"""Who a task-server token belongs to, and whether they may work in the project.

Asked of the task server itself (``/v1/me``, then ``/v1/projects/{p}``), so the web front
never keeps a user list of its own: a revoked token or a removed member is refused at the next
sign-in, exactly as the terminal client would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import httpx

#: Modes a person can ask for, and the roles allowed each.
MODES = {"annotate": {"annotator", "adjudicator", "admin"}, "adjudicate": {"adjudicator", "admin"}}


@dataclass(frozen=True)
class Person:
    """A signed-in user as the task server knows them."""

    name: str
    role: str


class SignInRefused(Exception):
    """The reason is shown on the sign-in page as it is (it names no secret)."""


async def verify(server: str, project: str, token: str, mode: str, *, timeout: float = 10.0):
    """The :class:`Person` ``token`` belongs to, once the server confirms they are a member of
    ``project`` and their role allows ``mode``; else :class:`SignInRefused`."""
    if mode not in MODES:
        raise SignInRefused(f"unknown mode {mode!r}")
    token = token.strip()
    if not token or not token.isprintable() or len(token) > 512:
        raise SignInRefused("paste the token your team lead gave you")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    try:
        async with httpx.AsyncClient(base_url=server, headers=headers, timeout=timeout) as client:
            me = await client.get("/v1/me")
            if me.status_code in (401, 403):
                raise SignInRefused("the task server does not accept this token")
            me.raise_for_status()
            data = me.json()
            person = Person(name=str(data["name"]), role=str(data["role"]))
            if person.role not in MODES[mode]:
                raise SignInRefused(f"{mode} needs an adjudicator's role; yours is {person.role}")
            proj = await client.get(f"/v1/projects/{quote(project, safe='')}")
            if proj.status_code in (403, 404):
                raise SignInRefused(f"you are not a member of project {project!r}")
            proj.raise_for_status()
    except httpx.HTTPError as exc:
        raise SignInRefused(f"cannot reach the task server ({type(exc).__name__})") from None
    except (KeyError, ValueError):
        raise SignInRefused("the task server's answer was not understood") from None
    return person
