"""Request and response bodies of the HTTP API (separate from the table rows).

Records that also live in journals (judgments, retractions, resolutions, comments, acks) are
the domain model's own classes; the shapes here are the envelopes around them and the
server's own resources (projects, leases, progress).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from rankterm.core.model import Ack, Comment
from rankterm.core.wire import MAX_COMMENT, Strict

# The shared wire shapes (one definition for server and client), served under these names.
from rankterm.core.wire import ConflictItem as ConflictItem
from rankterm.core.wire import LeasedPair as LeasedPair
from rankterm.core.wire import LeaseIds as LeaseIds
from rankterm.core.wire import LeaseRequest as LeaseRequest
from rankterm.core.wire import LeaseResponse as LeaseResponse
from rankterm.core.wire import LeaseStatus as LeaseStatus
from rankterm.core.wire import LeaseStatuses as LeaseStatuses
from rankterm.core.wire import MyProgress as MyProgress
from rankterm.server.conflicts import validate_rule
from rankterm.server.pools import MAX_REQUIREMENTS, canonical_requirements

Role = Literal["annotator", "adjudicator", "admin"]
Ordering = Literal["priority", "informative"]
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"


_Strict = Strict


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
    ordering: Ordering = Field(
        default="priority",
        description="priority (highest first) | informative (the labels that teach the most)",
    )
    extra_on_conflict: int = Field(
        default=0,
        ge=0,
        le=50,
        description="Extra annotators for a pair whose first `overlap` verdicts disagree.",
    )
    tags: list[str] = Field(default_factory=list, description="Error-type tags offered.")
    criteria: list[str] = Field(default_factory=list, description="Per-criterion verdicts asked.")
    description: str = ""
    requirements: list[str] = Field(
        default_factory=list,
        max_length=MAX_REQUIREMENTS,
        description="Annotator pools: SLICE=VALUE:ATTRIBUTE=VALUE, e.g. "
        "metadata.language=de:languages=de (a pair of the slice needs that profile attribute).",
    )

    @field_validator("conflict_rule")
    @classmethod
    def _rule(cls, value: str) -> str:
        return validate_rule(value)

    @field_validator("requirements")
    @classmethod
    def _requirements(cls, value: list[str]) -> list[str]:
        return canonical_requirements(value)


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
    ordering: Ordering | None = None
    extra_on_conflict: int | None = Field(default=None, ge=0, le=50)
    tags: list[_Word] | None = Field(default=None, max_length=MAX_PROJECT_TAGS)
    criteria: list[_Word] | None = Field(default=None, max_length=MAX_PROJECT_CRITERIA)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    #: The whole list ([] clears it); a change recomputes every pair's pool.
    requirements: list[str] | None = Field(default=None, max_length=MAX_REQUIREMENTS)

    @field_validator("conflict_rule")
    @classmethod
    def _rule(cls, value: str | None) -> str | None:
        return None if value is None else validate_rule(value)

    @field_validator("requirements")
    @classmethod
    def _requirements(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else canonical_requirements(value)


class ProjectPublic(ProjectSettings):
    name: str
    guideline_version: str | None = None
    created_at: datetime


class GuidelinesIn(_Strict):
    content: str = Field(min_length=1, max_length=MAX_GUIDELINES)
    #: What to queue for blind re-judging under the new version (rankterm.server.rejudge).
    requeue: Literal["changed", "unclear", "none"] = "none"


class GuidelinesPublic(BaseModel):
    version: str
    content: str
    created_at: datetime


class SectionChanges(BaseModel):
    added: list[str] = []
    removed: list[str] = []
    changed: list[str] = []


class RequeueResult(BaseModel):
    """What a requeue picked and queued, and why (counts of pairs by reason)."""

    mode: str
    version: str
    #: Re-judgments picked (one per annotator and pair), and the pairs they are on.
    picked: int = 0
    pairs: int = 0
    annotators: int = 0
    #: Of ``picked``: queued now, and already queued by an earlier run (not queued twice).
    queued: int = 0
    already: int = 0
    #: Reason -> pairs picked for it (a pair may have several reasons).
    by_reason: dict[str, int] = {}

    def lines(self) -> list[str]:
        out = [
            f"requeue {self.mode}: {self.picked} re-judgment{'' if self.picked == 1 else 's'} "
            f"of {self.pairs} pair{'' if self.pairs == 1 else 's'} by {self.annotators} "
            f"annotator{'' if self.annotators == 1 else 's'} under {self.version} "
            f"({self.queued} queued now, {self.already} already queued)"
        ]
        out += [f"  {n} pair{'' if n == 1 else 's'}: {why}" for why, n in self.by_reason.items()]
        return out


class GuidelinesUploaded(GuidelinesPublic):
    """The stored version, the one current before it, which sections changed, and what was
    queued for re-judging (``requeue``)."""

    previous: str | None = None
    sections: SectionChanges
    requeue: RequeueResult


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


#: An item of a batch: any JSON value here, because each item is checked on its own and a bad
#: one gets a rejected receipt naming the field, instead of failing the whole batch (which
#: would block a client's outbox behind one record). See server/records.py for the rules.
Item = Any


class JudgmentBatch(_Strict):
    """Judgments are checked one by one: a bad item is rejected with its reason, not the batch."""

    judgments: list[Item] = Field(
        description="model.Judgment records; annotator must be the token's user."
    )


class RankingBatch(_Strict):
    """Complete rankings, each with its comparisons (``steps``); checked one by one."""

    rankings: list[Item] = Field(
        description="model.Ranking records with a 'steps' list of model.Comparison records."
    )


class RetractionBatch(_Strict):
    retractions: list[Item] = Field(description="model.Retraction records.")


class SubmitResults(BaseModel):
    """One model.Ack per item, in request order (``judgment_id`` is the item's id)."""

    results: list[Ack]


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
    #: Mean Kendall's tau of the annotator's gold rankings against the gold orders (None
    #: without any): 1 is every gold order matched, -1 every one reversed.
    gold_tau: float | None = None


class ProjectStats(BaseModel):
    progress: ProjectProgress
    annotators: list[AnnotatorStats]
    #: rankterm.server.reports.guideline_versions: per version, and re-judgments.
    guideline_versions: dict[str, Any] | None = None
    #: Pool composition per slice (rankterm.server.pools.report).
    pools: dict[str, Any] | None = None


class UserAttributes(_Strict):
    """Change a user's pool attributes (admin): set some, remove others."""

    set: dict[str, list[str]] = Field(default_factory=dict, max_length=64)
    remove: list[str] = Field(default_factory=list, max_length=64)


class UserAdmin(BaseModel):
    name: str
    role: str
    active: bool
    profile: dict[str, Any]


class ConflictQueue(BaseModel):
    items: list[ConflictItem]
    remaining: int


class ResolutionBatch(_Strict):
    resolutions: list[Item] = Field(description="model.Resolution records.")


class ReferralIn(_Strict):
    """An LLM judge's verdict on a pair (``rankterm judge``), offered to adjudication."""

    pair_id: str = Field(min_length=1, max_length=1_000)
    judge: str = Field(min_length=1, max_length=200)
    choice: Literal["A", "B", "tie", "both_bad"]
    strength: int | None = Field(default=None, ge=1, le=3)
    rationale: str = Field(default="", max_length=MAX_COMMENT)


class ReferralBatch(_Strict):
    items: list[ReferralIn] = Field(max_length=10_000)


class ReferralResult(BaseModel):
    """What became of the verdicts: referred (the human majority differs), already referred,
    agreed with the majority, no majority yet, no such pair, or a K-way ranking task (a
    pairwise verdict does not apply to it)."""

    referred: int
    already: int
    agreed: int
    no_majority: int
    unknown: int
    ranking_task: int = 0


class CommentIn(_Strict):
    text: str = Field(min_length=1, max_length=MAX_COMMENT)
    id: uuid.UUID | None = Field(default=None, description="Client id; makes a resend harmless.")


class CommentList(BaseModel):
    comments: list[Comment]


class ErrorBody(BaseModel):
    error: str
    detail: Any = None
