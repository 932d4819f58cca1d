"""Keep CPython's cyclic garbage collector out of the keypress-to-frame window.

Why: a verdict key makes Textual build ~1,300 short-lived Strip objects (each with seven small
caches) for the next frame. That churn regularly tips the collector into a full (generation 2)
collection, which walks every live object -- the pre-rendered lines of the pairs ahead
included -- and took 100-175 ms on a 160x50 screen: most of the keypress p99. Textual does the
same for smooth scrolling (``App.PAUSE_GC_ON_SCROLL``); here the pause covers one verdict, from
the key to the frame that shows the next pair, and the collector catches up afterwards while
the annotator reads. Objects that exist once the first pair is on screen (modules, widgets,
styles) are frozen out of collection for good, so the collections that do run are short.

Reference counting still frees almost everything immediately; only reference cycles wait.
"""

from __future__ import annotations

import gc


class GcPacer:
    """Counted pauses of the cyclic collector. ``pause`` and ``resume`` must pair up."""

    def __init__(self) -> None:
        self._depth = 0
        self._was_enabled = True
        self.frozen = False

    @property
    def paused(self) -> bool:
        return self._depth > 0

    def pause(self) -> None:
        if self._depth == 0:
            self._was_enabled = gc.isenabled()
            gc.disable()
        self._depth += 1

    def resume(self) -> None:
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0 and self._was_enabled:
            gc.enable()

    def freeze_startup(self) -> None:
        """Move everything alive now to the permanent generation (once): later full
        collections then walk only what was made after startup."""
        if not self.frozen:
            gc.freeze()
            self.frozen = True

    def release(self) -> None:
        """The app is ending: give the collector everything back, so a process that runs
        several apps (the test suite, pipe mode) does not keep their cycles for good."""
        while self._depth:
            self.resume()
        if self.frozen:
            gc.unfreeze()
            self.frozen = False
