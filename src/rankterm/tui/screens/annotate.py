"""The annotation screen: context on top, two responses side by side, guidelines beside them.

The screen is thin: verdict logic lives in the task source and plain functions; this class maps
keys to those calls, keeps the draft (tags, rationale, flag) for the pair on screen, and swaps
pre-rendered lines into the panes.

Nothing here polls: the draft is reactive (a change repaints the status lines through
``watch_draft``), and the source's own changes (sync state, late bad lines, notices, indexing)
arrive as messages (``tui.messages``) that the app posts when the source tells it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

from rich.console import Group
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.reactive import reactive
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from rankterm.core import limits
from rankterm.core.errors import RanktermError
from rankterm.core.model import (
    Choice,
    ScreenChoice,
    choice_for_side,
    criteria_from_screen,
    criteria_on_screen,
    tag_side_for_screen,
)
from rankterm.core.sanitize import inert
from rankterm.guidelines import Guidelines, Section
from rankterm.sources.base import Draft, PairView, TaskSource, toggle_tag, toggle_tag_side
from rankterm.tui.keymap import all_bindings, key_for
from rankterm.tui.messages import IndexingProgress, IssuesFound, NoticesPosted, SyncChanged
from rankterm.tui.render import PairRenderer, markdown, plain, to_lines
from rankterm.tui.screens.pane_screen import PaneScreen
from rankterm.tui.suggestion_view import after_verdict_notice, revealed, suggestion_line
from rankterm.tui.verdict_gate import CURRENT_PRESS, VerdictGate
from rankterm.tui.widgets.key_bar import KeyBar, annotate_key_lines
from rankterm.tui.widgets.pair_info import (
    SELF_ID_WARNING,
    Legend,
    PairInfo,
    info_text,
    self_identified_sides,
)
from rankterm.tui.widgets.rendered_pane import RenderedPane
from rankterm.tui.widgets.status_bar import StatusBar

PANES = ("#context", "#left", "#right", "#guidelines")
TITLES = {"context": "Prompt", "left": "◀ LEFT", "right": "RIGHT ▶"}


_log = logging.getLogger("rankterm.tui")


def worker_failure_notice(group: str, error: BaseException | None) -> str | None:
    """What to tell the annotator when a background worker of the annotation screen failed
    (it is logged either way), or None when nothing they see depends on it.

    - ``prerender`` renders the next pair ahead: if rendering failed, the pair is rendered
      when it comes up, nothing to say; if the source could not read it (disk, file), the
      next pair may not come up, and the annotator should know before pressing on.
    - ``finish`` renders the pair on screen whole: only its start is shown, so say so.
    - ``preload`` imports the dialogs ahead: they are imported when opened instead.
    Verdicts never go through a worker: a failure here loses no label.
    """
    what = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
    if group == "prerender" and isinstance(error, (OSError, RanktermError)):
        return (
            f"Could not read the next pair ahead ({what}). Your verdicts so far are saved; "
            "the next pair is read again when you get there."
        )
    if group == "finish":
        return f"Could not render the rest of this pair ({what}); only its start is shown."
    return None


HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal"), (150, "-wide")]
VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]


def prompt_slack(height: int) -> int:
    """Blank rows the prompt pane may keep below a shorter prompt rather than shrink: a
    change of its height lays out the whole screen (a third of the keys at 160x50 with a
    slack of 2, each frame ~2x the cost). Two rows on a short terminal, four on a tall one,
    where a short prompt after a long one still gives the rows back."""
    return 2 if height < 32 else 4


def breakpoint_classes(width: int, height: int) -> list[str]:
    """The classes Textual's breakpoints give a screen of this size (the highest breakpoint
    each dimension reaches)."""
    classes = []
    for size, breakpoints in ((width, HORIZONTAL_BREAKPOINTS), (height, VERTICAL_BREAKPOINTS)):
        reached = [name for at, name in sorted(breakpoints) if size >= at]
        if reached:
            classes.append(reached[-1])
    return classes


class AnnotateScreen(PaneScreen):
    """Judge pairs, one keystroke a verdict."""

    PANES = PANES
    DEFAULT_PANE = "#left"
    TITLES = TITLES

    BINDINGS = all_bindings()
    HORIZONTAL_BREAKPOINTS = HORIZONTAL_BREAKPOINTS
    VERTICAL_BREAKPOINTS = VERTICAL_BREAKPOINTS

    #: The verdict being built for the pair on screen (tags, rationale, flag, criteria, ideal
    #: answer). Replaced, never mutated in place, so every change reaches ``watch_draft``.
    draft: reactive[Draft] = reactive(Draft, init=False)

    def __init__(self, source: TaskSource, guidelines: Guidelines) -> None:
        super().__init__()
        self.source = source
        self.guidelines = guidelines
        self.renderer = PairRenderer()
        self.view: PairView | None = None
        self.sections: list[Section] = []
        self.diff = False
        self.sync_scroll = False
        self.session_count = 0
        self.session_active_ms = 0
        self._started = False
        #: Verdict keys count only once the pair they judge was painted (see verdict_gate).
        self.gate = VerdictGate()
        self._unpainted_timer: Timer | None = None
        #: When the verdict keys this screen has seen and whose action has not finished
        #: were read: a tag key read after one belongs to no pair on screen (see ``on_key``).
        self._verdicts_in_flight: set[float] = set()

    def compose(self) -> ComposeResult:
        # The breakpoint classes before the first layout: Textual sets them on the first
        # resize, and that resize can arrive while the app is still inside its startup batch
        # (``App._process_messages`` holds ``batch_update`` through Mount), where an "after
        # refresh" callback runs at once, with no layout. Set here, the very first layout is
        # already the one for this size, and the first pair is rendered at its width once.
        self.add_class(*breakpoint_classes(self.app.size.width, self.app.size.height))
        yield StatusBar(id="status")
        with Container(id="body"):
            with Vertical(id="main"):
                # The prompt pane fits its prompt (up to a cap): a short prompt after a long
                # one gives the rows back to the responses.
                yield RenderedPane(id="context", slack=prompt_slack(self.app.size.height))
                with Container(id="responses"):
                    yield RenderedPane(id="left")
                    yield RenderedPane(id="right")
            yield RenderedPane(id="guidelines")
        yield PairInfo(id="info")
        yield Legend(id="legend")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        for name, title in TITLES.items():
            self.query_one(f"#{name}", RenderedPane).border_title = title
        self.query_one("#guidelines", RenderedPane).border_title = "Guidelines (g)"
        self.query_one("#left", RenderedPane).focus()
        # The first pair is shown on the first resize (see ``on_resize``).
        # The dialogs (the text editor above all) are imported once the first pair is up:
        # startup does not wait for them, and the first r or w does not either.
        self.after_frame(self._preload_dialogs)
        # What the source found or was told before the app listened: once, now; from here
        # on the source says when (the handlers below).
        self._report_late_issues()
        self._tell_notices()

    def _show_first(self) -> None:
        if self.view is None:  # not shown already (by ``_source_changed``)
            self.show(self.source.current())
        else:
            self._paint()

    # -- the source's own changes (messages the app posts when the source tells it) ----------

    @on(SyncChanged)
    @on(IndexingProgress)
    def _source_changed(self) -> None:
        """Sync state, counts or the pairs on hand changed: a pair may have arrived for an
        empty screen (remote mode waiting for a lease); otherwise the status line moves."""
        if not self._started:
            return  # the first pair comes with the first layout (``on_resize``)
        if self.view is None and self.source.current() is not None:
            self.show(self.source.current())
            return
        if self.view is None and self._rankings_waiting():
            self._paint()  # hands over to the ranking screen
            return
        self._paint_status()

    def _rankings_waiting(self) -> bool:
        """No pair here but ranking tasks on hand (remote mode): the ranking screen's turn."""
        waiting = getattr(self.app, "rankings_waiting", None)
        return self.is_current and waiting is not None and waiting()

    @on(IssuesFound)
    def _issues_found(self) -> None:
        self._report_late_issues()
        if self._started:
            self._paint_status()  # the total leaves the bad records out

    @on(NoticesPosted)
    def _notices_posted(self) -> None:
        self._tell_notices()
        if self._started:
            self._paint_status()

    def _tell_notices(self) -> None:
        for notice in self.source.take_notices():  # a lease lost, a verdict refused
            self.notify(inert(notice), severity="warning", timeout=15, markup=False)

    def _report_late_issues(self) -> None:
        """A big pairs file is checked while the annotator works: say what turned up bad
        (those records are skipped and leave the total); the full list follows on stderr."""
        issues = self.source.take_new_issues()
        if not issues:
            return
        shown = "\n".join(str(issue) for issue in issues[:5])
        more = "\n… all of them are listed on stderr after quitting" if len(issues) > 5 else ""
        self.notify(
            f"{len(issues)} more bad line(s) found and skipped:\n{shown}{more}",
            severity="warning",
            timeout=12,
            markup=False,
        )

    # -- showing a pair -----------------------------------------------------------------------

    def show(self, view: PairView | None) -> None:
        """Put a pair on screen (from the render cache when it was prepared ahead)."""
        self._hold_gc_until_frame()
        self.view = view
        # Without its watcher: ``_paint`` below paints the status lines for the new pair.
        self.set_reactive(
            AnnotateScreen.draft, Draft.from_judgment(view.existing if view else None)
        )
        self.rankterm_app.clock.reset()
        self._verdicts_in_flight.clear()  # a new pair: any key still in flight is not for it
        self.focus_home()
        self._paint()
        self._await_paint()
        if view is not None:
            # After the frame: the prerender thread holds the GIL while it works.
            self.after_frame(self.prepare_next)

    def _hold_gc_until_frame(self) -> None:
        """No cyclic collection between now and the next frame (see ``gc_pacing``)."""
        pacer = self.rankterm_app.gc_pacer
        pacer.pause()
        self.after_frame(pacer.resume)

    @work(thread=True, group="preload", exit_on_error=False)
    def _preload_dialogs(self) -> None:
        import rankterm.tui.dialogs.criteria
        import rankterm.tui.dialogs.help
        import rankterm.tui.dialogs.text_editor  # noqa: F401

    @property
    def busy_ahead(self) -> bool:
        """Work for the pair after this one is queued or running (the benchmark waits on it,
        as a person reading the pair on screen would give it time to finish)."""
        return bool(self._after_frame) or any(
            w.group in ("prerender", "finish") and w.is_running for w in self.workers
        )

    def _await_paint(self) -> None:
        """The pair being shown is not on screen until a frame draws it. A pane whose lines
        did not change (a duplicate pair) or is hidden paints nothing: after half a second
        the screen's own refresh is taken as showing it."""
        # Textual stamps messages with time.monotonic on POSIX, the clock the gate compares.
        self.gate.shown(time.monotonic())
        if self._unpainted_timer is not None:
            self._unpainted_timer.stop()
        self._unpainted_timer = self.set_timer(0.5, self._assume_painted)

    def _assume_painted(self) -> None:
        self._unpainted_timer = None
        self.gate.assume_painted(self.gate.serial, time.monotonic())

    @on(RenderedPane.Painted)
    def _pair_painted(self, event: RenderedPane.Painted) -> None:
        # The message was created inside the frame's render: its time is the frame's.
        self.gate.painted(event.time)

    def repaint(self) -> None:
        self._paint()

    def _paint(self) -> None:
        view = self.view
        context = self.query_one("#context", RenderedPane)
        left = self.query_one("#left", RenderedPane)
        right = self.query_one("#right", RenderedPane)
        if view is None and self._rankings_waiting():
            if not getattr(self, "_handed_over", False):
                self._handed_over = True
                self.app.notify("Ranking tasks arrived: on to the rankings.", markup=False)
                self.app.call_later(self.app.show_rankings)  # type: ignore[attr-defined]
            return
        if view is None and self.source.progress().waiting:
            done = Text.assemble(
                ("Waiting for pairs from the task server… ", "bold yellow"),
                "they appear here as soon as they arrive; your verdicts so far are saved.",
            )
            context.set_lines(to_lines(done, context.content_width))
            left.set_lines([])
            right.set_lines([])
            self.sections = []
        elif view is None:
            done = Text.assemble(
                ("All done. ", "bold green"),
                "Every pair in this set has your verdict.\n\n",
                f"{self._key('undo')} undo the last verdict · "
                f"{self._key('prev')} review earlier pairs · {self._key('quit')} quit",
            )
            context.set_lines(to_lines(done, context.content_width))
            left.set_lines([])
            right.set_lines([])
            self.sections = []
        else:
            pair = view.pair
            self.paint_context(pair)
            raw = frozenset(self.raw)
            if self.diff:
                left_lines, right_lines = self.renderer.responses(
                    pair, view.swapped, left.content_width, self.diff, raw
                )
                partial = False
            else:
                # Not rendered ahead (the first pair, or one gone back to): the heads now,
                # the whole texts from a worker (``_finish_pair``).
                rows = max(left.scrollable_content_region.height, 10) * 2
                (left_lines, right_lines), partial = self.renderer.response_heads(
                    pair, view.swapped, left.content_width, raw, rows
                )
            left.set_lines(left_lines)
            right.set_lines(right_lines)
            context.border_subtitle = f"{len(pair.conversation)} turn(s)"
            counts = self.renderer.word_counts_now(pair)
            if counts is None:
                left.border_subtitle = right.border_subtitle = "counting words…"
            else:
                words_a, words_b = counts
                left_words, right_words = (words_b, words_a) if view.swapped else counts
                left.border_subtitle = f"{left_words} words"
                right.border_subtitle = f"{right_words} words"
            for side in self_identified_sides(pair, view.swapped) or ():
                pane = left if side == "left" else right
                pane.border_subtitle = f"⚠ {SELF_ID_WARNING} · {pane.border_subtitle}"
            if partial or counts is None:
                self.after_frame(self._finish_pair)
            self.sections = self.guidelines.for_tags(pair.tags)
        self._paint_guidelines()
        self._paint_status()
        self._mark_focus()  # the titles were just set bare

    def matching_sections(self) -> list[Section]:
        return self.sections

    def _key(self, binding_id: str) -> str:
        """The key for ``binding_id`` as the user mapped it, for text that names a key."""
        return key_for(binding_id, self.rankterm_app.settings.keys)

    def _paint_guidelines(self) -> None:
        pane = self.query_one("#guidelines", RenderedPane)
        sections = self.sections
        width = pane.content_width
        key = ("guide", tuple(s.title for s in sections), bool(self.guidelines.sections), width)
        pane.set_lines(self.renderer.cache.get_or_render(key, lambda: self._guide_lines(width)))

    def _guide_lines(self, width: int):
        return self._guide_lines_for(self.sections, width)

    def _guide_lines_for(self, sections: list[Section], width: int):
        if not self.guidelines.sections:
            body = plain("No guidelines loaded. Pass --guidelines FILE.md", "dim")
        elif not sections:
            body = plain("No section matches this pair's tags. Press g for all.", "dim")
        else:
            parts = []
            for section in sections:
                parts.append(Text(inert(section.title), style="bold underline"))
                parts.append(markdown(section.body))
            body = Group(*parts)
        return to_lines(body, width)

    def _paint_status(self) -> None:
        rate = None
        # A rate from one or two verdicts is noise; show it once it means something.
        if self.session_count >= 3 and self.session_active_ms:
            rate = self.session_count / (self.session_active_ms / 3_600_000)
        self.query_one(StatusBar).show(self.source.annotator, self.source.progress(), rate)
        shown = revealed(self.view, self.rankterm_app.suggestions)  # judged pairs only
        lines = [suggestion_line(x, self.view.pair, self.view.swapped) for x in shown]
        info = info_text(self.view, self.draft, self.sections, self.diff, self.criteria, lines)
        self.query_one(PairInfo).show_text(info)
        settings = self.rankterm_app.settings
        legend, keys = annotate_key_lines(
            settings.keys, settings.tags, self.draft.tags, self.size.width or 80
        )
        self.query_one(Legend).show_text(legend)
        self.query_one(KeyBar).show_text(keys)

    def watch_draft(self) -> None:
        """The draft changed (a tag, the flag, a rationale...): its marks are in the info,
        legend and key lines."""
        if self.is_mounted and self._started:
            self._paint_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A background worker failed (they run with ``exit_on_error=False``, so nothing else
        would say so): log it, and tell the annotator when it changes what they see."""
        if event.state is not WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        _log.error(
            "annotation screen: worker %r (group %s) failed",
            worker.name,
            worker.group,
            exc_info=(type(error), error, error.__traceback__) if error is not None else None,
        )
        notice = worker_failure_notice(worker.group, error)
        if notice is not None:
            self.notify(inert(notice), severity="warning", timeout=10, markup=False)

    @work(thread=True, exclusive=True, group="finish", exit_on_error=False)
    def _finish_pair(self) -> None:
        """Render the pair on screen whole (its heads are shown) and count its words, then
        show that, keeping the reader's place."""
        view = self.view
        if view is None:
            return
        width = self.query_one("#left", RenderedPane).content_width
        self.renderer.responses(view.pair, view.swapped, width, False, frozenset(self.raw))
        self.renderer.word_counts(view.pair)
        self.app.call_from_thread(self._show_finished, view)

    def _show_finished(self, view: PairView) -> None:
        if self.view is not view:
            return  # moved on meanwhile
        panes = [self.query_one(f"#{side}", RenderedPane) for side in ("left", "right")]
        places = [pane.scroll_y for pane in panes]
        self._paint()
        for pane, place in zip(panes, places, strict=True):
            if place:
                pane.scroll_to(y=place, animate=False, immediate=True)

    @work(thread=True, exclusive=True, group="prerender", exit_on_error=False)
    def prepare_next(self) -> None:
        """Render the pair a verdict will show next, so the swap is instant."""
        upcoming = self.source.peek_next()
        if upcoming is None:
            return
        width = self.query_one("#left", RenderedPane).content_width
        ctx_width = self.query_one("#context", RenderedPane).content_width
        self.renderer.context_view(upcoming.pair, ctx_width, "context" in self.raw)
        self.renderer.responses(
            upcoming.pair, upcoming.swapped, width, self.diff, frozenset(self.raw)
        )
        self.renderer.word_counts(upcoming.pair)
        sections = self.guidelines.for_tags(upcoming.pair.tags)
        guide_width = self.query_one("#guidelines", RenderedPane).content_width
        key = (
            "guide",
            tuple(s.title for s in sections),
            bool(self.guidelines.sections),
            guide_width,
        )
        self.renderer.cache.get_or_render(key, lambda: self._guide_lines_for(sections, guide_width))

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#context", RenderedPane).slack = prompt_slack(event.size.height)
        if not self._started:
            # The first pair waits for the layout of this size (its breakpoint classes are set
            # in ``compose``): rendered at the default layout's widths -- 15 columns at 80x24
            # -- it would be painted so and rendered again.
            self._started = True
            self.call_after_refresh(self.call_after_refresh, self._show_first)
            return
        self.call_after_refresh(self._paint)

    # -- verdicts -----------------------------------------------------------------------------

    async def action_verdict(self, side: str, strength: int) -> None:
        press = CURRENT_PRESS.get()
        try:
            await self._verdict(side, strength)
        finally:
            if press is not None:
                self._verdicts_in_flight.discard(press.time)

    async def _verdict(self, side: str, strength: int) -> None:
        view = self.view
        if view is None:
            self.notify(
                f"Nothing to judge here. Press {self._key('undo')} to undo or "
                f"{self._key('prev')} to go back.",
                markup=False,
            )
            return
        refusal = self.gate.admit(CURRENT_PRESS.get())
        if refusal is not None:
            if refusal.notice:
                self.notify(refusal.notice, severity="warning", timeout=4, markup=False)
            return
        if side in ("left", "right"):
            choice = choice_for_side(side, Choice.A, view.swapped)  # type: ignore[arg-type]
        else:
            choice = Choice(side)
            strength = 0
        duration = self.rankterm_app.clock.elapsed_ms()
        draft = self.draft
        self._hold_gc_until_frame()
        try:
            # fsync off the event loop; the screen waits for it before showing the next pair.
            saved = await asyncio.to_thread(
                self.source.record, choice, strength or None, draft, duration
            )
        except RanktermError as exc:
            self.gate.not_recorded()
            self.notify(f"Not saved: {inert(str(exc))}", severity="error", timeout=10, markup=False)
            # The source may have moved on (the pair on screen turned out bad): follow it;
            # otherwise keep the pair and the draft (tags, rationale) as they are.
            current = self.source.current()
            if current is None or current.pair.id != view.pair.id:
                self.show(current)
            return
        self.session_count += 1
        self.session_active_ms += duration
        # Only now, the verdict fsynced: a model's suggestion cannot anchor it any more.
        notice = after_verdict_notice(view, self.rankterm_app.suggestions, saved)
        if notice:
            self.notify(notice, title="Model suggestion", timeout=8, markup=False)
        upcoming = self.source.current()
        if upcoming is None and self.rankterm_app.exit_when_done:
            self.app.exit()
            return
        self.show(upcoming)

    async def action_undo(self) -> None:
        undone = await asyncio.to_thread(self.source.undo)
        if undone is None:
            self.notify("Nothing to undo.", markup=False)
            return
        self.session_count = max(0, self.session_count - 1)
        self.show(self.source.current())
        # Give the retracted draft back, so re-judging does not lose the rationale and tags.
        self.draft = Draft.from_judgment(undone)
        self.notify(f"Undid your verdict on {inert(undone.pair_id)}.", markup=False)

    def action_skip(self) -> None:
        self.source.skip()
        self.show(self.source.current())

    def action_move(self, delta: int) -> None:
        self.source.move(delta)
        self.show(self.source.current())

    # -- the draft ----------------------------------------------------------------------------

    def _is_verdict_key(self, key: str) -> bool:
        active = self.app.active_bindings.get(key)
        return active is not None and active.binding.action.startswith("verdict(")

    def _tag_key_too_late(self, event: events.Key) -> bool:
        """A tag key read after a verdict key (still being saved, or saved and the next pair
        not yet shown when the tag key was read) tags no pair the person saw: refused.

        Why: a verdict key's action runs once the key has bubbled up to the app, a tag key is
        taken here on the way; in a burst (``2h`` read at once) the tag reached the pair
        before the verdict did, and the verdict saved it: a tag pressed after the verdict
        landed on the judged pair (or closed ranking)."""
        shown = self.gate.shown_at
        late = any(t <= event.time for t in self._verdicts_in_flight)
        return late or (shown is not None and event.time < shown)

    def on_key(self, event: events.Key) -> None:
        if self._is_verdict_key(event.key):
            self._verdicts_in_flight.add(event.time)
            return
        self.gate.another_key()
        # A tag's key tags the pair; the same key with shift tags the focused response pane
        # (Tab moves between panes), in A/B terms, for red-team labels that name the answer.
        for tag in self.rankterm_app.settings.tags:
            if self.view is None:
                return
            if event.key in (tag.key, tag.key.upper()) and self._tag_key_too_late(event):
                self.notify(
                    f"Key {event.key} ignored: it was pressed after a verdict, before the "
                    "next pair was on screen.",
                    severity="warning",
                    timeout=4,
                    markup=False,
                )
                event.stop()
                return
            if event.key == tag.key:
                self.draft = toggle_tag(self.draft, tag.name)
            elif len(tag.key) == 1 and tag.key.islower() and event.key == tag.key.upper():
                focused = self.focused.id if self.focused is not None else None
                if focused not in ("left", "right"):
                    self.notify("Focus a response pane (Tab) to tag one response.")
                else:
                    side = tag_side_for_screen(focused, self.view.swapped)
                    self.draft = toggle_tag_side(self.draft, tag.name, side)  # type: ignore[arg-type]
            else:
                continue
            event.stop()
            return

    def action_flag(self) -> None:
        if self.view is None:
            return
        self.draft = replace(self.draft, flagged=not self.draft.flagged)

    def action_rationale(self) -> None:
        if self.view is None:
            return

        def saved(text: str | None) -> None:
            if text is not None:
                self.draft = replace(self.draft, rationale=text.strip())

        from rankterm.tui.dialogs.text_editor import TextEditorDialog

        self.app.push_screen(
            TextEditorDialog(
                "Rationale for this verdict",
                self.draft.rationale,
                limit=limits.MAX_TEXT,
                what="The rationale",
            ),
            saved,
        )

    @property
    def criteria(self) -> list[str]:
        """The configured criteria, then the task server project's own (no repeats)."""
        configured = self.rankterm_app.settings.criteria
        return list(dict.fromkeys([*configured, *self.source.criteria]))

    def action_criteria(self) -> None:
        view = self.view
        if view is None:
            return
        criteria = self.criteria
        if not criteria:
            self.notify(
                'No criteria are set. Add criteria = ["helpfulness", ...] to the config '
                "(rankterm config --path shows where), or define them on the server project.",
                markup=False,
            )
            return

        def saved(marks: dict[str, ScreenChoice] | None) -> None:
            if marks is not None and self.view is view:
                self.draft = replace(self.draft, criteria=criteria_from_screen(marks, view.swapped))

        from rankterm.tui.dialogs.criteria import CriteriaDialog

        marks = criteria_on_screen(self.draft.criteria, view.swapped)
        self.app.push_screen(CriteriaDialog(criteria, marks), saved)

    def action_ideal_answer(self) -> None:
        view = self.view
        if view is None:
            return
        focused = self.focused
        start = view.right_text if focused and focused.id == "right" else view.left_text
        text = self.draft.ideal_response or start

        def saved(answer: str | None) -> None:
            if answer is not None:
                self.draft = replace(self.draft, ideal_response=answer if answer.strip() else None)
                self.notify(
                    "Answer kept; it is saved with your next verdict "
                    f"({self._key('verdict.both_bad')} for both bad).",
                    markup=False,
                )

        from rankterm.tui.dialogs.text_editor import TextEditorDialog

        self.app.push_screen(
            TextEditorDialog(
                "Write the answer that should have been given",
                text,
                language="markdown",
                limit=limits.MAX_IDEAL,
                what="The ideal answer",
            ),
            saved,
        )

    # -- reading ------------------------------------------------------------------------------

    def action_toggle_diff(self) -> None:
        self.diff = not self.diff
        self._paint()

    def action_toggle_sync_scroll(self) -> None:
        self.sync_scroll = not self.sync_scroll
        self.notify(f"Synchronized scrolling {'on' if self.sync_scroll else 'off'}.", markup=False)

    @on(RenderedPane.Scrolled, "#left, #right")
    def _follow(self, event: RenderedPane.Scrolled) -> None:
        if self.sync_scroll:
            twin = "#right" if event.pane.id == "left" else "#left"
            self.query_one(twin, RenderedPane).follow(event.fraction)

    def action_toggle_context(self) -> None:
        if self.maximized is not None:
            self.minimize()
        else:
            self.maximize(self.query_one("#context"))

    def action_help(self) -> None:
        keymap = self.rankterm_app.settings.keys
        from rankterm.tui.dialogs.help import HelpDialog

        self.app.push_screen(HelpDialog(keymap, self.rankterm_app.settings.tags))

    def action_stats(self) -> None:
        from rankterm.tui.screens.stats import StatsScreen

        metadata = getattr(self.source, "pair_metadata", None)  # local pairs only
        self.app.push_screen(
            StatsScreen(self.source.annotator, self.source.quality_inputs, metadata)
        )
