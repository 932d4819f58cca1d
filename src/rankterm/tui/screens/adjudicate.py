"""The adjudication screen: a contested pair, every annotator's verdict, and the expert's call.

Responses are shown in the data's A/B order (A left), because the verdicts being weighed are
stated in A/B terms.
"""

from __future__ import annotations

import asyncio
import time
from functools import partial

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.widgets import Static

from rankterm.core import limits
from rankterm.core.errors import RanktermError
from rankterm.core.model import Choice, RankTask, candidate_name, parse_order
from rankterm.core.sanitize import inert
from rankterm.guidelines import Guidelines, Section
from rankterm.sources.adjudication import Case, Decision, Desk
from rankterm.tui.dialogs.help import HelpDialog
from rankterm.tui.dialogs.text_editor import TextEditorDialog
from rankterm.tui.keymap import ADJUDICATE_BINDINGS, key_for
from rankterm.tui.render import PairRenderer, markdown, plain, to_lines
from rankterm.tui.screens.pane_screen import PaneScreen
from rankterm.tui.verdict_gate import CURRENT_PRESS, VerdictGate
from rankterm.tui.widgets.case_view import case_header, verdicts_renderable
from rankterm.tui.widgets.key_bar import KeyBar, adjudicate_key_line, adjudicate_legend
from rankterm.tui.widgets.rendered_pane import RenderedPane

PANES = ("#context", "#left", "#right", "#verdicts", "#guidelines")
TITLES = {"context": "Prompt", "left": "A", "right": "B"}


def _candidates_of(task: RankTask, pane: str) -> range:
    """The candidates a response pane shows: the first half on the left, the rest right."""
    half = (task.k + 1) // 2
    return range(half) if pane == "left" else range(half, task.k)


