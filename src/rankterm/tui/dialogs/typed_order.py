"""Type a full order instead of comparing: ``3142``, ``CADB`` or ``C>A=D>B`` (``=`` ties).

The order is checked against the task on screen as it is typed (every candidate once, no
letter beyond K); what it says against the comparisons already made is checked by the source
when it is entered, and any disagreement is asked again side by side.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from rankterm.core.model import RankTask, candidate_name, parse_order
from rankterm.core.sanitize import inert

PREVIEW = 60


#: How much of a candidate the preview reads: its first ``width`` words-worth of characters,
#: with room for blank runs and the stand-ins inert text gets (``<U+200B>``).
HEAD = 64


def candidate_lines(task: RankTask, width: int = PREVIEW) -> Text:
    """Each candidate's letter and the start of its text (inert; never its model).

    Only the head of each candidate is read: the dialog opens on the event loop, and nine
    9 MB candidates made inert and split whole took seconds to show 60 characters each."""
    text = Text()
    for i, cand in enumerate(task.responses):
        first = " ".join(inert(cand.content[: width * HEAD]).split())[:width]
        text.append(f"{candidate_name(i)} ", style="bold")
        text.append(first + ("…" if len(cand.content) > width else "") + "\n", style="dim")
    return text


class TypedOrderDialog(ModalScreen[str | None]):
    """Enter returns the typed order once it is a full order of the task; escape cancels."""

    DEFAULT_CSS = """
    TypedOrderDialog { align: center middle; }
    TypedOrderDialog > Vertical {
        width: 90%; max-width: 90; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    /* A Label is as wide as its text: the full width of the box makes the hint wrap
       (at 80 columns it is longer than the dialog is wide). */
    TypedOrderDialog .hint { color: $text-muted; width: 100%; }
    TypedOrderDialog #problem { color: $error; height: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="typed.cancel", priority=True)]

    def __init__(self, task: RankTask, typed: str = "", early: str = "") -> None:
        super().__init__()
        self.rank_task = task
        self.typed = typed
        #: Keys typed before the field had the focus ("\n" for Enter): handed over by the
        #: ranking screen (read after the order key) or read by this screen itself.
        self._early = early
        #: Answered (or cancelled): a paste holding two Enters dismisses once.
        self._done = False

    def compose(self) -> ComposeResult:
        last = candidate_name(self.rank_task.k - 1)
        with Vertical():
            yield Label(Text(f"Type the order of {self.rank_task.k}, best first", style="bold"))
            yield Label(candidate_lines(self.rank_task))
            yield Label(
                f"Letters A-{last} or digits 1-{self.rank_task.k}; = for a tie (C>A=D>B, 31=42). "
                "Enter to check it against your comparisons, escape to cancel.",
                classes="hint",
            )
            yield Input(value=self.typed, placeholder="e.g. CADB", id="order")
            yield Label("", id="problem")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_screen_resume(self) -> None:
        # Once this screen is the active one: an Enter among the early keys dismisses it,
        # and a dismissal from ``on_mount`` left it on the stack (1 run in 5).
        self._take_early()

    def feed(self, text: str) -> None:
        """Keys the ranking screen read for this dialog (see :meth:`on_key`)."""
        self._early += text
        if self.is_current:
            self._take_early()

    def on_key(self, event: events.Key) -> None:
        """Keys that arrive before the field has the focus go into it. ``o3142`` and Enter
        pasted over SSH come in one burst: the first ones reach the ranking screen before
        this dialog is up (it hands them over), the rest may reach this screen before its
        field has the focus. Both were lost, and the dialog opened empty."""
        if self.focused is not None:
            return
        if event.key == "enter":
            text = "\n"
        elif event.is_printable and event.character:
            text = event.character
        else:
            return
        event.stop()
        event.prevent_default()
        self._early += text
        if self.is_current:
            self._take_early()

    def _take_early(self) -> None:
        if self._done or not self._early or not self.query(Input):
            return
        field = self.query_one(Input)
        typed, enter, _ = self._early.partition("\n")
        self._early = ""  # keys after an Enter were for the screen this dialog closes on
        field.insert_text_at_cursor(typed)
        if enter:
            self.call_later(field.action_submit)

    def problem(self, value: str) -> str | None:
        """What is wrong with the order typed so far, or None when it is a full order."""
        try:
            parse_order(value, self.rank_task.k)
        except ValueError as exc:
            return str(exc)
        return None

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#problem", Label).update("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        problem = self.problem(event.value)
        if problem is not None:
            self.query_one("#problem", Label).update(Text(problem))
            return
        if not self._done:  # one answer, however many Enters a paste held
            self._done = True
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        if not self._done:
            self._done = True
            self.dismiss(None)
