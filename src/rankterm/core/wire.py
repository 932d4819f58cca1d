"""What travels between the task server and its clients, defined once for both sides.

The server's API schemas (``rankterm.server.schemas``) and the annotator's HTTP client
(``rankterm.sources.client``) import these shapes instead of each keeping a copy that could
drift: a status the server adds, or a limit it tightens, is then seen by the client too.

The size limits (``rankterm.core.limits``, kept apart so the TUI need not import these models)
serve both sides for the same reason. The server refuses a record over them (a 422
naming the field); the TUI applies the same numbers in its editors before a verdict is
journaled, because a rationale the server would refuse, journaled first, is a label lost.

Needs pydantic only (never the server's dependencies): an annotator's install imports it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rankterm.core.limits import (  # noqa: F401  (re-exported: one import for the server)
    MAX_COMMENT,
    MAX_CRITERIA,
    MAX_DURATION_MS,
    MAX_ID,
    MAX_IDEAL,
    MAX_NAME,
    MAX_TAGS,
    MAX_TEXT,
    over_limit,
    verdict_problem,
)
from rankterm.core.model import Comment, Comparison, Judgment, Ranking, Resolution

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
    """A contested pair in the adjudication queue, with its verdicts and resolutions.

    For a ranking task, ``judgments`` is empty and ``rankings`` holds each annotator's order."""

    pair: dict[str, Any]
    judgments: list[Judgment]
    resolutions: list[Resolution] = Field(default_factory=list)
    rankings: list[Ranking] = Field(default_factory=list)
    #: LLM judges' verdicts referred to adjudication (comments marked ``source: model``):
    #: shown beside the people's, never counted.
    model_verdicts: list[Comment] = Field(default_factory=list)


#: What ``POST .../referrals`` did with each judge verdict, the keys of its answer: sent to
#: adjudication, sent before, agreed with the human majority, no majority yet, no such pair,
#: or a K-way ranking task (a pairwise verdict does not apply to it).
REFERRAL_OUTCOMES = ("referred", "already", "agreed", "no_majority", "unknown", "ranking_task")


class RankingSubmission(Ranking):
    """A complete ranking as it is sent to the server: the journal's :class:`Ranking` plus the
    :class:`Comparison` records it names (``steps``), so that the server stores the order and
    every comparison behind it in one record, under one lease."""

    steps: list[Comparison] = Field(default_factory=list)

    @classmethod
    def of(cls, ranking: Ranking, steps: list[Comparison]) -> RankingSubmission:
        """The submission of ``ranking``: ``steps`` are its comparisons, in its own order."""
        by_id = {c.id: c for c in steps}
        missing = [str(i) for i in ranking.comparisons if i not in by_id]
        if missing:
            raise ValueError(f"ranking {ranking.id} names comparisons not given: {missing[:3]}")
        data = ranking.model_dump()
        return cls(**data, steps=[by_id[i] for i in ranking.comparisons])
