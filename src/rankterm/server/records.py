"""The records the server accepts: the domain model's own classes, held to stricter rules.

A journal keeps whatever it is given (``extra="allow"``, no size caps: an old or foreign line
must still load), but what the server stores becomes the labels of record, so here unknown
fields are refused rather than stored, and every size has a ceiling far above honest use:
long rationales and ideal answers pass, a megabyte of rationale, five thousand tags or a
created_at in year 1 do not. Integers are bounded, so none beyond 64 bits reaches storage.
Each refusal names the field (``rationale: String should have at most 50000 characters``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from rankterm.core.model import (
    MAX_K,
    Choice,
    Comparison,
    Judgment,
    Order,
    Ranking,
    Resolution,
    Retraction,
    TagSide,
    candidate_name,
)

# The limits are the client's too (its editors refuse longer text before a verdict is journaled),
# so they live in the wire module both sides import.
from rankterm.core.wire import (
    MAX_CRITERIA,
    MAX_DURATION_MS,
    MAX_ID,
    MAX_IDEAL,
    MAX_NAME,
    MAX_TAGS,
    MAX_TEXT,
)

#: The dates a record may carry: earlier or later is a broken clock or a forgery. Checked by
#: pydantic's own constraints (a Python validator here cost half again the whole validation).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


Name = Annotated[str, StringConstraints(max_length=MAX_NAME)]
PairId = Annotated[str, StringConstraints(max_length=MAX_ID)]
Tag = Annotated[str, StringConstraints(max_length=MAX_NAME)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]

#: A tier list bounded before it is checked: a megabyte-long order is refused by its length
#: (naming the field), not walked.
BoundedOrder = Annotated[
    list[Annotated[list[int], Field(max_length=MAX_K)]], Field(min_length=1, max_length=MAX_K)
]

_STRICT = ConfigDict(extra="forbid")


def _now() -> datetime:
    return datetime.now(UTC)


#: ``created_at`` within [EARLIEST, LATEST).
CreatedAt = Annotated[datetime, Field(default_factory=_now, ge=EARLIEST, lt=LATEST)]


class JudgmentIn(Judgment):
    model_config = _STRICT

    schema_version: int = Field(default=1, ge=1, le=1000)
    pair_id: PairId
    annotator: Name = Field(min_length=1)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    rationale: Text = ""
    duration_ms: int = Field(default=0, ge=0, le=MAX_DURATION_MS)
    guideline_version: Name | None = None
    ideal_response: Annotated[str, StringConstraints(max_length=MAX_IDEAL)] | None = None
    criteria: dict[Name, Choice] = Field(default_factory=dict, max_length=MAX_CRITERIA)
    source: Name | None = None
    tag_sides: dict[Tag, TagSide] = Field(
        default_factory=dict, max_length=MAX_TAGS, exclude_if=lambda v: not v
    )

    created_at: CreatedAt


class RetractionIn(Retraction):
    model_config = _STRICT

    schema_version: int = Field(default=1, ge=1, le=1000)
    pair_id: PairId
    annotator: Name

    created_at: CreatedAt


class ResolutionIn(Resolution):
    model_config = _STRICT

    schema_version: int = Field(default=1, ge=1, le=1000)
    pair_id: PairId
    adjudicator: Name = Field(min_length=1)
    rationale: Text = ""
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    note: Text = ""
    guideline_version: Name | None = None
    considered: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    order: BoundedOrder | None = None

    created_at: CreatedAt


#: Comparisons one ranking may carry: every pair of 9 candidates (36) asked, then re-asked
#: after contradictions and undone, with room to spare. More is not a person ranking.
MAX_STEPS = 200


class ComparisonIn(Comparison):
    """One comparison of a ranking, as submitted inside its :class:`RankingIn`."""

    model_config = _STRICT

    schema_version: int = Field(default=1, ge=1, le=1000)
    pair_id: PairId
    annotator: Name = Field(min_length=1)
    duration_ms: int = Field(default=0, ge=0, le=MAX_DURATION_MS)

    created_at: CreatedAt


class RankingIn(Ranking):
    """A full order of a ranking task, submitted once it is complete, with the comparisons it
    was built from (``steps``, each a journal :class:`Comparison`): the server stores them with
    the ranking, so a lease is consumed by one record and a ranking is never half stored.

    The comparisons' candidate indices are checked against the task's K on the server (after
    the lease check, so that the answer for a task never leased stays the one for pairs)."""

    model_config = _STRICT

    schema_version: int = Field(default=1, ge=1, le=1000)
    pair_id: PairId
    annotator: Name = Field(min_length=1)
    order: BoundedOrder
    comparisons: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_STEPS)
    steps: list[ComparisonIn] = Field(default_factory=list, max_length=MAX_STEPS)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    rationale: Text = ""
    duration_ms: int = Field(default=0, ge=0, le=MAX_DURATION_MS)
    guideline_version: Name | None = None
    source: Name | None = None

    created_at: CreatedAt

    def problem(self, k: int) -> str | None:
        """Why this ranking does not fit a task of ``k`` candidates (None if it does)."""
        if self.k != k:
            return f"k: this task has {k} candidates, not {self.k}"
        if [s.id for s in self.steps] != list(self.comparisons):
            return "comparisons: must list the ids of the steps sent with it, in order"
        seen = {self.id}
        pairs: dict[frozenset[int], int] = {}
        for n, step in enumerate(self.steps):
            if step.id in seen:
                # Steps go out in the export as records of their own, by id: two with one id
                # would be one record to a reader, and the other comparison lost.
                return f"steps.{n}.id: {step.id} is the id of the ranking or of another step"
            seen.add(step.id)
            # A new answer on two candidates withdraws the old one, so the standing
            # comparisons hold one per two: more would weigh a comparison twice in export.
            first = pairs.setdefault(frozenset((step.a, step.b)), n)
            if first != n:
                a, b = sorted((step.a, step.b))
                return (
                    f"steps.{n}: compares {candidate_name(a)} and {candidate_name(b)} again "
                    f"(steps.{first}); send the standing comparisons only"
                )
            if step.pair_id != self.pair_id or step.ranking_id != self.ranking_id:
                return f"steps.{n}: a comparison of another ranking"
            if step.annotator != self.annotator:
                return f"steps.{n}.annotator: not the ranking's annotator"
            if step.a >= k or step.b >= k:
                return f"steps.{n}: candidate {max(step.a, step.b) + 1} does not exist (k={k})"
        return self.disagreement()

    def disagreement(self) -> str | None:
        """Where the order says the opposite of a comparison it was built from, or None.

        The client's order always agrees with its standing comparisons (a typed order that
        does not is re-asked until it does): a record whose order contradicts its own steps
        would put both labels, one of them wrong, into the export."""
        tier = {i: t for t, members in enumerate(self.order) for i in members}
        for n, step in enumerate(self.steps):
            a, b = tier.get(step.a), tier.get(step.b)
            if a is None or b is None:
                continue  # beyond K: refused by the caller's own check
            says = Choice.TIE if a == b else (Choice.A if a < b else Choice.B)
            if says is not step.choice:
                name_a, name_b = candidate_name(step.a), candidate_name(step.b)
                return (
                    f"order: ranks {_relation(name_a, name_b, says)}, but steps.{n} says "
                    f"{_relation(name_a, name_b, step.choice)}"
                )
        return None

    def journal_records(self) -> tuple[list[dict], dict]:
        """(comparisons, ranking) as journal lines: what export and replay read."""
        data = self.model_dump(mode="json", exclude={"steps"})
        return [s.model_dump(mode="json") for s in self.steps], data


def _relation(a: str, b: str, choice: Choice) -> str:
    if choice is Choice.TIE:
        return f"{a} = {b}"
    return f"{a} > {b}" if choice is Choice.A else f"{b} > {a}"


def order_problem(order: Order, k: int) -> str | None:
    """Why ``order`` is not a full order of ``k`` candidates (None if it is)."""
    from rankterm.core.model import check_full_order

    try:
        check_full_order(order, k)
    except ValueError as exc:
        return f"order: {exc}"
    return None
