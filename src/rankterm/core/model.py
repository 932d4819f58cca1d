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


class _Context:
    """What a pair and a ranking task share: a prompt or a conversation, and how they are
    written back. A plain mixin (not a model), so each record keeps its own field order."""

    prompt: str | None
    messages: list[Message] | None

    @property
    def conversation(self) -> list[Message]:
        """The context as turns, whether the file gave a prompt or messages."""
        if self.messages:
            return list(self.messages)
        return [Message(role="user", content=self.prompt or "")]

    @property
    def last_user_text(self) -> str:
        """The final user turn: what the responses answer."""
        for message in reversed(self.conversation):
            if message.role == "user":
                return message.content
        return self.prompt or ""

    def to_json_dict(self) -> dict[str, Any]:
        """The record as it would be written to a pairs file, unknown fields included."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)  # type: ignore[attr-defined]


class Pair(_Context, BaseModel):
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


# --- K-way rankings -------------------------------------------------------------------------

#: How many responses a ranking task may hold (InstructGPT ranked 4 to 9; two is a pair).
MIN_K, MAX_K = 3, 9
#: How candidates are named on screen and in typed orders: letters, never model names.
CANDIDATE_LETTERS = "ABCDEFGHI"

#: An order of candidates: tiers from best to worst, each tier a list of 0-based candidate
#: indices that are tied. ``[[2], [0, 3], [1]]`` reads "C > A = D > B".
Order = list[list[int]]


class Candidate(BaseModel):
    """One of the K responses of a ranking task."""

    model_config = ConfigDict(extra="allow")

    content: str
    model: str | None = None


class GoldOrder(BaseModel):
    """The known-correct order of a gold ranking task; annotators are scored by Kendall's tau."""

    model_config = ConfigDict(extra="allow")

    order: Order
    explanation: str = ""


