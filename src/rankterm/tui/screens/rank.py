"""The ranking screen: K responses put in order by pairwise keystrokes.

It is the annotation screen (same panes, rendering, verdict keys 1-7 graded, tags, rationale,
flag, reading keys) driven by a :class:`~rankterm.sources.ranking.RankSource`, which hands it
one comparison at a time as a pair of two candidates. What it adds: the strip above the panes
(the order so far, in letters), candidate letters in the pane titles, ``u``/``z`` undo of the
last comparison, ``o`` to type the whole order, and the re-ask of a contradiction.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import ComposeResult

from rankterm.core.errors import RanktermError
from rankterm.core.insertion import Question
from rankterm.core.model import candidate_name, format_order
from rankterm.core.sanitize import inert
from rankterm.guidelines import Guidelines
from rankterm.sources.base import PairView
from rankterm.sources.ranking import RankSource, RankView, question_pair
from rankterm.tui.candidate_cache import CandidateCache
from rankterm.tui.keymap import RANK_BINDINGS, all_bindings, key_for
from rankterm.tui.screens.annotate import TITLES, AnnotateScreen
from rankterm.tui.widgets.key_bar import KeyBar
from rankterm.tui.widgets.pair_info import Legend
from rankterm.tui.widgets.rank_strip import RankStrip, rank_key_lines, strip_text
from rankterm.tui.widgets.rendered_pane import RenderedPane
from rankterm.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from rankterm.tui.dialogs.typed_order import TypedOrderDialog


class RankScreen(AnnotateScreen):
    """Order the K responses of each ranking task, two at a time."""

    BINDINGS = [*all_bindings(), *RANK_BINDINGS]

    def __init__(self, source: RankSource, guidelines: Guidelines) -> None:
        super().__init__(source, guidelines)  # type: ignore[arg-type]
        self.rank_source = source
        self.rank_view: RankView | None = None
        self.cache = CandidateCache()
        self.renderer.cache = self.cache
        self.TITLES = dict(TITLES)
        self._told_reask: object = None
        #: Keys read after the typed-order key, for its dialog (None: not collecting), and
        #: the dialog while it is open.
        self._early: str | None = None
        self._typing: TypedOrderDialog | None = None
        #: Keys read after the typed-order key and before its dialog is up (None: none).
        self._early: str | None = None
        self._done_at_start: int | None = None

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if isinstance(widget, StatusBar):
                yield RankStrip(id="strip")

    # -- showing a comparison -----------------------------------------------------------------

    def show(self, view: PairView | None) -> None:
        self.rank_view = self.rank_source.rank_view() if view is not None else None
        rv = self.rank_view
        if rv is not None and view is not None:
            q = rv.question
            self.cache.alias(view.pair.id, rv.task.id, q.a, q.b)
            self.TITLES = {
                "context": f"Prompt · {inert(rv.task.id)}",
                "left": f"◀ LEFT · {candidate_name(rv.left)}",
                "right": f"RIGHT ▶ · {candidate_name(rv.right)}",
            }
        super().show(view)
        for side in ("left", "right"):
            pane = self.query_one(f"#{side}", RenderedPane)
            if pane.border_title != self.title_for(side):
                pane.border_title = self.title_for(side)
        self._mark_focus()
        # The tags, rationale and flag belong to the task, kept across its comparisons.
        self.draft = self.rank_source.draft()
        if rv is not None and rv.reask_reason and self._told_reask != rv.question:
            self._told_reask = rv.question
            self.notify(rv.reask_reason, severity="warning", timeout=8, markup=False)

    def _paint(self) -> None:
        if self.view is None and self.rank_view is None and self._pairs_waiting():
            # Every ranking done and pairs in the file: the pairwise screen takes over.
            if not getattr(self, "_handed_over", False):
                self._handed_over = True
                self.app.notify("Every ranking is done; on to the pairs.", markup=False)
                self.app.call_later(self.app.show_pairs)  # type: ignore[attr-defined]
            return
        super()._paint()

    def _rankings_waiting(self) -> bool:
        return False  # this is the ranking screen

    def _paint_status(self) -> None:
        if self.view is None and self.rank_view is None and self._pairs_waiting():
            self._paint()  # a pair came while waiting: the pairwise screen takes over
            return
        self._paint_ranked_status()

    def _pairs_waiting(self) -> bool:
        return self.is_current and self.rank_source.pairs_waiting()

    def _paint_ranked_status(self) -> None:
        # The rate and ETA are in rankings (the progress counts tasks), not comparisons.
        done = self.rank_source.progress().done
        if self._done_at_start is None:
            self._done_at_start = done
        self.session_count = max(0, done - self._done_at_start)
        super()._paint_status()
        self.query_one(RankStrip).show_text(strip_text(self.rank_view))
        settings = self.rankterm_app.settings
        legend, keys = rank_key_lines(
            settings.keys, settings.tags, self.draft.tags, self.size.width or 80
        )
        self.query_one(Legend).show_text(legend)
        self.query_one(KeyBar).show_text(keys)

    @work(thread=True, exclusive=True, group="prerender", exit_on_error=False)
    def prepare_next(self) -> None:
        """The next question depends on the answer, but its texts do not: render every
        candidate of the task on screen (cached by candidate), so later comparisons swap
        lines in, as the pairwise screen does with the next pair."""
        rv = self.rank_view
        if rv is None:
            return
        task, q = rv.task, rv.question
        width = self.query_one("#left", RenderedPane).content_width
        raw = frozenset(self.raw)
        for i in range(task.k):
            if i in (q.a, q.b):
                continue
            pair = question_pair(task, Question(q.a, i))
            self.cache.alias(pair.id, task.id, q.a, i)
            self.renderer.responses(pair, False, width, False, raw - {"left"})
        upcoming = self.rank_source.upcoming_task()
        if upcoming is not None:  # the first question of the next task
            task, q = upcoming
            pair = question_pair(task, q)
            self.cache.alias(pair.id, task.id, q.a, q.b)
            ctx_width = self.query_one("#context", RenderedPane).content_width
            self.renderer.context_view(pair, ctx_width, "context" in self.raw)
            self.renderer.responses(pair, False, width, False, frozenset())
            self.renderer.word_counts(pair)

    # -- keys ---------------------------------------------------------------------------------

    def action_help(self) -> None:
        """The help lists this screen's keys: the ranking ones, not those of a pair only."""
        from rankterm.tui.dialogs.help import HelpDialog

        settings = self.rankterm_app.settings
        pair_only = {"verdict.both_bad", "criteria", "ideal_answer"}
        bindings = [b for b in self.BINDINGS if b.id not in pair_only]  # type: ignore[union-attr]
        self.app.push_screen(HelpDialog(settings.keys, settings.tags, bindings))

    def on_key(self, event: events.Key) -> None:
        keys = self.rankterm_app.settings.keys
        if self._early is not None:
            # Typed after the order key while its dialog is not up yet, or up but already
            # queued for this screen (``o3142`` and Enter pasted in one burst): the dialog's
            # keys, not verdicts or tags here.
            text = "\n" if event.key == "enter" else event.character if event.is_printable else None
            if text:
                event.stop()
                event.prevent_default()
                if self._typing is not None:
                    self._typing.feed(text)
                else:
                    self._early += text
                return
        own = {key_for("rank.undo", keys), key_for("rank.typed", keys)}
        if event.key in own:
            # The ranking keys win over a tag on the same key (u: unsafe advice): Textual
            # calls the base class's ``on_key`` after this one unless told not to.
            event.prevent_default()
            self.gate.another_key()  # what the base class does for a key not a verdict
            typed_key = event.key == key_for("rank.typed", keys)
            if typed_key and self._typing is None and self.rank_view is not None:
                self._early = ""

    async def action_undo(self) -> None:
        undone = await asyncio.to_thread(self.rank_source.undo)
        current = self.rank_source.current()
        if undone is None:
            self.show(current)
            self.notify("Nothing to undo.", markup=False)
            return
        self.session_count = max(0, self.session_count - 1)
        self.show(current)
        what = "ranking" if getattr(undone, "kind", "") == "ranking" else "comparison"
        self.notify(f"Undid your last {what} on {inert(undone.pair_id)}.", markup=False)

    def action_typed_order(self) -> None:
        rv = self.rank_view
        if self._typing is not None:
            return  # already open
        if rv is None:
            self._early = None
            return
        from rankterm.tui.dialogs.typed_order import TypedOrderDialog

        early = self._early or ""
        self._early = ""  # keys still queued for this screen go on to the dialog
        typed = format_order(rv.typed).replace(" ", "") if rv.typed else ""
        if early:
            typed = ""  # the person is typing an order: theirs, not the one shown before
        self._typing = TypedOrderDialog(rv.task, typed, early=early)
        self.app.push_screen(self._typing, self._typed_entered)

    async def _typed_entered(self, text: str | None) -> None:
        self._typing, self._early = None, None
        if text is None:
            return
        duration = self.rankterm_app.clock.elapsed_ms()
        try:
            ranking = await asyncio.to_thread(
                self.rank_source.type_order, text, self.draft, duration
            )
        except (ValueError, RanktermError) as exc:
            self.notify(f"Not taken: {inert(str(exc))}", severity="error", markup=False)
            return
        if ranking is not None:
            self.session_count += 1
            self.notify(f"Ranked as typed: {format_order(ranking.order)}", markup=False)
        upcoming = self.rank_source.current()
        if upcoming is None and self.rankterm_app.exit_when_done:
            self.app.exit()
            return
        self.show(upcoming)
