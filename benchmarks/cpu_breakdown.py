"""Where the event-loop thread spends CPU between a key and the frame that answers it.

Sampling profilers attribute *wall* time, and on a two-core machine shared with other work
(and with a prerender thread holding the GIL) that mostly measures waiting. This wraps a fixed
list of functions with ``time.thread_time()`` accounting -- CPU of the calling thread only --
and sums their inclusive cost while a window is open (from the key to its frame). Nested
entries overlap (a frame contains the layout, which contains widget renders), so the numbers
are inclusive, per keypress, in milliseconds. Reading the thread clock is a system call
(~4 µs on the reference VM), so each timed call adds ~8 µs: fine for per-frame and per-widget
functions, noticeable for per-line ones (``RenderedPane.render_line``), and too much for
``Strip.__init__``, which is only counted.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any


class Breakdown:
    def __init__(self) -> None:
        self.active = False
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)
        self.windows = 0
        self._undo: list[tuple[Any, str, Any]] = []
        self._loop_thread = threading.get_ident()

    def wrap(self, owner: Any, name: str, label: str | Callable[[Any], str]) -> None:
        original = owner.__dict__[name]
        stats = self

        def wrapper(*args, **kwargs):
            if not stats.active or threading.get_ident() != stats._loop_thread:
                return original(*args, **kwargs)
            key = label if isinstance(label, str) else label(args[0])
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                stats.cpu[key] += time.thread_time() - started
                stats.calls[key] += 1

        setattr(owner, name, wrapper)
        self._undo.append((owner, name, original))

    def count(self, owner: Any, name: str, label: str) -> None:
        """Calls only: a timer around a call this small would cost more than the call."""
        original = owner.__dict__[name]
        stats = self

        def wrapper(*args, **kwargs):
            if stats.active:
                stats.calls[label] += 1
            return original(*args, **kwargs)

        setattr(owner, name, wrapper)
        self._undo.append((owner, name, original))

    def install(self) -> None:
        from textual import _compositor
        from textual.screen import Screen
        from textual.strip import Strip
        from textual.widget import Widget

        from rankterm.tui.render import PairRenderer
        from rankterm.tui.screens.annotate import AnnotateScreen
        from rankterm.tui.widgets.rendered_pane import RenderedPane

        self.wrap(Screen, "_on_timer_update", "textual Screen._on_timer_update (whole frame)")
        self.wrap(Screen, "_refresh_layout", "textual Screen._refresh_layout")
        self.wrap(_compositor.Compositor, "reflow", "textual Compositor.reflow (arrange)")
        self.wrap(_compositor.Compositor, "render_update", "textual Compositor.render_update")
        for cls in (_compositor.ChopsUpdate, _compositor.LayoutUpdate):
            self.wrap(cls, "render_segments", "textual *Update.render_segments (bytes)")
        self.wrap(
            Widget, "render_lines", lambda w: f"textual Widget.render_lines[{type(w).__name__}]"
        )
        self.count(Strip, "__init__", "textual Strip objects created")
        self.wrap(AnnotateScreen, "show", "rankterm AnnotateScreen.show")
        for name in ("_paint", "_paint_guidelines", "_paint_status"):
            if name in AnnotateScreen.__dict__:
                self.wrap(AnnotateScreen, name, f"rankterm AnnotateScreen.{name}")
        self.wrap(RenderedPane, "set_lines", "rankterm RenderedPane.set_lines")
        self.wrap(RenderedPane, "render_line", "rankterm RenderedPane.render_line")
        self.wrap(PairRenderer, "responses", "rankterm PairRenderer.responses")
        self.wrap(PairRenderer, "context", "rankterm PairRenderer.context")

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def open(self) -> None:
        self._loop_thread = threading.get_ident()
        self.active = True

    def close(self) -> None:
        if self.active:
            self.windows += 1
        self.active = False

    def report(self) -> dict[str, dict[str, float]]:
        n = max(self.windows, 1)
        rows = sorted(self.cpu.items(), key=lambda kv: -kv[1])
        rows += [(k, 0.0) for k in self.calls if k not in self.cpu]
        return {
            key: {
                "cpu_ms_per_key": round(total * 1000 / n, 2),
                "calls_per_key": round(self.calls[key] / n, 1),
            }
            for key, total in rows
        }
