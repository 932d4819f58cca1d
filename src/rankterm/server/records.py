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

from rankterm.core.model import Choice, Judgment, Resolution, Retraction, TagSide

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

    created_at: CreatedAt
