"""The protocol every task source implements, and the small value types it hands the UI."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal, Protocol

from rankterm.core.errors import LoadIssue
from rankterm.core.model import Choice, Gold, Judgment, Pair, TagSide
from rankterm.storage.journal import Journal


class SyncState(StrEnum):
    """What the status bar says about delivery to the server."""

    LOCAL = "local"
    SYNCED = "synced"
    SYNCING = "syncing"
    OFFLINE = "offline"


class SourceEvent(StrEnum):
    """What changed in a source without the annotator doing anything: the UI repaints or
    asks the source for the news (``take_new_issues``, ``take_notices``) when told."""

    #: Sync state, progress or the pairs on hand changed (a remote source's sync pass).
    SYNC = "sync"
    #: Bad input lines were found late (``take_new_issues`` has them).
    ISSUES = "issues"
    #: Something the annotator must be told (``take_notices`` has it).
    NOTICES = "notices"
    #: Indexing or checking a big input went on (``progress`` says how far).
    INDEXING = "indexing"


#: Called with each event, from whichever thread noticed the change (a sync thread, an
#: indexing thread, or the caller's own): it must not block and must not raise.
SourceListener = Callable[[SourceEvent], None]

_log = logging.getLogger(__name__)


class SourceEvents:
    """The observer side every source shares: the UI subscribes a plain callback (the source
    knows nothing of Textual); the source calls :meth:`emit` whenever something the screen
    shows changed on its own. Emitting is cheap and never raises: a failing listener is
    logged and the source carries on (a verdict never waits on the UI)."""

    def __init__(self) -> None:
        self._listeners: list[SourceListener] = []
        self._listeners_lock = threading.Lock()

    def subscribe(self, listener: SourceListener) -> Callable[[], None]:
        """Call ``listener`` on every event from now on; returns the unsubscribe function."""
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: SourceEvent) -> None:
        """Tell every listener. Call it without holding the source's lock: a listener may
        hand the event to another thread, which may need that lock to act on it."""
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a UI going away must not stop a sync or an index
                _log.exception("source listener failed on %s", event)


@dataclass
class Draft:
    """What the annotator has set on the current pair before giving the verdict."""

    tags: set[str] = field(default_factory=set)
    rationale: str = ""
    flagged: bool = False
    ideal_response: str | None = None
    criteria: dict[str, Choice] = field(default_factory=dict)
    """Per-criterion verdicts, already in A/B terms."""
    tag_sides: dict[str, TagSide] = field(default_factory=dict)
    """Which response a tag in ``tags`` is about, already in A/B terms (absent: the pair)."""

    @classmethod
    def from_judgment(cls, judgment: Judgment | None) -> Draft:
        if judgment is None:
            return cls()
        return cls(
            tags=set(judgment.tags),
            rationale=judgment.rationale,
            flagged=judgment.flagged,
            ideal_response=judgment.ideal_response,
            criteria=dict(judgment.criteria),
            tag_sides=dict(judgment.tag_sides),
        )


def toggle_tag_side(draft: Draft, tag: str, side: Literal["A", "B"]) -> Draft:
    """``draft`` with ``tag`` put on, or taken off, response ``side`` (A/B terms).

    Off the tag goes on ``side`` alone; a pair-level tag becomes a tag of ``side``; on the
    other side it becomes ``both``; from ``both`` only the other side stays; on ``side`` alone
    it comes off altogether. A new draft: the screen's reactive sees every change.
    """
    other = "B" if side == "A" else "A"
    tags, sides = set(draft.tags), dict(draft.tag_sides)
    current = sides.get(tag) if tag in tags else "off"
    if current == side:
        tags.discard(tag)
        sides.pop(tag, None)
    else:
        tags.add(tag)
        sides[tag] = {"both": other, other: "both"}.get(current or "", side)  # type: ignore[assignment]
    return replace(draft, tags=tags, tag_sides=sides)


def toggle_tag(draft: Draft, tag: str) -> Draft:
    """``draft`` with ``tag`` toggled as a tag of the pair as a whole (no side)."""
    sides = {t: s for t, s in draft.tag_sides.items() if t != tag}
    return replace(draft, tags=draft.tags ^ {tag}, tag_sides=sides)


@dataclass(frozen=True)
class PairView:
    """One pair as the annotator sees it: which response is on which side, and any verdict."""

    pair: Pair
    position: int
    """Place in the serving order (0-based)."""
    swapped: bool
    """True when response B is shown on the left."""
    existing: Judgment | None = None
    """The annotator's standing verdict on this pair, when revisiting it."""

    @property
    def left_text(self) -> str:
        return self.pair.response_b if self.swapped else self.pair.response_a

    @property
    def right_text(self) -> str:
        return self.pair.response_a if self.swapped else self.pair.response_b


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    pending_sync: int = 0
    sync: SyncState = SyncState.LOCAL
    sync_detail: str = ""
    #: Nothing on hand yet, but more may come (remote mode waiting for a lease).
    waiting: bool = False
    #: Judgments the server refused (kept in the journal and reported, never dropped).
    rejected: int = 0
    #: ``total`` is an estimate (a big file still being indexed).
    estimated: bool = False

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def build_judgment(
    view: PairView,
    *,
    annotator: str,
    choice: Choice,
    strength: int | None,
    draft: Draft,
    duration_ms: int,
    guideline_version: str | None,
) -> Judgment:
    """The judgment a verdict on ``view`` makes, whatever the source: one place for the fields."""
    return Judgment(
        pair_id=view.pair.id,
        annotator=annotator,
        choice=choice,
        strength=strength if choice in (Choice.A, Choice.B) else None,
        tags=sorted(draft.tags),
        rationale=draft.rationale,
        flagged=draft.flagged,
        shown_swapped=view.swapped,
        duration_ms=max(0, duration_ms),
        guideline_version=guideline_version,
        ideal_response=draft.ideal_response,
        criteria=dict(draft.criteria),
        tag_sides={t: s for t, s in draft.tag_sides.items() if t in draft.tags},
    )


