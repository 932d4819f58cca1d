"""Type a full order instead of comparing: ``3142``, ``CADB`` or ``C>A=D>B`` (``=`` ties).

The order is checked against the task on screen as it is typed (every candidate once, no
letter beyond K); what it says against the comparisons already made is checked by the source
when it is entered, and any disagreement is asked again side by side.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
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

    def __init__(self, task: RankTask, typed: str = "") -> None:
        super().__init__()
        self.rank_task = task
        self.typed = typed

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
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
