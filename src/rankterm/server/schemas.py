"""Request and response bodies of the HTTP API (separate from the table rows).

Records that also live in journals (judgments, retractions, resolutions, comments, acks) are
the domain model's own classes; the shapes here are the envelopes around them and the
server's own resources (projects, leases, progress).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from rankterm.model import Ack, Comment, Judgment, Resolution
from rankterm.server.conflicts import validate_rule

Role = Literal["annotator", "adjudicator", "admin"]
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectSettings(_Strict):
    """Settings an admin may change after creating a project."""

    overlap: int = Field(default=3, ge=1, le=50, description="Distinct annotators per pair.")
    lease_ttl: int = Field(default=1800, ge=1, le=7 * 86400, description="Lease lifetime (s).")
    gold_rate: float = Field(default=0.0, ge=0, le=1, description="Share of gold items served.")
    repeat_rate: float = Field(default=0.0, ge=0, le=1, description="Share of blind repeats.")
    repeat_gap: int = Field(
        default=20, ge=0, le=100_000, description="Judgments between a pair and its repeat."
    )
    max_leases: int = Field(
        default=50, ge=1, le=1_000_000, description="Live leases one annotator may hold."
    )
    lease_max_age: int = Field(
        default=14_400, ge=1, le=30 * 86400, description="A lease's lifetime with renewals (s)."
    )
    conflict_rule: str = Field(
        default="any_disagreement",
        description="any_disagreement | opposite_sides | ordinal_spread>=N",
    )
    tags: list[str] = Field(default_factory=list, description="Error-type tags offered.")
    criteria: list[str] = Field(default_factory=list, description="Per-criterion verdicts asked.")
    description: str = ""

    @field_validator("conflict_rule")
    @classmethod
    def _rule(cls, value: str) -> str:
        return validate_rule(value)


#: Input bounds on a project's words (not on ProjectPublic: a project stored before them must
#: still be shown).
_Word = Annotated[str, StringConstraints(max_length=200)]
MAX_PROJECT_TAGS = 64
MAX_PROJECT_CRITERIA = 32
MAX_DESCRIPTION = 10_000
MAX_GUIDELINES = 2_000_000


class ProjectCreate(ProjectSettings):
    name: str = Field(pattern=_NAME, description="Letters, digits, '.', '_' or '-'.")
    guidelines: str | None = Field(
        default=None, max_length=MAX_GUIDELINES, description="Initial guidelines (Markdown)."
    )
    tags: list[_Word] = Field(
        default_factory=list, max_length=MAX_PROJECT_TAGS, description="Error-type tags offered."
    )
    criteria: list[_Word] = Field(
        default_factory=list,
        max_length=MAX_PROJECT_CRITERIA,
        description="Per-criterion verdicts asked.",
    )
    description: str = Field(default="", max_length=MAX_DESCRIPTION)


class ProjectUpdate(_Strict):
    """A partial update: only the fields given change."""

    overlap: int | None = Field(default=None, ge=1, le=50)
    lease_ttl: int | None = Field(default=None, ge=1, le=7 * 86400)
    gold_rate: float | None = Field(default=None, ge=0, le=1)
    repeat_rate: float | None = Field(default=None, ge=0, le=1)
    repeat_gap: int | None = Field(default=None, ge=0, le=100_000)
    max_leases: int | None = Field(default=None, ge=1, le=1_000_000)
    lease_max_age: int | None = Field(default=None, ge=1, le=30 * 86400)
    conflict_rule: str | None = None
    tags: list[_Word] | None = Field(default=None, max_length=MAX_PROJECT_TAGS)
    criteria: list[_Word] | None = Field(default=None, max_length=MAX_PROJECT_CRITERIA)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)

    @field_validator("conflict_rule")
    @classmethod
    def _rule(cls, value: str | None) -> str | None:
        return None if value is None else validate_rule(value)


class ProjectPublic(ProjectSettings):
    name: str
    guideline_version: str | None = None
    created_at: datetime


class GuidelinesIn(_Strict):
    content: str = Field(min_length=1, max_length=MAX_GUIDELINES)


class GuidelinesPublic(BaseModel):
    version: str
    content: str
    created_at: datetime


class UserPublic(BaseModel):
    name: str
    role: Role
    profile: dict[str, Any] = Field(default_factory=dict)


class ImportResult(BaseModel):
    added: int = 0
    existing: int = 0
    invalid: int = 0
    #: ``line N: reason`` for the first invalid records (the rest are counted).
    issues: list[str] = Field(default_factory=list)


class LeaseRequest(_Strict):
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


class LeaseIds(_Strict):
    lease_ids: list[uuid.UUID] = Field(max_length=10_000)


class LeaseStatus(BaseModel):
    lease_id: uuid.UUID
    status: Literal["renewed", "released", "expired", "consumed", "unknown"]
    expires_at: datetime | None = None


class LeaseStatuses(BaseModel):
    leases: list[LeaseStatus]


#: An item of a batch: any JSON value here, because each item is checked on its own and a bad
#: one gets a rejected receipt naming the field, instead of failing the whole batch (which
#: would block a client's outbox behind one record). See server/records.py for the rules.
Item = Any


class JudgmentBatch(_Strict):
    """Judgments are checked one by one: a bad item is rejected with its reason, not the batch."""

    judgments: list[Item] = Field(
        description="model.Judgment records; annotator must be the token's user."
    )


class RetractionBatch(_Strict):
    retractions: list[Item] = Field(description="model.Retraction records.")


class SubmitResults(BaseModel):
    """One model.Ack per item, in request order (``judgment_id`` is the item's id)."""

    results: list[Ack]


class MyProgress(BaseModel):
    """The caller's own counts. Gold items and blind repeats count like any other verdict and
    are never counted apart: the annotator is blind to which is which."""

    annotator: str
    judged: int
    leased: int
    total_pairs: int


class ProjectProgress(BaseModel):
    total_pairs: int
    gold_pairs: int
    complete: int
    in_progress: int
    untouched: int
    judgments: int
    live_leases: int
    conflicts_open: int
    resolved: int
    annotators: int


class AnnotatorStats(BaseModel):
    annotator: str
    judgments: int
    gold_seen: int
    gold_correct: int
    repeats: int
    repeat_agree: int
    median_duration_ms: float | None
    flagged: int
    tie_rate: float | None


class ProjectStats(BaseModel):
    progress: ProjectProgress
    annotators: list[AnnotatorStats]


class ConflictItem(BaseModel):
    pair: dict[str, Any]
    judgments: list[Judgment]
    resolutions: list[Resolution] = Field(default_factory=list)


class ConflictQueue(BaseModel):
    items: list[ConflictItem]
    remaining: int


class ResolutionBatch(_Strict):
    resolutions: list[Item] = Field(description="model.Resolution records.")


class CommentIn(_Strict):
    text: str = Field(min_length=1, max_length=10_000)
    id: uuid.UUID | None = Field(default=None, description="Client id; makes a resend harmless.")


class CommentList(BaseModel):
    comments: list[Comment]


class ErrorBody(BaseModel):
    error: str
    detail: Any = None