class AdjudicateScreen(PaneScreen):
    """Settle contested pairs, most contested first."""

    PANES = PANES
    #: Reading keys (j, space, m) act on response A until tab moves on: the responses are
    #: what the expert reads, and the verdicts fit on screen without scrolling.
    DEFAULT_PANE = "#left"
    HOME_PANES = ("#left", "#right", "#verdicts")
    TITLES = TITLES

    BINDINGS = ADJUDICATE_BINDINGS
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal"), (150, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, desk: Desk, guidelines: Guidelines) -> None:
        super().__init__()
        self.desk = desk
        self.guidelines = guidelines
        self.renderer = PairRenderer()
        self.cases: list[Case] = []
        self.records = {}
        self.position = 0
        self.rationale = ""
        self.diff = False
        self._shown_case: Case | None = None
        #: Decision keys count only once their case was painted (see verdict_gate).
        self.gate = VerdictGate()

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        with Container(id="body"):
            with Vertical(id="main"):
                yield RenderedPane(id="context")
                with Container(id="responses"):
                    yield RenderedPane(id="left")
                    yield RenderedPane(id="right")
                yield RenderedPane(id="verdicts")
            yield RenderedPane(id="guidelines")
        yield Static(id="info")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        for name, title in TITLES.items():
            self.query_one(f"#{name}", RenderedPane).border_title = title
        self.query_one("#verdicts", RenderedPane).border_title = "Verdicts"
        self.query_one("#guidelines", RenderedPane).border_title = "Guidelines (g)"
        self.query_one(self.DEFAULT_PANE, RenderedPane).focus()
        # After the first layout, so panes know their widths.
        self.call_after_refresh(lambda: self.run_worker(self.reload(), exclusive=True))

    def on_resize(self) -> None:
        if self.cases:
            self.call_after_refresh(self.show)

    async def reload(self) -> None:
        """Fetch the queue and the track records off the event loop (disk or network)."""
        try:
            self.cases = await asyncio.to_thread(self.desk.cases)
            self.records = await asyncio.to_thread(self.desk.track_records)
        except RanktermError as exc:
            self.notify(
                f"Could not load cases: {inert(str(exc))}",
                severity="error",
                timeout=10,
                markup=False,
            )
        self.position = min(self.position, max(0, len(self.cases) - 1))
        self.show()

    @property
    def case(self) -> Case | None:
        return self.cases[self.position] if 0 <= self.position < len(self.cases) else None

    def show(self) -> None:
        self._show()
        # Monotonic: the clock Textual stamps keys and the Painted message with (POSIX).
        self.gate.shown(time.monotonic())
        self.set_timer(0.5, partial(self._assume_painted, self.gate.serial))

    def _assume_painted(self, serial: int) -> None:
        self.gate.assume_painted(serial, time.monotonic())

    @on(RenderedPane.Painted)
    def _case_painted(self, event: RenderedPane.Painted) -> None:
        self.gate.painted(event.time)

    def _show(self) -> None:
        case = self.case
        if case is not self._shown_case:
            # Another case: a fresh rationale. The same case painted again (a resize, d, t)
            # keeps the one being written.
            self._shown_case = case
            self.rationale = ""
            self.focus_home()
        self.query_one("#header", Static).update(case_header(case, self.position, len(self.cases)))
        context = self.query_one("#context", RenderedPane)
        left = self.query_one("#left", RenderedPane)
        right = self.query_one("#right", RenderedPane)
        verdicts = self.query_one("#verdicts", RenderedPane)
        guide = self.query_one("#guidelines", RenderedPane)
        if case is None:
            quit_key = key_for("adjudicate.quit", self.rankterm_app.settings.keys)
            done = Text(
                f"No contested pairs need a decision. {quit_key} to quit.", style="bold green"
            )
            context.set_lines(to_lines(done, context.content_width))
            for pane in (left, right, verdicts, guide):
                pane.set_lines([])
            self._info()
            return
        pair = case.pair
        self.paint_context(pair)  # type: ignore[arg-type]  # a ranking task has a context too
        if isinstance(pair, RankTask):
            self._paint_candidates(pair, left, right)
        else:
            a, b = self.renderer.responses(
                pair, False, left.content_width, self.diff, frozenset(self.raw)
            )
            left.set_lines(a)
            right.set_lines(b)
        verdicts.set_lines(
            to_lines(
                verdicts_renderable(case, self.records, self.size.width or 80),
                verdicts.content_width,
            )
        )
        sections = self.guidelines.for_tags(pair.tags)
        body = (
            Group(
                *[
                    part
                    for s in sections
                    for part in (Text(s.title, style="bold"), markdown(s.body))
                ]
            )
            if sections
            else plain("No guideline section matches this pair.", "dim")
        )
        guide.set_lines(to_lines(body, guide.content_width))
        for name in ("left", "right"):  # a ranking task's panes hold letters, a pair's A and B
            pane = self.query_one(f"#{name}", RenderedPane)
            bare = self.title_for(name)
            if (pane.border_title or "").removeprefix(self.FOCUS_MARK) != bare:
                pane.border_title = bare
        self._info()
        self._mark_focus()  # the prompt's title may have been set bare

    def _paint_candidates(self, task: RankTask, left: RenderedPane, right: RenderedPane) -> None:
        """A ranking task's K candidates, by letter only (never the model), the first half
        on the left, the rest on the right; each pane titled with its letters."""
        for pane in (left, right):
            parts = []
            for i in _candidates_of(task, pane.id or ""):
                parts.append(Text(f" {candidate_name(i)} ", style="bold reverse"))
                content = task.responses[i].content
                parts.append(plain(content) if pane.id in self.raw else markdown(content))
            pane.set_lines(to_lines(Group(*parts), pane.content_width))

    def title_for(self, name: str) -> str:
        """A ranking task's response panes are titled with the letters they hold."""
        case = self.case
        if name in ("left", "right") and case is not None and isinstance(case.pair, RankTask):
            shown = _candidates_of(case.pair, name)
            title = f"{candidate_name(shown[0])}–{candidate_name(shown[-1])}"
            return title + (" · raw" if name in self.raw else "")
        return super().title_for(name)

    def action_order(self) -> None:
        """Type the order of record of a ranking task (checked: every candidate, once)."""
        case = self.case
        if case is None or not isinstance(case.pair, RankTask):
            if case is not None:
                self.notify("o sets the order of a ranking task; this is a pair.", timeout=3)
            return
        task = case.pair

        async def saved(text: str | None) -> None:
            if not (text and text.strip()):
                return
            try:
                order = parse_order(text.strip().splitlines()[0], task.k)
            except ValueError as exc:
                self.notify(
                    f"Not an order of {task.k}: {inert(str(exc))}",
                    severity="error",
                    timeout=8,
                    markup=False,
                )
                return
            await self._record(Decision(choice=None, order=order, rationale=self.rationale))

        last = candidate_name(task.k - 1)
        title = f"Order of record, best first: letters A-{last} or digits, = for ties (ctrl+s)"
        self.app.push_screen(TextEditorDialog(title, "", limit=200, what="The order"), saved)

    def repaint(self) -> None:
        self.show()

    def matching_sections(self) -> list[Section]:
        case = self.case
        return self.guidelines.for_tags(case.pair.tags) if case is not None else []

    def _info(self) -> None:
        keymap = self.rankterm_app.settings.keys
        text = Text(no_wrap=True, overflow="ellipsis")
        case = self.case
        if case is not None and case.is_ranking:
            order_key = key_for("adjudicate.order", keymap)
            unclear_key = key_for("adjudicate.unclear", keymap)
            text.append(
                f" {order_key} type the order of record · {unclear_key} unclear ", style="dim"
            )
        else:
            text.append_text(adjudicate_legend(keymap))
        if self.rationale:
            text.append(f" ✎ {inert(self.rationale.splitlines()[0])[:50]}", style="italic")
        pending = self.desk.pending
        if pending:
            text.append(f"  ◌ {pending} not yet delivered", style="yellow")
        self.query_one("#info", Static).update(text)
        self.query_one(KeyBar).show_text(adjudicate_key_line(keymap, self.size.width or 80))

    async def _record(self, decision: Decision) -> None:
        case = self.case
        if case is None:
            return
        try:
            await asyncio.to_thread(self.desk.resolve, case, decision)
        except RanktermError as exc:
            self.notify(f"Not saved: {inert(str(exc))}", severity="error", timeout=10, markup=False)
            return
        self.notify(f"Resolved {inert(case.pair.id)}.", timeout=2, markup=False)
        # Move to the next case still without a verdict.
        for step in range(1, len(self.cases) + 1):
            candidate = (self.position + step) % len(self.cases)
            if self.cases[candidate].settled is None:
                self.position = candidate
                break
        else:
            self.position = len(self.cases)  # all settled
        self.show()

    async def action_decide(self, choice: str, strength: int) -> None:
        if self.case is not None and self.case.is_ranking:
            self.notify("A ranking task is settled by its order: press o and type it.", timeout=4)
            return
        if self.case is not None:
            refusal = self.gate.admit(CURRENT_PRESS.get())
            if refusal is not None:
                if refusal.notice:
                    self.notify(refusal.notice, severity="warning", timeout=4, markup=False)
                return
        picked = Choice(choice)
        await self._record(
            Decision(
                choice=picked,
                strength=strength if picked in (Choice.A, Choice.B) else None,
                rationale=self.rationale,
            )
        )

    def action_unclear(self) -> None:
        if self.case is None:
            return

        case = self.case

        async def saved(note: str | None) -> None:
            if not (note and note.strip()):
                return
            decision = Decision(
                choice=None, guideline_unclear=True, note=note.strip(), rationale=self.rationale
            )
            try:
                await asyncio.to_thread(self.desk.resolve, case, decision)
            except RanktermError as exc:
                self.notify(
                    f"Not saved: {inert(str(exc))}", severity="error", timeout=10, markup=False
                )
                return
            # A note is not a verdict: stay on the case (as a comment does), rationale kept,
            # so the next key decides the case the expert has been reading.
            self._show_same_case()
            self.notify(
                "Noted for the guideline owner. This case still needs your verdict.",
                timeout=4,
                markup=False,
            )

        title = "Guideline unclear: what should the guideline say? (ctrl+s saves)"
        self.app.push_screen(
            TextEditorDialog(title, "", limit=limits.MAX_TEXT, what="The note"), saved
        )

    def action_rationale(self) -> None:
        if self.case is None:
            return

        def saved(text: str | None) -> None:
            if text is not None:
                self.rationale = text.strip()
                self._info()

        self.app.push_screen(
            TextEditorDialog(
                "Rationale for the final verdict",
                self.rationale,
                limit=limits.MAX_TEXT,
                what="The rationale",
            ),
            saved,
        )

    def action_comment(self) -> None:
        case = self.case
        if case is None:
            return

        async def saved(text: str | None) -> None:
            if text and text.strip():
                try:
                    await asyncio.to_thread(self.desk.comment, case, text.strip())
                except RanktermError as exc:
                    self.notify(
                        f"Comment not saved: {inert(str(exc))}", severity="error", markup=False
                    )
                    return
                self._show_same_case()

        self.app.push_screen(
            TextEditorDialog(
                "Comment on this pair", "", limit=limits.MAX_COMMENT, what="The comment"
            ),
            saved,
        )

    def _show_same_case(self) -> None:
        """Paint the case on screen again (a note or comment was added) keeping the rationale
        being written and the reader's place in every pane."""
        rationale = self.rationale
        places = {pane.id: pane.scroll_y for pane in self.query(RenderedPane)}
        self.show()
        self.rationale = rationale
        self._info()
        for pane in self.query(RenderedPane):
            pane.scroll_to(y=places.get(pane.id, 0), animate=False, immediate=True)

    def action_move(self, delta: int) -> None:
        if self.cases:
            self.position = max(0, min(len(self.cases) - 1, self.position + delta))
            self.show()

    def action_toggle_diff(self) -> None:
        self.diff = not self.diff
        self.show()

    def action_help(self) -> None:
        settings = self.rankterm_app.settings
        self.app.push_screen(HelpDialog(settings.keys, [], ADJUDICATE_BINDINGS))
