"""The Textual application: thin by design. It holds the shared pieces (settings, task source,
guidelines, active-time clock) and shows the annotation screen; the work happens elsewhere."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.screen import Screen

from rankterm.config import Settings
from rankterm.core.clock import ActiveClock
from rankterm.core.errors import LoadIssue, UsageError
from rankterm.guidelines import Guidelines
from rankterm.sources.base import SourceEvent, TaskSource
from rankterm.tui.gc_pacing import GcPacer
from rankterm.tui.keymap import all_bindings, binding_ids
from rankterm.tui.messages import message_for
from rankterm.tui.screens.annotate import AnnotateScreen
from rankterm.tui.verdict_gate import CURRENT_PRESS, Press

if TYPE_CHECKING:  # adjudication pulls in the quality metrics: not needed to annotate
    from rankterm.core.suggestions import SuggestionBook
    from rankterm.sources.adjudication import Desk
    from rankterm.sources.ranking import RankSource

_ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)


class RanktermApp(App[None]):
    """Annotate pairs from a task source, or adjudicate cases from a desk."""

    CSS_PATH = "rankterm.tcss"
    TITLE = "rankterm"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        source: TaskSource | None,
        settings: Settings,
        guidelines: Guidelines,
        *,
        load_issues: list[LoadIssue] | None = None,
        first_screen: Screen | None = None,
        exit_when_done: bool = False,
        rank_source: RankSource | None = None,
    ) -> None:
        super().__init__()
        #: The K-way ranking tasks of the same file (None when it holds none): ranked first,
        #: then the pairs (see :meth:`show_pairs`).
        self.rank_source = rank_source
        #: Scripted runs (--limit, --export) end by themselves once every pair has a verdict.
        self.exit_when_done = exit_when_done
        #: Models' verdicts to reveal after a verdict is saved (``--suggestions``), or None.
        self.suggestions: SuggestionBook | None = None
        self.source = source
        self.first_screen = first_screen
        self.settings = settings
        self.guidelines = guidelines
        self.load_issues = load_issues or []
        self.clock = ActiveClock(settings.idle_seconds)
        self.gc_pacer = GcPacer()
        #: The screen told of the source's changes (``_source_event``), once it is up.
        self._listening: Screen | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def on_mount(self) -> None:
        self.theme = self.settings.theme
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        if self.first_screen is not None:
            self.push_screen(self.first_screen)
        else:
            assert self.source is not None
            screen = self._first_annotation_screen()
            self._listening = screen
            self._unsubscribe = self.source.events.subscribe(self._source_event)
            self.push_screen(screen)
        # Once the first screen is up, what exists is the app itself: keep it out of collections.
        self.call_after_refresh(self.gc_pacer.freeze_startup)
        if self.load_issues:
            shown = "\n".join(str(issue) for issue in self.load_issues[:5])
            more = len(self.load_issues) - 5
            tail = f"\n… and {more} more (listed on stderr after quitting)" if more > 0 else ""
            self.notify(
                f"{len(self.load_issues)} bad line(s) skipped:\n{shown}{tail}",
                severity="warning",
                timeout=12,
                markup=False,
            )

    def _first_annotation_screen(self) -> Screen:
        """The ranking screen while ranking tasks are left (or the file holds nothing else),
        else the pairwise one."""
        rank = self.rank_source
        assert self.source is not None
        if (
            rank is not None
            and rank.has_tasks
            and (rank.current() is not None or self.source.progress().total == 0)
        ):
            from rankterm.tui.screens.rank import RankScreen

            return RankScreen(rank, self.guidelines)
        return AnnotateScreen(self.source, self.guidelines)

    def rankings_waiting(self) -> bool:
        """A ranking task is on hand (remote mode leases them alongside pairs, so one may
        come while the pairwise screen is up)."""
        rank = self.rank_source
        return rank is not None and rank.current() is not None

    def show_rankings(self) -> None:
        """No pair on hand and ranking tasks are: the ranking screen takes over."""
        from rankterm.tui.screens.rank import RankScreen

        assert self.rank_source is not None
        screen = RankScreen(self.rank_source, self.guidelines)
        self._listening = screen
        self.switch_screen(screen)

    def show_pairs(self) -> None:
        """Every ranking is done: the pairs of the same file come next, on their screen."""
        assert self.source is not None
        screen = AnnotateScreen(self.source, self.guidelines)
        self._listening = screen
        self.switch_screen(screen)

    def _source_event(self, event: SourceEvent) -> None:
        """The source's listener: runs on the source's thread (sync, indexing, validation)
        or on this one (a bad record met while reading), and hands the event over as a
        message. ``post_message`` is the thread-safe, non-blocking hop (it queues through the
        loop's ``call_soon_threadsafe``); ``call_from_thread`` would block the source's
        thread until the loop ran it, and a source may tell while the loop waits for the
        source's lock (``progress()`` on a repaint): that would deadlock."""
        screen = self._listening
        if screen is None:
            return
        # A late event after the loop closed: nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            screen.post_message(message_for(event))

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()  # the loop goes away: sources must not post into it
        self._listening = None
        self.gc_pacer.release()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _ACTIVITY):
            self.clock.touch()
        if isinstance(event, events.Key):
            # Bindings run inside this call (priority ones on the first pass, the others when
            # the key bubbles back up): the action can then ask which press, read when, it is.
            token = CURRENT_PRESS.set(Press(event.key, event.time))
            try:
                await super().on_event(event)
            finally:
                CURRENT_PRESS.reset(token)
            return
        await super().on_event(event)


