"""The domain model: the one place where a field of rankterm's data is defined.

Every surface (TUI, CLI, server, formats, quality) imports from here and nothing here imports
them. Records are pydantic v2 models so that every file and every HTTP payload is validated by
the same rules, and so that a bad record can be reported by field name instead of a traceback.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Version of the journal record layout; bumped when a record's meaning changes.
SCHEMA_VERSION = 1


def utcnow() -> datetime:
    """Timezone-aware now, so that journals from different machines sort correctly."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A client-made identifier: what makes every submit idempotent end to end."""
    return uuid.uuid4()


class Choice(StrEnum):
    """A verdict in the data's own A/B terms, never in screen left/right terms."""

    A = "A"
    B = "B"
    TIE = "tie"
    BOTH_BAD = "both_bad"


STRENGTH_WORDS = {1: "slightly better", 2: "better", 3: "much better"}

#: Which response a tag is about, in the data's A/B terms; ``both`` means each of them.
TagSide = Literal["A", "B", "both"]


class Message(BaseModel):
    """One turn of a conversation."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str


class Gold(BaseModel):
    """The known-correct verdict of a gold item, used to measure annotator accuracy."""

    model_config = ConfigDict(extra="allow")

    choice: Choice
    strength: int | None = Field(default=None, ge=1, le=3)
    explanation: str = ""


class Pair(BaseModel):
    """Two responses to one prompt or conversation, to be compared by a person.

    Unknown top-level fields are kept (``extra="allow"``) and written back unchanged, so that a
    team's own columns survive a round trip through rankterm.
    """

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str = Field(min_length=1)
    prompt: str | None = None
    messages: list[Message] | None = None
    response_a: str
    response_b: str
    model_a: str | None = None
    model_b: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    priority: float = 0
    gold: Gold | None = None

    @field_validator("gold", mode="before")
    @classmethod
    def _gold_shorthand(cls, value: Any) -> Any:
        """Accept ``"gold": "A"`` as shorthand for ``{"choice": "A"}``."""
        if isinstance(value, str):
            return {"choice": value}
        return value

    @model_validator(mode="after")
    def _has_context(self) -> Pair:
        if self.prompt is None and not self.messages:
            raise ValueError("a pair needs a 'prompt' or a non-empty 'messages' list")
        return self

    @property
    def conversation(self) -> list[Message]:
        """The context as turns, whether the file gave a prompt or messages."""
        if self.messages:
            return list(self.messages)
        return [Message(role="user", content=self.prompt or "")]

    @property
    def last_user_text(self) -> str:
        """The final user turn: what the two responses answer."""
        for message in reversed(self.conversation):
            if message.role == "user":
                return message.content
        return self.prompt or ""

    def to_json_dict(self) -> dict[str, Any]:
        """The record as it would be written to a pairs file, unknown fields included."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


class _Record(BaseModel):
    """Common shape of every journal line."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    id: uuid.UUID = Field(default_factory=new_id)
    created_at: datetime = Field(default_factory=utcnow)


class Judgment(_Record):
    """One annotator's verdict on one pair: the unit of preference data."""

    kind: Literal["judgment"] = "judgment"
    pair_id: str
    annotator: str = Field(min_length=1)
    choice: Choice
    strength: int | None = Field(default=None, ge=1, le=3)
    tags: list[str] = Field(default_factory=list)
    rationale: str = ""
    flagged: bool = False
    shown_swapped: bool = False
    duration_ms: int = Field(default=0, ge=0)
    guideline_version: str | None = None
    #: The answer the annotator wrote when both responses were bad (exported as SFT data).
    ideal_response: str | None = None
    #: Optional per-criterion verdicts (e.g. helpfulness, harmlessness), in A/B terms.
    criteria: dict[str, Choice] = Field(default_factory=dict)
    #: Set by the server when this judgment was made on a blind repeat or a gold item.
    source: str | None = None
    #: Which response each tag is about (A, B or both), for tags put on one response; a tag
    #: without an entry is about the pair as a whole, as every tag was before sides existed.
    #: Left out of the record when empty: a journal line or a submit without sides is the
    #: same bytes as before, which a task server that predates sides still accepts.
    tag_sides: dict[str, TagSide] = Field(default_factory=dict, exclude_if=lambda v: not v)

    @model_validator(mode="after")
    def _sides_of_own_tags(self) -> Judgment:
        stray = sorted(set(self.tag_sides) - set(self.tags))
        if stray:
            raise ValueError(f"tag_sides names tags the judgment does not have: {stray}")
        return self

    def tag_side(self, tag: str) -> TagSide | None:
        """The response ``tag`` is about, or None for a pair-level tag (or no such tag)."""
        return self.tag_sides.get(tag)

    @model_validator(mode="after")
    def _strength_matches_choice(self) -> Judgment:
        if self.choice in (Choice.A, Choice.B):
            if self.strength is None:
                raise ValueError("strength (1-3) is required when choice is A or B")
        elif self.strength is not None:
            raise ValueError(f"strength must be null when choice is {self.choice.value!r}")
        return self

    @property
    def ordinal(self) -> int | None:
        """Position on the -3..+3 scale (A much better = -3, tie = 0); None for both_bad."""
        return ordinal(self.choice, self.strength)


class Retraction(_Record):
    """Undo: withdraws an earlier judgment. Journals are append-only, so undo is a record too."""

    kind: Literal["retraction"] = "retraction"
    retracts: uuid.UUID
    pair_id: str
    annotator: str


