"""A scrolling container that answers the same reading keys as the panes (j, k, space)."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll


class KeyScroll(VerticalScroll):
    """``VerticalScroll`` with the pane keys on top of its arrows, page and home/end keys, so a
    dialog (help, stats) reads like the screen it was opened from."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("space", "page_down", "Page down", show=False),
        Binding("b", "page_up", "Page up", show=False),
    ]
