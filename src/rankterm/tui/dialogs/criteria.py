"""Per-criterion verdicts: one row per criterion, one key per mark, in screen terms.

The annotator works in left / right, as on the main screen; the screen converts to the data's
A/B terms (``rankterm.core.model.criteria_from_screen``). Setting a mark moves to the next row, so
three criteria take three keys and enter.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.widgets import Static

from rankterm.core.model import ScreenChoice
from rankterm.core.sanitize import inert

MARKS: dict[ScreenChoice, str] = {
    "left": "◀ left",
    "tie": "= tie",
    "right": "right ▶",
    "both_bad": "✗ both bad",
}


def criteria_table(criteria: list[str], marks: dict[str, ScreenChoice], selected: int) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2), expand=True)
    table.add_column("", width=1)
    # The names come first: at 80 columns the marks are narrowed, never the criteria.
    table.add_column("criterion", ratio=1, no_wrap=True, min_width=16)
    for mark in MARKS:
        table.add_column(mark, no_wrap=True)
    for row, name in enumerate(criteria):
        chosen = marks.get(name)
        cells = [
            Text(label, style="bold reverse" if chosen == mark else "dim")
            for mark, label in MARKS.items()
        ]
        here = row == selected
        table.add_row(
            Text("▶" if here else " ", style="bold"),
            Text(inert(name), style="bold" if here else ""),
            *cells,
        )
    return table


class CriteriaDialog(ModalScreen[dict[str, ScreenChoice] | None]):
    """Returns the marks (criterion -> screen choice), or None when cancelled."""

    DEFAULT_CSS = """
    CriteriaDialog { align: center middle; }
    CriteriaDialog > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    CriteriaDialog #criteria-body { height: auto; max-height: 1fr; }
    CriteriaDialog #criteria-help { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("left,1,2,3", "mark('left')", "Left better", show=False),
        Binding("4,t", "mark('tie')", "Tie", show=False),
        Binding("right,5,6,7", "mark('right')", "Right better", show=False),
        Binding("0,x", "mark('both_bad')", "Both bad", show=False),
        Binding("backspace,delete", "clear", "Clear", show=False),
        Binding("enter", "save", "Keep", show=False),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, criteria: list[str], marks: dict[str, ScreenChoice]) -> None:
        super().__init__()
        self.criteria = criteria
        self.marks = {k: v for k, v in marks.items() if k in criteria}
        self.selected = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text("Per-criterion verdicts: which side is better (as on screen)", style="bold"),
                id="criteria-title",
            )
            # Many criteria on a short terminal: the rows scroll, title and keys stay put.
            with VerticalScroll(id="criteria-body", can_focus=False):
                yield Static(id="criteria-table")
            yield Static(
                Text(
                    "↑/↓ choose · ← or 1-3 left · 4 tie · → or 5-7 right · 0 both bad · "
                    "backspace clear · enter keep · esc cancel"
                ),
                id="criteria-help",
            )

    def on_mount(self) -> None:
        self._paint()

    def _paint(self) -> None:
        table = criteria_table(self.criteria, self.marks, self.selected)
        self.query_one("#criteria-table", Static).update(table)
        self.call_after_refresh(self._keep_selected_in_view)

    def _keep_selected_in_view(self) -> None:
        body = self.query_one("#criteria-body", VerticalScroll)
        body.scroll_to_region(Region(0, self.selected, 1, 1), animate=False, immediate=True)

    def action_move(self, delta: int) -> None:
        self.selected = (self.selected + delta) % len(self.criteria)
        self._paint()

    def action_mark(self, mark: ScreenChoice) -> None:
        self.marks[self.criteria[self.selected]] = mark
        if self.selected < len(self.criteria) - 1:
            self.selected += 1
        self._paint()

    def action_clear(self) -> None:
        self.marks.pop(self.criteria[self.selected], None)
        self._paint()

    def action_save(self) -> None:
        self.dismiss(dict(self.marks))

    def action_cancel(self) -> None:
        self.dismiss(None)