class RankTask(_Context, BaseModel):
    """K responses (3 to 9) to one prompt, to be put in order by pairwise comparisons.

    A pairs file may mix these with :class:`Pair` records; what tells them apart is the
    ``responses`` list (see :func:`parse_task`). Unknown fields are kept, as for pairs.
    """

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str = Field(min_length=1)
    prompt: str | None = None
    messages: list[Message] | None = None
    responses: list[Candidate]
    metadata: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    priority: float = 0
    gold: GoldOrder | None = None

    @field_validator("responses", mode="before")
    @classmethod
    def _plain_strings(cls, value: Any) -> Any:
        """Accept bare strings as candidates: ``"responses": ["...", "...", "..."]``."""
        if isinstance(value, list):
            return [{"content": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("responses")
    @classmethod
    def _k_in_range(cls, value: list[Candidate]) -> list[Candidate]:
        if not MIN_K <= len(value) <= MAX_K:
            raise ValueError(
                f"a ranking task needs {MIN_K} to {MAX_K} responses, not {len(value)} "
                "(two responses are a pair: use response_a and response_b)"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _gold_shorthand(cls, data: Any) -> Any:
        """Accept ``"gold": "C>A=D>B"`` (or ``"CADB"``, ``"3142"``, a list of tiers)."""
        if isinstance(data, dict) and data.get("gold") is not None:
            gold = data["gold"]
            k = len(data.get("responses") or [])
            if isinstance(gold, str):
                data = {**data, "gold": {"order": parse_order(gold, k)}}
            elif isinstance(gold, list):
                data = {**data, "gold": {"order": gold}}
        return data

    @model_validator(mode="after")
    def _valid(self) -> RankTask:
        if self.prompt is None and not self.messages:
            raise ValueError("a ranking task needs a 'prompt' or a non-empty 'messages' list")
        if self.gold is not None:
            check_full_order(self.gold.order, self.k)
        return self

    @property
    def k(self) -> int:
        return len(self.responses)


#: Anything a pairs file may hold.
Task = Pair | RankTask


def is_ranking_record(data: dict[str, Any]) -> bool:
    """Whether a raw record is a K-way ranking task (it has a ``responses`` list)."""
    return "responses" in data and "response_a" not in data and "response_b" not in data


def parse_task(data: dict[str, Any]) -> Task:
    """Validate one pairs-file record as a :class:`Pair` or a :class:`RankTask`.

    Raises pydantic's ValidationError, as ``Pair.model_validate`` does, so callers report the
    field the same way for both kinds.
    """
    if is_ranking_record(data):
        return RankTask.model_validate(data)
    return Pair.model_validate(data)


def check_full_order(order: Order, k: int) -> None:
    """Raise ValueError unless ``order`` places each of the ``k`` candidates exactly once."""
    seen = [i for tier in order for i in tier]
    if any(not tier for tier in order):
        raise ValueError("an order has an empty tier")
    bad = [i for i in seen if not 0 <= i < k]
    if bad:
        raise ValueError(f"candidate {bad[0] + 1} does not exist (this task has {k})")
    if len(seen) != len(set(seen)):
        twice = next(i for i in seen if seen.count(i) > 1)
        raise ValueError(f"candidate {candidate_name(twice)} is placed twice")
    if len(seen) != k:
        missing = sorted(set(range(k)) - set(seen))
        raise ValueError("the order leaves out " + ", ".join(candidate_name(i) for i in missing))


def candidate_name(index: int) -> str:
    """The on-screen name of a candidate (A, B, C ...): never its model."""
    return CANDIDATE_LETTERS[index] if 0 <= index < len(CANDIDATE_LETTERS) else f"#{index + 1}"


def parse_order(text: str, k: int) -> Order:
    """Read a typed order: letters or 1-based digits, best first, ``=`` ties, ``>``/spaces free.

    ``"CADB"``, ``"3142"``, ``"C > A = D > B"`` and ``"31=42"`` are all accepted. The order must
    be complete (every candidate once); a ValueError says what is wrong, for the person typing.
    """
    tiers: Order = [[]]
    tie_next = False
    for ch in text.strip().upper():
        if ch in " >,":
            continue
        if ch == "=":
            if not tiers[-1]:
                raise ValueError("'=' must stand between two candidates")
            tie_next = True
            continue
        if ch.isdigit():
            index = int(ch) - 1
        elif ch in CANDIDATE_LETTERS:
            index = CANDIDATE_LETTERS.index(ch)
        else:
            raise ValueError(f"{ch!r} is not a candidate: use letters A-{candidate_name(k - 1)}")
        if not 0 <= index < k:
            raise ValueError(f"{ch} is not a candidate here: this task has {k}")
        if tie_next or not tiers[-1]:
            tiers[-1].append(index)
        else:
            tiers.append([index])
        tie_next = False
    if tie_next:
        raise ValueError("'=' must stand between two candidates")
    if not tiers[-1]:
        raise ValueError("no order typed")
    check_full_order(tiers, k)
    return tiers


def format_order(order: Order) -> str:
    """``[[2], [0, 3], [1]]`` as ``"C > A = D > B"``."""
    return " > ".join(" = ".join(candidate_name(i) for i in tier) for tier in order)


def implied_pairs(order: Order) -> list[tuple[int, int, Choice]]:
    """Every comparison an order implies, as ``(i, j, choice)`` with ``i < j``.

    ``choice`` is in the pair's own terms: :attr:`Choice.A` means candidate ``i`` ranks above
    ``j``, :attr:`Choice.TIE` that they share a tier. K candidates give K(K-1)/2 of them.
    """
    rank = {i: t for t, tier in enumerate(order) for i in tier}
    out: list[tuple[int, int, Choice]] = []
    for i in sorted(rank):
        for j in sorted(rank):
            if j <= i:
                continue
            if rank[i] < rank[j]:
                out.append((i, j, Choice.A))
            elif rank[i] > rank[j]:
                out.append((i, j, Choice.B))
            else:
                out.append((i, j, Choice.TIE))
    return out


def ranks(order: Order) -> dict[int, float]:
    """Each candidate's rank (1 = best), ties sharing the mean of their places (for W, tau)."""
    out: dict[int, float] = {}
    place = 1
    for tier in order:
        mean = place + (len(tier) - 1) / 2
        for i in tier:
            out[i] = mean
        place += len(tier)
    return out


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


class Comparison(_Record):
    """One pairwise comparison made while ranking a :class:`RankTask`, fsynced as it is made.

    In data terms, like a judgment: ``choice`` A means candidate ``a`` is better than ``b``.
    Journaled one by one so that a crash mid-ranking resumes where it was; undo is a
    :class:`Retraction` of the comparison. Both-bad has no place in an order and is refused.
    """

    kind: Literal["comparison"] = "comparison"
    pair_id: str
    annotator: str = Field(min_length=1)
    #: The ranking attempt this comparison belongs to (the :class:`Ranking` that closes it).
    ranking_id: uuid.UUID
    a: int = Field(ge=0, lt=MAX_K)
    b: int = Field(ge=0, lt=MAX_K)
    choice: Choice
    strength: int | None = Field(default=None, ge=1, le=3)
    #: True when candidate ``b`` was on the left of the screen.
    shown_swapped: bool = False
    duration_ms: int = Field(default=0, ge=0)
    #: True when this comparison re-asked one that contradicted the order so far.
    recheck: bool = False

    @model_validator(mode="after")
    def _valid(self) -> Comparison:
        if self.a == self.b:
            raise ValueError("a comparison needs two different candidates")
        if self.choice is Choice.BOTH_BAD:
            raise ValueError("both_bad has no place in an order: a comparison is A, B or tie")
        if self.choice in (Choice.A, Choice.B) and self.strength is None:
            raise ValueError("strength (1-3) is required when choice is A or B")
        if self.choice is Choice.TIE and self.strength is not None:
            raise ValueError("strength must be null when choice is 'tie'")
        return self


class Ranking(_Record):
    """An annotator's full order of a :class:`RankTask`: the unit of K-way preference data."""

    kind: Literal["ranking"] = "ranking"
    pair_id: str
    annotator: str = Field(min_length=1)
    ranking_id: uuid.UUID
    k: int = Field(ge=MIN_K, le=MAX_K)
    order: Order
    #: The :class:`Comparison` ids the order was built from, in the order they were made.
    comparisons: list[uuid.UUID] = Field(default_factory=list)
    #: True when the annotator typed the order instead of building it by comparisons.
    typed: bool = False
    tags: list[str] = Field(default_factory=list)
    rationale: str = ""
    flagged: bool = False
    duration_ms: int = Field(default=0, ge=0)
    guideline_version: str | None = None
    #: Set by the server when this ranking was made on a blind repeat or a gold item.
    source: str | None = None

    @model_validator(mode="after")
    def _full(self) -> Ranking:
        check_full_order(self.order, self.k)
        return self


class Retraction(_Record):
    """Undo: withdraws an earlier judgment, comparison or ranking (append-only journals)."""

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
    #: For a ranking task: the order of record the adjudicator set (instead of ``choice``).
    order: Order | None = None

    @model_validator(mode="after")
    def _settled_or_unclear(self) -> Resolution:
        if self.order is not None:
            if self.choice is not None:
                raise ValueError("a resolution sets a choice (a pair) or an order (a ranking)")
            if not self.order or any(not tier for tier in self.order):
                raise ValueError("an order of record needs every candidate in a tier")
            return self
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
    Judgment | Comparison | Ranking | Retraction | Resolution | Comment | Ack,
    Field(discriminator="kind"),
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
