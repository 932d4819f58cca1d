"""What a screen may ask of the app it runs in, as a protocol.

Screens reach the app through :attr:`PaneScreen.rankterm_app`, typed by this protocol rather
than by :class:`rankterm.tui.app.RanktermApp` itself: the app module imports the screens, so a
screen naming the app's class would tie the two modules in a circle (even for the type checker
alone). ``RanktermApp`` satisfies the protocol; a test holds it to that.
"""

from __future__ import annotations

from typing import Protocol

from rankterm.config import Settings
from rankterm.core.clock import ActiveClock
from rankterm.core.suggestions import SuggestionBook
from rankterm.tui.gc_pacing import GcPacer


class AppContext(Protocol):
    """The app's state that screens use: settings, the active-time clock and the GC pacer."""

    settings: Settings
    clock: ActiveClock
    gc_pacer: GcPacer
    #: Scripted runs (--limit, --export) end by themselves once every pair has a verdict.
    exit_when_done: bool
    #: Models' verdicts, revealed only once the annotator's own is saved (or None).
    suggestions: SuggestionBook | None