def check_settings(settings: Settings, available_themes: set[str]) -> None:
    """Reject a config that would make keys ambiguous or name things that do not exist."""
    known = binding_ids()
    unknown = sorted(set(settings.keys) - known)
    if unknown:
        raise UsageError(
            f"config [keys]: unknown binding id(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    taken: dict[str, str] = {}
    for binding in all_bindings():
        keys = settings.keys.get(binding.id or "", binding.key)
        for key in keys.split(","):
            taken[key.strip()] = binding.id or binding.action
    for tag in settings.tags:
        if tag.key in taken:
            raise UsageError(
                f"config tags: key {tag.key!r} for tag {tag.name!r} "
                f"is already bound to {taken[tag.key]}"
            )
        taken[tag.key] = f"tag {tag.name}"
    if settings.theme not in available_themes:
        raise UsageError(
            f"config theme: unknown theme {settings.theme!r}; "
            f"try one of {', '.join(sorted(available_themes))}"
        )


def make_app(
    source: TaskSource,
    settings: Settings,
    guidelines: Guidelines,
    *,
    load_issues: list[LoadIssue] | None = None,
    exit_when_done: bool = False,
    rank_source: RankSource | None = None,
    suggestions: SuggestionBook | None = None,
) -> RanktermApp:
    """The one factory the CLI and the tests both use, so tests run what users run."""
    app = RanktermApp(
        source,
        settings,
        guidelines,
        load_issues=load_issues,
        exit_when_done=exit_when_done,
        rank_source=rank_source,
    )
    #: Models' verdicts, revealed only after the annotator's own is journaled.
    app.suggestions = suggestions
    check_settings(settings, set(app.available_themes))
    return app


def make_adjudicate_app(
    desk: Desk, settings: Settings, guidelines: Guidelines, *, load_issues=None
) -> RanktermApp:
    """The adjudication app: same shell, the adjudication screen first."""
    from rankterm.tui.screens.adjudicate import AdjudicateScreen

    app = RanktermApp(
        None,
        settings,
        guidelines,
        load_issues=load_issues,
        first_screen=AdjudicateScreen(desk, guidelines),
    )
    check_settings(settings, set(app.available_themes))
    return app
