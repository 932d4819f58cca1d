"""What travels between the task server and its clients, defined once for both sides.

The server's API schemas (``rankterm.server.schemas``) and the annotator's HTTP client
(``rankterm.sources.client``) import these shapes instead of each keeping a copy that could
drift: a status the server adds, or a limit it tightens, is then seen by the client too.

The size limits are here for the same reason. The server refuses a record over them (a 422
naming the field); the TUI applies the same numbers in its editors before a verdict is
journaled, because a rationale the server would refuse, journaled first, is a label lost.

Needs pydantic only (never the server's dependencies): an annotator's install imports it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rankterm.model import Judgment, Resolution

# --- size limits on what a record may carry ------------------------------------------------

#: A rationale, or an adjudicator's note (characters).
MAX_TEXT = 50_000
#: An ideal answer written by the annotator (characters).
MAX_IDEAL = 200_000
#: A pair id.
MAX_ID = 1_000
#: A name (annotator, tag, criterion, guideline version).
MAX_NAME = 200
#: Tags on one record.
MAX_TAGS = 64
#: Per-criterion verdicts on one judgment.
MAX_CRITERIA = 32
#: A judgment's time spent (30 days in milliseconds).
MAX_DURATION_MS = 30 * 86_400_000
#: A discussion comment (characters).
MAX_COMMENT = 10_000


def over_limit(field: str, text: str, limit: int) -> str | None:
    """Why ``text`` is too long for ``field`` (a message for the annotator), or None."""
    if len(text) <= limit:
        return None
    return (
        f"{field} is {len(text):,} characters; the task server accepts at most {limit:,}. "
        f"Shorten it by {len(text) - limit:,} characters."
    )


def verdict_problem(
    *,
    rationale: str = "",
    ideal_response: str | None = None,
    tags: list[str] | tuple[str, ...] | set[str] = (),
    criteria: dict[str, Any] | None = None,
    note: str = "",
) -> str | None:
    """The first reason the server would refuse a verdict with these parts, or None."""
    for field, text, limit in (
        ("The rationale", rationale, MAX_TEXT),
        ("The ideal answer", ideal_response or "", MAX_IDEAL),
        ("The note", note, MAX_TEXT),
    ):
        problem = over_limit(field, text, limit)
        if problem is not None:
            return problem
    if len(tags) > MAX_TAGS:
        return f"{len(tags)} tags; the task server accepts at most {MAX_TAGS}."
    if len(criteria or {}) > MAX_CRITERIA:
        return f"{len(criteria or {})} criteria; the task server accepts at most {MAX_CRITERIA}."
    for name in [*tags, *(criteria or {})]:
        if len(name) > MAX_NAME:
            return f"tag or criterion {name[:40]!r}… is over {MAX_NAME} characters."
    return None


# --- request and response bodies --------------------------------------------------------


class Strict(BaseModel):
    """A request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


LeaseState = Literal["renewed", "released", "expired", "consumed", "unknown"]
#: Lease states that mean the lease is no longer the caller's to judge under.
LEASE_GONE: frozenset[str] = frozenset({"released", "expired", "consumed", "unknown"})


class LeaseRequest(Strict):
    n: int = Field(
        default=20,
        ge=1,
        le=1_000_000,
        description="How many pairs to lease (capped by the server).",
    )


class LeasedPair(BaseModel):
    """One pair to judge. Gold items and blind repeats look exactly like any other."""

    lease_id: uuid.UUID
    pair: dict[str, Any] = Field(description="The pair record (a model.Pair, gold removed).")
    shown_swapped: bool = Field(description="Show B on the left; record it on the judgment.")
    expires_at: datetime


class LeaseResponse(BaseModel):
    leases: list[LeasedPair]
    guideline_version: str | None = None
    #: True when nothing is left for this annotator right now.
    exhausted: bool = False


class LeaseIds(Strict):
    lease_ids: list[uuid.UUID] = Field(max_length=10_000)


class LeaseStatus(BaseModel):
    lease_id: uuid.UUID
    status: LeaseState
    expires_at: datetime | None = None


class LeaseStatuses(BaseModel):
    leases: list[LeaseStatus]


class MyProgress(BaseModel):
    """The caller's own counts. Gold items and blind repeats count like any other verdict and
    are never counted apart: the annotator is blind to which is which."""

    annotator: str
    judged: int
    leased: int
    total_pairs: int


class ConflictItem(BaseModel):
    """A contested pair in the adjudication queue, with its verdicts and resolutions."""

    pair: dict[str, Any]
    judgments: list[Judgment]
    resolutions: list[Resolution] = Field(default_factory=list)