class Resolution(_Record):
    """An adjudicator's final verdict on a contested pair: the label of record for export."""

    kind: Literal["resolution"] = "resolution"
    pair_id: str
    adjudicator: str = Field(min_length=1)
    choice: Choice | None = None
    strength: int | None = Field(default=None, ge=1, le=3)
    rationale: str = ""
    tags: list[str] = Field(default_factory=list)
    #: True when the adjudicator could not settle it because the guidelines are unclear.
    guideline_unclear: bool = False
    note: str = ""
    guideline_version: str | None = None
    #: The judgment ids that were on the table when this was decided (the audit trail).
    considered: list[uuid.UUID] = Field(default_factory=list)

    @model_validator(mode="after")
    def _settled_or_unclear(self) -> Resolution:
        if self.choice is None and not self.guideline_unclear:
            raise ValueError("a resolution needs a choice unless it is marked guideline_unclear")
        if self.choice in (Choice.A, Choice.B) and self.strength is None:
            raise ValueError("strength (1-3) is required when choice is A or B")
        if self.choice in (Choice.TIE, Choice.BOTH_BAD) and self.strength is not None:
            raise ValueError(f"strength must be null when choice is {self.choice.value!r}")
        return self

    @property
    def ordinal(self) -> int | None:
        return None if self.choice is None else ordinal(self.choice, self.strength)


class Comment(_Record):
    """A short note in a pair's discussion thread between annotators and adjudicators."""

    kind: Literal["comment"] = "comment"
    pair_id: str
    author: str = Field(min_length=1)
    text: str = Field(min_length=1, max_length=10_000)


class Ack(_Record):
    """The server's receipt for a judgment, journaled so a restart does not resend it."""

    kind: Literal["ack"] = "ack"
    judgment_id: uuid.UUID
    #: "accepted", "duplicate" (already had it) or "rejected" (kept locally, reported).
    status: Literal["accepted", "duplicate", "rejected"] = "accepted"
    reason: str = ""


JournalEntry = Annotated[
    Judgment | Retraction | Resolution | Comment | Ack, Field(discriminator="kind")
]


def ordinal(choice: Choice, strength: int | None) -> int | None:
    """Map a verdict to the ordinal scale used by weighted kappa and ordinal alpha."""
    if choice is Choice.TIE:
        return 0
    if choice is Choice.BOTH_BAD:
        return None
    magnitude = strength or 2
    return -magnitude if choice is Choice.A else magnitude


def from_ordinal(value: int) -> tuple[Choice, int | None]:
    """Inverse of :func:`ordinal` (both_bad has no ordinal value)."""
    if value == 0:
        return Choice.TIE, None
    return (Choice.A if value < 0 else Choice.B), abs(value)


# --- screen terms ---------------------------------------------------------------------------

Side = Literal["left", "right"]


def shown_swapped(annotator: str, pair_id: str) -> bool:
    """Whether this annotator sees B on the left for this pair.

    A stable hash rather than a random draw: the same person sees the same order after a
    restart, while across annotators the order is balanced, which is what lets position bias
    be measured and cancelled.
    """
    digest = hashlib.sha256(f"{annotator}\x00{pair_id}".encode()).digest()
    return bool(digest[0] & 1)


def tag_side_for_screen(side: Side, swapped: bool) -> TagSide:
    """The response shown on screen side ``side`` in A/B terms (where a tag put on a pane
    belongs): the left pane is A unless the pair is shown swapped."""
    return choice_for_side(side, Choice.A, swapped).value  # type: ignore[return-value]


def choice_for_side(side: Side | None, outcome: Choice, swapped: bool) -> Choice:
    """Translate a screen verdict (left/right better) into the data's A/B terms."""
    if outcome in (Choice.TIE, Choice.BOTH_BAD):
        return outcome
    left_is_a = not swapped
    picked_left = side == "left"
    return Choice.A if picked_left == left_is_a else Choice.B


#: A per-criterion verdict as the annotator sees it: a screen side, or a verdict with no side.
ScreenChoice = Literal["left", "right", "tie", "both_bad"]


def criteria_from_screen(marks: dict[str, ScreenChoice], swapped: bool) -> dict[str, Choice]:
    """Per-criterion marks made on screen (left / right) in the data's A/B terms."""
    out: dict[str, Choice] = {}
    for name, mark in marks.items():
        if mark in ("left", "right"):
            out[name] = choice_for_side(mark, Choice.A, swapped)  # type: ignore[arg-type]
        else:
            out[name] = Choice(mark)
    return out


def criteria_on_screen(criteria: dict[str, Choice], swapped: bool) -> dict[str, ScreenChoice]:
    """The inverse of :func:`criteria_from_screen`: where each A/B verdict sits on screen."""
    return {
        name: side_for_choice(choice, swapped) or choice.value  # type: ignore[misc]
        for name, choice in criteria.items()
    }


def side_for_choice(choice: Choice, swapped: bool) -> Side | None:
    """Where on screen a data-terms verdict points (None for tie / both_bad)."""
    if choice is Choice.A:
        return "right" if swapped else "left"
    if choice is Choice.B:
        return "left" if swapped else "right"
    return None


def describe(choice: Choice, strength: int | None, swapped: bool | None = None) -> str:
    """Human wording of a verdict, in screen terms when the side order is known."""
    if choice is Choice.TIE:
        return "tie"
    if choice is Choice.BOTH_BAD:
        return "both bad"
    words = STRENGTH_WORDS.get(strength or 2, "better")
    if swapped is None:
        return f"{choice.value} {words}"
    side = side_for_choice(choice, swapped)
    return f"{side} {words}"