class TaskSource(Protocol):
    """What the annotation screen needs from wherever pairs and judgments live.

    Methods may block on disk (fsync) or network; the UI calls them from worker threads.
    ``record`` must not return before the judgment is durable.
    """

    annotator: str
    guideline_version: str | None
    #: The source's own per-criterion verdicts (a task server project's), shown after the
    #: configured ones; empty when the source has none.
    criteria: list[str]
    #: The journal every verdict goes to first (its path is named at the end of a session).
    journal: Journal
    #: Bad journal lines found at open (reported, never fatal).
    journal_issues: list[LoadIssue]

    #: Change notifications for the UI (sync state, late issues, notices, indexing):
    #: ``events.subscribe(callback)``. Replaces polling the getters below.
    events: SourceEvents

    def current(self) -> PairView | None:
        """The pair on screen, or None when there is nothing left to judge."""

    def peek_next(self) -> PairView | None:
        """The pair that a verdict would show next (so the UI can render it ahead)."""

    def record(
        self, choice: Choice, strength: int | None, draft: Draft, duration_ms: int
    ) -> Judgment:
        """Durably record a verdict on the current pair and move to the next one."""

    def undo(self) -> Judgment | None:
        """Retract the most recent standing verdict and go back to its pair."""

    def skip(self) -> None:
        """Leave the current pair unjudged for now and move on."""

    def move(self, delta: int) -> None:
        """Previous (-1) / next (+1) pair in serving order, judged or not."""

    def progress(self) -> Progress: ...

    def quality_inputs(self) -> tuple[list[Judgment], dict[str, Gold]]:
        """Standing judgments visible to this annotator and gold verdicts, for the stats screen."""

    @property
    def history(self) -> list[Judgment]:
        """This session's undoable verdicts, oldest first."""

    @property
    def pending(self) -> int:
        """Verdicts journaled but not yet acknowledged by a server (0 without one)."""

    def take_new_issues(self) -> list[LoadIssue]:
        """Bad input lines found since the last call, each returned once (never blocks)."""

    def take_notices(self) -> list[str]:
        """Things the annotator must be told now (a lease lost), each returned once."""

    @property
    def issues(self) -> list[LoadIssue]:
        """Every bad line of the input found so far (complete once :attr:`validated`)."""

    # -- a big input still being indexed and checked (a no-op for sources without one) ------

    @property
    def indexing(self) -> bool:
        """The source still works from the head of its input; the rest is being indexed."""

    @property
    def index_fraction(self) -> float: ...

    def wait_indexed(self, timeout: float | None = None) -> bool: ...

    @property
    def validated(self) -> bool:
        """Every input record has been checked (the issues are then complete)."""

    def validation_progress(self) -> tuple[int, int]:
        """(records checked, records), for a status line while checking goes on."""

    def hurry_validation(self) -> None:
        """Check the remaining records at full speed (the annotator has stopped)."""

    def wait_validated(self, timeout: float | None = None) -> bool: ...

    def close(self) -> None:
        """Release locks and leases; flush what can be flushed."""
