"""Active time: how long a person really looked at a pair, not how long the pair was open.

A judgment's ``duration_ms`` feeds fatigue and throughput figures, so a coffee break must not
count. Time between two inputs counts in full when the gap is short and is capped at the idle
threshold when it is long (the person was presumably reading up to then).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ActiveClock:
    """Accumulates active time from input events; ``now`` is injectable for tests."""

    def __init__(self, idle_seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = idle_seconds
        self._now = now
        self._active = 0.0
        self._last = now()

    def reset(self) -> None:
        """Start timing a new pair."""
        self._active = 0.0
        self._last = self._now()

    def touch(self) -> None:
        """Record an input event (key, scroll, click)."""
        now = self._now()
        self._active += min(now - self._last, self.idle_seconds)
        self._last = now

    @property
    def idle(self) -> bool:
        return self._now() - self._last > self.idle_seconds

    def elapsed_ms(self) -> int:
        """Active time so far, including the current stretch up to the idle threshold."""
        pending = min(self._now() - self._last, self.idle_seconds)
        return int((self._active + pending) * 1000)
