"""What the annotation and adjudication screens share: a set of pre-rendered panes to read.

Both show a prompt and two responses (plus guidelines, and verdicts when adjudicating) in
:class:`RenderedPane` widgets, and both let the reader move focus between panes, scroll the
focused one, maximize it, open the whole guideline document, and get fresh lines when the
layout settles at another width. Keeping that here means a reading key behaves the same on
both screens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, cast

from textual import events, on
from textual.screen import Screen
from textual.timer import Timer

from rankterm.core.model import Pair
from rankterm.guidelines import Guidelines, Section
from rankterm.tui.context import AppContext
from rankterm.tui.dialogs.reader import ReaderDialog
from rankterm.tui.render import PairRenderer
from rankterm.tui.widgets.rendered_pane import RenderedPane


class PaneScreen(Screen[None]):
    """A screen of reading panes. Subclasses set ``PANES`` (focus order), ``DEFAULT_PANE``
    (what keys act on when no pane has focus) and implement :meth:`repaint`."""

    PANES: ClassVar[tuple[str, ...]] = ()
    DEFAULT_PANE: ClassVar[str] = "#left"
    #: Panes that keep the focus when a new pair or case comes up; any other pane (the
    #: prompt after ``c``, the guidelines) hands it back to ``DEFAULT_PANE``.
    HOME_PANES: ClassVar[tuple[str, ...]] = ("#left", "#right")
    #: Put before the focused pane's title: the border colour alone is easy to miss, and
    #: gone on a monochrome terminal.
    FOCUS_MARK = "● "
    #: Bare titles of the panes ``t`` flips between rendered and raw text, by pane id.
    TITLES: ClassVar[dict[str, str]] = {}

    guidelines: Guidelines
    renderer: PairRenderer

    def __init__(self) -> None:
        super().__init__()
        self._repaint_pending = False
        #: Panes (of ``TITLES``) showing the text raw rather than rendered (``t``).
        self.raw: set[str] = set()
        self._after_frame: list[Callable[[], object]] = []
        self._after_frame_timer: Timer | None = None
        #: The prompt shown has turns before the one the responses answer.
        self._earlier_turns = False

    @property
    def rankterm_app(self) -> AppContext:
        """The app, typed: its settings, active-time clock and GC pacer. These screens run
        only inside ``RanktermApp`` (``make_app`` / ``make_adjudicate_app``), which satisfies
        :class:`~rankterm.tui.context.AppContext`."""
        return cast("AppContext", self.app)

    def repaint(self) -> None:
        """Render what is on screen again, at the panes' current widths."""
        raise NotImplementedError

    @on(RenderedPane.WidthChanged)
    def _rerender(self) -> None:
        """Layout settled at another width than the lines were made for: make them again,
        once, however many panes noticed."""
        if not self._repaint_pending:
            self._repaint_pending = True

            def repaint() -> None:
                self._repaint_pending = False
                self.repaint()

            self.call_after_refresh(repaint)

    # -- after the frame ----------------------------------------------------------------------

    def after_frame(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the frame showing the lines just set is on screen. A pane
        may be hidden (another one maximized) and never paint: a timer stands in for it."""
        self._after_frame.append(callback)
        if self._after_frame_timer is None:
            self._after_frame_timer = self.set_timer(0.5, self._run_after_frame)

    @on(RenderedPane.Painted)
    def _run_after_frame(self) -> None:
        if self._after_frame_timer is not None:
            self._after_frame_timer.stop()
            self._after_frame_timer = None
        callbacks, self._after_frame = self._after_frame, []
        for callback in callbacks:
            callback()

    # -- the prompt and the raw view -------------------------------------------------------------

    def title_for(self, name: str) -> str:
        """Pane ``name``'s title without the focus mark: its bare title, and "raw" when so."""
        return self.TITLES[name] + (" · raw" if name in self.raw else "")

    def paint_context(self, pair: Pair) -> None:
        """Show the prompt, opened at the turn the responses answer (earlier turns above it,
        the title saying so), rendered or raw as ``t`` left it."""
        context = self.query_one("#context", RenderedPane)
        lines, top = self.renderer.context_view(pair, context.content_width, "context" in self.raw)
        context.set_lines(lines, top)
        self._earlier_turns = top > 0
        self._title_context(context.scroll_y)

    @on(events.Mount)
    def _follow_context_scroll(self) -> None:
        for context in self.query("#context").results(RenderedPane):
            self.watch(context, "scroll_y", self._title_context, init=False)

    def _title_context(self, scroll_y: float) -> None:
        """The prompt's title says "↑ earlier turns" while turns before the one answered are
        above the view. It follows the pane's scroll: new lines are scrolled to the answered
        turn only after the layout they cause, and a check one frame later raced that layout
        (a Pilot snapshot caught the title missing)."""
        context = self.query_one("#context", RenderedPane)
        title = self.title_for("context")
        if self._earlier_turns and scroll_y > 0:
            title += " · ↑ earlier turns"
        if context is self.focused:
            title = self.FOCUS_MARK + title
        if context.border_title != title:  # setting it parses markup and repaints
            context.border_title = title

    def action_toggle_raw(self) -> None:
        """Flip the focused pane (a response or the prompt) between rendered and raw text."""
        focused = self.focused
        name = focused.id if focused is not None and focused.id in self.TITLES else "left"
        self.raw ^= {name}
        for side in ("left", "right"):
            self.query_one(f"#{side}", RenderedPane).border_title = self.title_for(side)
        self._mark_focus()
        pane = self.query_one(f"#{name}", RenderedPane)
        place = pane.scroll_y / pane.max_scroll_y if pane.max_scroll_y else 0.0
        self.repaint()
        pane.follow(place)  # the same place in the other view, not back at the top

    # -- focus ---------------------------------------------------------------------------------

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._mark_focus()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._mark_focus()

    def _mark_focus(self) -> None:
        """Title of the focused pane gets ``FOCUS_MARK``; every other pane its plain title."""
        focused = self.focused
        for selector in self.PANES:
            pane = self.query_one(selector, RenderedPane)
            title = pane.border_title or ""
            bare = title.removeprefix(self.FOCUS_MARK)
            wanted = self.FOCUS_MARK + bare if pane is focused else bare
            if wanted != title:
                pane.border_title = wanted

    def focus_home(self) -> None:
        """A new pair or case: reading keys act on the responses again, whatever pane the last
        one ended on, and a prompt expanded with ``c`` folds back."""
        maximized = self.maximized
        if maximized is not None and f"#{maximized.id}" not in self.HOME_PANES:
            self.minimize()
        focused = self.focused
        if focused is None or f"#{focused.id}" not in self.HOME_PANES:
            self.query_one(self.DEFAULT_PANE, RenderedPane).focus()

    def _target_pane(self) -> RenderedPane:
        focused = self.focused
        if isinstance(focused, RenderedPane):
            return focused
        return self.query_one(self.DEFAULT_PANE, RenderedPane)

    def action_scroll(self, lines: int) -> None:
        self._target_pane().scroll_relative(y=lines, animate=False)

    def action_scroll_page(self, pages: int) -> None:
        pane = self._target_pane()
        pane.scroll_relative(y=pages * max(1, pane.size.height - 2), animate=False)

    def action_focus_next_pane(self) -> None:
        order = [p for p in self.PANES if self.query_one(p).display]
        current = f"#{self.focused.id}" if self.focused and self.focused.id else None
        nxt = order[(order.index(current) + 1) % len(order)] if current in order else order[0]
        self.query_one(nxt).focus()

    def action_toggle_maximize(self) -> None:
        if self.maximized is not None:
            self.minimize()
        else:
            self.maximize(self._target_pane())

    def matching_sections(self) -> list[Section]:
        """The guideline sections for what is on screen (``g`` opens the document at the
        first of them)."""
        return []

    def action_guidelines(self) -> None:
        text = self.guidelines.text or "No guidelines were loaded. Pass `--guidelines FILE.md`."
        title = f"{self.guidelines.title} · {self.guidelines.version}"
        sections = self.matching_sections()
        start = sections[0].title if sections else None
        self.app.push_screen(ReaderDialog(title, text, start_at=start))

    def action_quit_app(self) -> None:
        self.app.exit()
