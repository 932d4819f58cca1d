"""Which verdict keys may judge the pair on screen: only keys pressed while it was on screen,
and one verdict per press of a key, however long it is held.

Why: a terminal delivers keys in bursts (a fast typist, keys batched by SSH, a held key's
auto-repeat). Textual queues them all; without a gate, ``444`` typed in one burst judged three
pairs, two of them never painted (3 and 15 ms "reading" time), and a key pressed while a big
pair was still being laid out judged it unseen. Labels made that way are silently wrong.

The rule compares times on one clock, the one Textual stamps every message with
(``Message.time``, :func:`time.monotonic` on POSIX): the key's time (when the driver read it)
against the time of the first frame that drew the current pair (the panes' ``Painted``
message is created inside that frame's render). A key read before that frame is refused.

Auto-repeat: a terminal does not report key releases, so a held key is recognised by its
rhythm. The same verdict key again within :data:`HOLD_DELAY` of an accepted verdict is the
keyboard's first repeat (the usual repeat delays are 250-660 ms), and within
:data:`REPEAT_GAP` of a refused one it is a later repeat (repeats come every 30-100 ms). A
deliberate second press after a refusal is simply accepted once the pair is on screen.

Plain logic with no Textual import, so the rule is tested on its own; the screen feeds it.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

#: After an accepted verdict, the same key again this soon is the keyboard's auto-repeat.
HOLD_DELAY = 0.8
#: After a refused key, the same key again this soon is still the same key held down.
REPEAT_GAP = 0.3


@dataclass(frozen=True)
class Press:
    """A key as the driver read it: its name and ``Message.time``."""

    key: str
    time: float


#: The key event being dispatched by the app right now (set by the app around its handling,
#: so an action knows which press invoked it; ``None`` for actions run without a key).
CURRENT_PRESS: ContextVar[Press | None] = ContextVar("rankterm_current_press", default=None)


@dataclass(frozen=True)
class Refusal:
    """Why a verdict key did not count; ``notice`` is None when the person was told already."""

    reason: str
    notice: str | None


class VerdictGate:
    """Tracks when the pair on screen was first painted and which verdict key came last."""

    def __init__(self) -> None:
        self._shown_at: float | None = None
        self._painted_at: float | None = None
        self._last: Press | None = None
        self._last_accepted = False
        self._told: set[str] = set()
        #: Counts ``shown`` calls, so a fallback timer set for one pair cannot mark the next.
        self.serial = 0

    @property
    def painted_at(self) -> float | None:
        return self._painted_at

    @property
    def shown_at(self) -> float | None:
        """When the pair on screen was put in the panes (``shown``)."""
        return self._shown_at

    def shown(self, at: float) -> None:
        """A new pair was put in the panes at ``at``; it is not on screen until painted."""
        self._shown_at = at
        self._painted_at = None
        self._told = set()
        self.serial += 1

    def painted(self, at: float) -> None:
        """A frame drawn at ``at`` showed pane contents; frames from before ``shown`` (their
        messages can still be in flight) do not count for the new pair."""
        if self._painted_at is None and self._shown_at is not None and at >= self._shown_at:
            self._painted_at = at

    def assume_painted(self, serial: int, at: float) -> None:
        """A fallback for a pair whose panes paint nothing (unchanged or hidden): the screen
        has refreshed since, so it is on screen. Ignored if another pair was shown since."""
        if serial == self.serial:
            self.painted(at)

    def admit(self, press: Press | None) -> Refusal | None:
        """None if ``press`` may record a verdict on the pair on screen, else why not."""
        if press is None:  # an action run by the program itself, not by a key
            return None
        last, last_accepted = self._last, self._last_accepted
        self._last, self._last_accepted = press, False
        if last is not None and last.key == press.key:
            gap = press.time - last.time
            if gap < (HOLD_DELAY if last_accepted else REPEAT_GAP):
                return self._refuse(
                    "repeat",
                    f"Key {press.key} repeated: a held key gives one verdict. "
                    "Press it again to judge this pair.",
                )
        if self._painted_at is None or press.time < self._painted_at:
            return self._refuse(
                "unseen",
                f"Key {press.key} ignored: it was pressed before this pair was on screen.",
            )
        self._last_accepted = True
        return None

    def another_key(self) -> None:
        """A key other than a verdict key was pressed: a keyboard's auto-repeat ends when
        another key goes down, so the next verdict key is a new press (``2``, undo, ``2``)."""
        self._last = None
        self._last_accepted = False

    def not_recorded(self) -> None:
        """The admitted verdict could not be saved (disk full...): the pair stays, and pressing
        the key again to retry is a new press, not a held key."""
        self._last = None
        self._last_accepted = False

    def _refuse(self, reason: str, notice: str) -> Refusal:
        first = reason not in self._told
        self._told.add(reason)
        return Refusal(reason, notice if first else None)
