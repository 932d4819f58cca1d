"""A progress line on stderr: done/total, rate and ETA.

Redrawn in place on a terminal, at most ten times a second (a million-response run must not
spend its time drawing); printed every few seconds as plain lines when stderr is a file.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts finished units of work and reports rate and ETA on ``stream``."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self.failed = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._drawn = 0.0

    def advance(self, n: int = 1, *, failed: bool = False) -> None:
        """Count ``n`` finished units (``failed``: they gave up after retries)."""
        self.done += n
        self.failed += n if failed else 0
        now = time.monotonic()
        if now - self._drawn >= (0.1 if self.tty else 5.0) or self.done >= self.total:
            self._drawn = now
            self.draw(now)

    def line(self, now: float | None = None) -> str:
        """The text of the progress line (also what tests read)."""
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        rate = self.done / elapsed
        left = max(self.total - self.done, 0)
        eta = left / rate if rate > 0 else float("inf")
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        eta_text = "--" if eta == float("inf") else _clock(eta)
        failed = f", {self.failed} failed" if self.failed else ""
        return (
            f"{self.label} [{bar}] {self.done}/{self.total} {rate:.1f}/s "
            f"ETA {eta_text} elapsed {_clock(elapsed)}{failed}"
        )

    def draw(self, now: float | None = None) -> None:
        """Write the line now."""
        text = self.line(now)
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the line on a terminal."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
