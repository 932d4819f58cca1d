"""A scrollable pane that shows pre-rendered lines through Textual's line API.

Only the visible lines are composed on each refresh, and swapping in another pair's lines costs
nothing but a pointer, which is what keeps the next pair on screen within a frame even for
responses of several thousand words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rankterm.tui import internals
from rankterm.tui.render import Lines


def scroll_thumb(total: int, height: int, offset: float) -> tuple[int, int]:
    """Rows [top, bottom) of the scroll bar's thumb; an empty range when everything fits."""
    if height <= 0 or total <= height:
        return 0, 0
    size = max(1, round(height * height / total))
    top = round((height - size) * min(offset / (total - height), 1.0))
    return top, top + size


@dataclass(frozen=True, slots=True)
class _Frame:
    scroll_x: int
    scroll_y: int
    text_width: int
    style: Style
    thumb: range
    gap: Segment
    track: Segment
    knob: Segment
    bar: bool

    @property
    def line_width(self) -> int:
        """Cells of a content line: the text, the gap and the scroll bar."""
        return self.text_width + len(self.gap.text) + 1


class RenderedPane(ScrollView, can_focus=True):
    """Shows a list of strips; reports its scroll position so a twin pane can follow."""

    DEFAULT_CSS = """
    RenderedPane {
        /* The pane draws its own one-cell scroll bar (see ``render_lines``). */
        scrollbar-size: 0 0;
        border: round $panel-lighten-2;
        border-title-color: $text;
        padding: 0 0 0 1;
        &:focus { border: round $accent; }
    }
    """

    #: Cells right of the text: a gap, then the scroll bar.
    BAR_CELLS = 2

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

    class Painted(Message):
        """New lines made it into a frame. Posted from the render itself, so it is handled
        after that frame is on screen -- unlike ``call_after_refresh``, which can run before
        the widgets have even reported themselves dirty."""

        def __init__(self, pane: RenderedPane) -> None:
            super().__init__()
            self.pane = pane

        @property
        def control(self) -> RenderedPane:
            return self.pane

    def __init__(
        self,
        *,
        id: str | None = None,
        classes: str | None = None,
        grow_only: bool = False,
        slack: int = 0,
    ) -> None:
        super().__init__(id=id, classes=classes)
        #: With ``height: auto``: keep the height of the tallest lines shown at this width.
        self.grow_only = grow_only
        #: With ``height: auto``: keep the height while new lines need at most ``slack``
        #: rows fewer. A verdict that changes the pane's height lays out the whole screen;
        #: prompts of 2, 3 or 4 lines in a row then cost no layout, while a short prompt
        #: after a long one still gives the rows back to the responses.
        self.slack = slack
        #: The line count the pane's height is kept for (see ``get_content_height``).
        self._tallest = 0
        #: (screen size, rows): the most rows the layout gave the pane at that screen size,
        #: learnt when it showed fewer rows than its lines (its ``max-height``). Knowing it,
        #: a prompt taller than the cap after another one spares the screen a layout.
        self._cap: tuple[Size, int] | None = None
        #: The row ``set_lines`` was asked to open at, until the layout it caused is done.
        self._pending_top: int | None = None
        self._lines: Lines = []
        self._following = False
        #: Everything a line of the render in progress needs; see ``render_lines``.
        self._frame: _Frame | None = None
        self._dragging = False
        self._generation = 0
        self._width = 0
        self._painted_generation = 0
        #: The marker line ``_edges`` renders in place of the text.
        self._probe: Strip | None = None
        #: Rows framed by ``_render_fast``, valid while ``_rows_state`` holds.
        self._rows: dict[int, Strip] = {}
        self._rows_state: tuple[object, ...] = ()
        #: Whether ``_render_fast`` framed a frame since Textual's cache was last invalidated.
        self._framed_fast = False
        #: The lines whose row index is being completed between frames (``_index_more``).
        self._indexing: object | None = None
        #: ``end`` was pressed and the reader has not scrolled up since: the end of a text
        #: still being indexed is followed as its estimate is corrected.
        self._to_end = False

    @property
    def content_width(self) -> int:
        """Width the text is rendered at (inside border, padding and the scroll bar)."""
        return max(self.scrollable_content_region.width - self.BAR_CELLS, 10)

    @property
    def allow_vertical_scroll(self) -> bool:
        """Whether there is anything to scroll to. Textual's own answer reads a flag that only
        a layout updates, and ``set_lines`` swaps lines in without one (to keep the frame after
        a verdict cheap): the reader, or a long response after a short one, would not scroll
        from the keyboard or the wheel until the terminal was resized."""
        return not self.disabled and self.max_scroll_y > 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(self.virtual_size.height, self._tallest)

    def on_resize(self) -> None:
        self._learn_cap()
        if self._pending_top is not None:
            top, self._pending_top = self._pending_top, None
            self._scroll_to_row(top)
        if self._lines and self._width != self.content_width:
            self._tallest = 0
            self.post_message(self.WidthChanged(self))

    def set_lines(self, lines: Lines, top: int = 0) -> None:
        """Show ``lines`` (from :func:`rankterm.tui.render.to_lines`, or a
        :class:`~rankterm.tui.raw_lines.RawLines`) scrolled to row ``top``."""
        if lines is self._lines:
            # The same lines (guidelines for the same tags): keep the reader's place, and
            # spare the frame a repaint of a pane that did not change.
            return
        before = len(self._lines)
        self._lines = lines
        self._to_end = False
        self._generation += 1
        width = getattr(lines, "width", None)
        if width is None:
            width = Segment.get_line_length(lines[0]) if lines else 0
        self._width = width
        size = Size(self._width, len(lines))
        self._pending_top = None
        if self._height_may_change(before, len(lines)):
            self.virtual_size = size  # a reactive with layout=True: the screen is laid out
            if top:
                # The pane's own height is known after that layout: scroll again then.
                self._pending_top = top
        else:
            # Same outer size: repaint this pane only. A layout would re-render every widget
            # on screen -- it made the frame after a verdict twice as expensive.
            self.set_reactive(RenderedPane.virtual_size, size)
        self._scroll_to_row(top)
        self.refresh()

    #: Time given to a slice of a huge text's row index, between frames; the characters
    #: indexed between two looks at the clock (a loaded machine stretches each step).
    INDEX_SLICE_S = 0.004
    INDEX_STEP = 1 << 14
    #: How soon a slice put off by a keypress (see ``_keypress_pending``) tries again.
    INDEX_RETRY_S = 0.02

    def _keypress_pending(self) -> bool:
        """Whether a key is between its press and the frame answering it: the screen pauses
        the cyclic collector for exactly that window (``rankterm.tui.gc_pacing``). A slice
        run then holds the event loop and the GIL while the verdict's journal thread needs
        both: after a 9 MB single line, the next pair took 2-4x as long."""
        pacer = getattr(self.app, "gc_pacer", None)
        return pacer is not None and pacer.paused

    def _index_more(self, lines: Lines) -> None:
        """Index the rows of a huge text a slice at a time (see ``RawLines.advance``), and
        correct the pane's height from the estimate as it is learnt. Rows already shown never
        move (the index only grows past them); a reader at the bottom stays at the bottom."""
        if lines is not self._lines or lines is not self._indexing:
            self._indexing = None
            return
        if not lines.complete and self._keypress_pending():
            self.set_timer(self.INDEX_RETRY_S, lambda: self._index_more(lines))
            return
        # The height the pane was given, not ``len(lines)``: drawing a row past the index
        # (``end``) indexes up to it, and may finish the index outside these slices.
        before = self.virtual_size.height
        # At the bottom, or sent to the end (``end``) and not scrolled up since.
        at_bottom = self.max_scroll_y > 0 and (self._to_end or self.scroll_y >= self.max_scroll_y)
        started = time.perf_counter()
        while not lines.complete and not lines.advance(self.INDEX_STEP):  # type: ignore[union-attr]
            if time.perf_counter() - started > self.INDEX_SLICE_S:
                break
        after = len(lines)
        if after != before:
            size = Size(self._width, after)
            if self.styles.height and self.styles.height.is_auto:
                self.virtual_size = size
            else:
                self.set_reactive(RenderedPane.virtual_size, size)
            self._scroll_to_row(self.max_scroll_y if at_bottom else round(self.scroll_y))
            self.refresh()
        if lines.complete:  # type: ignore[union-attr]
            self._indexing = None
        else:
            self.set_timer(0.005, lambda: self._index_more(lines))

    def _scroll_to_row(self, top: int) -> None:
        """Scroll to row ``top`` now. Not ``scroll_to``: it does nothing while the pane
        shows no scroll bar, and before the layout of new lines it never does."""
        self.scroll_target_x = self.scroll_x = 0
        self.scroll_target_y = self.scroll_y = self.validate_scroll_y(top)

    def _learn_cap(self) -> None:
        """After a layout: remember the rows the pane is capped at, if it is capped."""
        if not self.styles.height or not self.styles.height.is_auto:
            return
        rows = self.scrollable_content_region.height
        screen = self.app.size
        if rows < max(self.virtual_size.height, self._tallest):
            self._cap = (screen, rows)
        elif self._cap is not None and (self._cap[0] != screen or rows > self._cap[1]):
            self._cap = None

    def _height_may_change(self, before: int, after: int) -> bool:
        """Whether the pane's outer height can follow from its line count: only with
        ``height: auto`` (the prompt), and not when it was capped and stays capped, nor
        when the height it keeps (``slack``) fits the new lines."""
        if not self.styles.height or not self.styles.height.is_auto or before == after:
            return False
        kept = self._tallest
        cap = self._cap[1] if self._cap is not None and self._cap[0] == self.app.size else None
        # The slack counts from the rows the pane has: lines beyond its cap take none.
        rows = kept if cap is None else min(kept, cap)
        if after > kept or (not self.grow_only and after < rows - self.slack):
            self._tallest = after
        else:
            return False  # the height it keeps fits the new lines
        shown = self.scrollable_content_region.height
        if cap is not None:
            return min(after, cap) != shown
        # The cap is not known yet: capped now (more lines than rows) and still needing
        # every row it has, the pane keeps its height.
        return not (kept > shown and after >= shown)

    @property
    def text(self) -> str:
        """Everything the pane holds, as plain text (for tests and copy)."""
        return "\n".join("".join(segment.text for segment in line) for line in self._lines)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Work out once per render what every line needs: ``rich_style`` alone walks every
        # ancestor's styles, and asked per line it was a quarter of the frame on a verdict.
        self._frame = self._make_frame()
        self._learn_cap()  # laid out by now, whether or not its size changed
        if self._painted_generation != self._generation:
            self._painted_generation = self._generation
            self.post_message(self.Painted(self))
            if not getattr(self._lines, "complete", True) and self._indexing is not self._lines:
                # After the first paint: the rest of a huge text's row index, in slices.
                lines = self._indexing = self._lines
                self.set_timer(0.02, lambda: self._index_more(lines))
        try:
            if internals.fast_path():
                strips = self._render_fast(crop)
                if strips is not None:
                    self._framed_fast = True
                    return strips
            if self._framed_fast:
                # Textual's own path, with nothing served from a cache the fast path bypassed.
                self._framed_fast = not internals.invalidate_rows(self, self.outer_size.region)
            return super().render_lines(crop)
        finally:
            self._frame = None

    # -- the frame after a verdict ----------------------------------------------------------------
    #
    # Everything below relies on how Textual frames a line internally: it runs only while
    # ``internals.fast_path()`` says this Textual was verified (see rankterm.tui.internals).
    # Textual frames each line of a widget with its border and padding one line at a time, and at
    # about 30 us a line that was half the cost of putting a new pair on screen. Within the
    # borders every line of this pane is framed the same way, so the frame is worked out once per
    # render: one content line goes through Textual's own path with a marker for its text, and
    # what lands left and right of the marker frames every other line. Anything that would change
    # the text itself (tint, opacity, hatch, outline, a hovered link) takes Textual's path instead.

    #: Marker text for the probe line: private-use characters no filter rewrites.
    _MARK = "\ue000"

    def _render_fast(self, crop: Region) -> list[Strip] | None:
        styles = self.styles
        width, height = self.outer_size
        gutter = styles.gutter
        top, bottom = gutter.top, height - gutter.bottom
        if (
            top >= bottom
            or styles.text_opacity != 1.0
            or styles.tint.a
            or (styles.has_rule("hatch") and styles.hatch != "none")
            or self.opacity != 1.0
            or (self.auto_links and self.hover_style.link_id)
        ):
            return None
        edges = self._edges(width, top)
        if edges is None:
            return None
        left, right = edges
        frame = self._frame or self._make_frame()
        if frame.line_width != self.scrollable_content_region.width:
            return None  # too narrow for text, gap and bar: Textual crops the line
        filters = tuple(self.get_line_filters())
        background = self.background_colors[1]
        # Rows framed for the same state are reused, as Textual's styles cache would: a frame
        # that repaints the status bar must not re-frame an unchanged pane.
        state = (self._generation, frame, width, height, filters, background, *left, None, *right)
        if state != self._rows_state:
            self._rows_state = state
            self._rows = {}
        rows = self._rows
        content = self._content
        strips: list[Strip] = []
        first, last = crop.y, crop.bottom
        if first < top:
            strips.extend(super().render_lines(Region(0, first, width, min(top, last) - first)))
        for y in range(max(first, top), min(last, bottom)):
            strip = rows.get(y)
            if strip is None:
                middle = content(y - top, frame)
                for line_filter in filters:
                    middle = line_filter.apply(middle, background)
                strip = rows[y] = Strip([*left, *middle, *right], width)
            strips.append(strip)
        if last > bottom:
            start = max(first, bottom)
            strips.extend(super().render_lines(Region(0, start, width, last - start)))
        if crop.column_span != (0, width):
            strips = [strip.crop(crop.x, crop.right) for strip in strips]
        return strips

    def _edges(self, width: int, y: int) -> tuple[list[Segment], list[Segment]] | None:
        """What Textual puts left and right of a content line's text, filters applied."""
        content_width = self.scrollable_content_region.width
        mark = self._MARK * content_width
        # With a style: Textual's filters assume every segment has one.
        self._probe = Strip([Segment(mark, Style())])
        row = Region(0, y, width, 1)
        if not internals.invalidate_rows(self, row):
            self._probe = None
            return None
        try:
            (probe,) = super().render_lines(row)
        finally:
            self._probe = None
            internals.invalidate_rows(self, row)  # never serve the probe as a line
        segments = list(probe)
        found = [index for index, segment in enumerate(segments) if segment.text == mark]
        if len(found) != 1:
            return None
        return segments[: found[0]], segments[found[0] + 1 :]

    def _make_frame(self) -> _Frame:
        scroll_x, scroll_y = self.scroll_offset
        region = self.scrollable_content_region
        style = self.rich_style
        text_width = max(region.width - self.BAR_CELLS, 0)
        top, bottom = scroll_thumb(len(self._lines), region.height, scroll_y)
        background = self.background_colors[1]
        track = background + self.styles.scrollbar_background
        thumb = track + (
            self.styles.scrollbar_color_active if self.has_focus else self.styles.scrollbar_color
        )
        gap = " " * (region.width - text_width - 1) if region.width > text_width else ""
        return _Frame(
            scroll_x=scroll_x,
            scroll_y=scroll_y,
            text_width=text_width,
            style=style,
            thumb=range(top, bottom),
            gap=Segment(gap, style),
            track=Segment(" ", style + Style(bgcolor=track.rich_color)),
            knob=Segment(" ", style + Style(bgcolor=thumb.rich_color)),
            bar=bottom > top,
        )

    def render_line(self, y: int) -> Strip:
        if self._probe is not None:
            return self._probe
        frame = self._frame or self._make_frame()
        return Strip(self._content(y, frame), frame.line_width)

    def _content(self, y: int, frame: _Frame) -> list[Segment]:
        """Content line ``y``: the text at the scroll position, the gap and the scroll bar."""
        index = y + frame.scroll_y
        width = frame.text_width
        try:
            line = self._lines[index] if index < len(self._lines) else None
        except IndexError:
            line = None  # past the end of a huge text whose length was still an estimate
        if line is None:
            text = [Segment(" " * width, frame.style)]
        elif frame.scroll_x == 0 and width == self._width:
            text = line  # the usual case: rendered at this very width
        else:
            cropped = Strip(line, self._width).crop_extend(
                frame.scroll_x, frame.scroll_x + width, frame.style
            )
            text = list(cropped)
        if frame.bar:
            tail = frame.knob if y in frame.thumb else frame.track
        else:
            tail = Segment(" ", frame.style)
        return [*text, frame.gap, tail]

    # -- the scroll bar takes the mouse too -------------------------------------------------------

    def _bar_fraction(self, event: events.MouseEvent) -> float | None:
        offset = event.get_content_offset(self)
        region = self.scrollable_content_region
        if offset is None or offset.x < region.width - 1:
            return None
        return min(max(offset.y / max(region.height - 1, 1), 0.0), 1.0)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        fraction = self._bar_fraction(event)
        if fraction is not None and self.max_scroll_y:
            self._dragging = True
            self.capture_mouse()
            self.scroll_to(y=round(fraction * self.max_scroll_y), animate=False)
            event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging:
            offset = event.get_content_offset_capture(self)
            fraction = offset.y / max(self.scrollable_content_region.height - 1, 1)
            fraction = min(max(fraction, 0.0), 1.0)
            self.scroll_to(y=round(fraction * self.max_scroll_y), animate=False)
            event.stop()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()
            event.stop()

    def follow(self, fraction: float) -> None:
        """Scroll to a fraction of the height without echoing a Scrolled message back."""
        self._following = True
        self.scroll_to(y=round(fraction * self.max_scroll_y), animate=False, immediate=True)
        self._following = False

    def action_scroll_end(self) -> None:
        """To the last row at once: an animation would aim at the end of a huge text as
        estimated when the key was pressed, and stop short of it once the index grew."""
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self._to_end = True
        self._scroll_to_row(self.max_scroll_y)
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value:
            self._to_end = False
        if not self._following and old_value != new_value:
            fraction = new_value / self.max_scroll_y if self.max_scroll_y else 0.0
            self.post_message(self.Scrolled(self, fraction))
