"""A scrollable pane that shows pre-rendered lines through Textual's line API.

Only the visible lines are composed on each refresh, and swapping in another pair's lines costs
nothing but a pointer, which is what keeps the next pair on screen within a frame even for
responses of several thousand words.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip


class RenderedPane(ScrollView, can_focus=True):
    """Shows a list of strips; reports its scroll position so a twin pane can follow."""

    DEFAULT_CSS = """
    RenderedPane {
        scrollbar-gutter: stable;
        border: round $panel-lighten-2;
        border-title-color: $text;
        padding: 0 1;
        &:focus { border: round $accent; }
    }
    """

    class Scrolled(Message):
        """The pane scrolled to ``fraction`` (0..1) of its height."""

        def __init__(self, pane: RenderedPane, fraction: float) -> None:
            super().__init__()
            self.pane = pane
            self.fraction = fraction

        @property
        def control(self) -> RenderedPane:
            return self.pane

    class WidthChanged(Message):
        """The pane's width no longer matches the width its lines were rendered at."""

        def __init__(self, pane: RenderedPane) -> None:
            super().__init__()
            self.pane = pane

        @property
        def control(self) -> RenderedPane:
            return self.pane

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._strips: list[Strip] = []
        self._following = False

    @property
    def content_width(self) -> int:
        """Width the content is rendered at (inside border, padding and scrollbar gutter)."""
        return max(self.scrollable_content_region.width, 10)

    def on_resize(self) -> None:
        width = max((s.cell_length for s in self._strips), default=0)
        if self._strips and width != self.content_width:
            self.post_message(self.WidthChanged(self))

    def set_strips(self, strips: list[Strip]) -> None:
        self._strips = strips
        width = max((s.cell_length for s in strips), default=0)
        self.virtual_size = Size(width, len(strips))
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    @property
    def line_count(self) -> int:
        return len(self._strips)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self._strips):
            return Strip.blank(width, style)
        return self._strips[index].crop_extend(scroll_x, scroll_x + width, style)

    def follow(self, fraction: float) -> None:
        """Scroll to a fraction of the height without echoing a Scrolled message back."""
        self._following = True
        self.scroll_to(y=round(fraction * self.max_scroll_y), animate=False, immediate=True)
        self._following = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._following and old_value != new_value:
            fraction = new_value / self.max_scroll_y if self.max_scroll_y else 0.0
            self.post_message(self.Scrolled(self, fraction))
