"""A multi-line editor dialog, used for the rationale and for writing the ideal answer.

Text longer than the task server accepts is refused here, before it can become part of a
verdict: journaled first and refused by the server later, it would be a label lost.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea
from textual.widgets.text_area import Edit, EditResult

from rankterm.core.limits import over_limit
from rankterm.core.sanitize import inert


class SafeTextArea(TextArea):
    """A TextArea that never holds terminal controls: typed, pasted or prefilled text is made
    inert on the way in (TextArea draws its text raw)."""

    def edit(self, edit: Edit) -> EditResult:
        edit.text = inert(edit.text)
        return super().edit(edit)


class TextEditorDialog(ModalScreen[str | None]):
    """Edit text; ctrl+s saves and returns it, escape returns None (nothing changes).

    Why saving goes through the editor's own queue: ``ctrl+s`` is a priority binding, run by
    the app the moment it reads the key, while every key before it was only *forwarded* to the
    TextArea's message queue. A paste, or keys an SSH link delivers in one packet, is read in
    one go, so at that moment most of the text is still queued and reading ``TextArea.text``
    then cut it short (a 2,000-character burst was stored as 218). Posting the save to the
    TextArea puts it behind every key already forwarded, so it reads the text they make.
    """

    DEFAULT_CSS = """
    TextEditorDialog { align: center middle; }
    TextEditorDialog > Vertical {
        width: 90%; max-width: 120; height: 80%; min-height: 10;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    TextEditorDialog TextArea { height: 1fr; }
    TextEditorDialog .hint { color: $text-muted; height: 1; }
    TextEditorDialog .refused { color: $error; height: auto; display: none; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="editor.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="editor.cancel", priority=True),
    ]

    def __init__(
        self,
        title: str,
        text: str,
        *,
        language: str | None = None,
        limit: int | None = None,
        what: str = "This text",
    ) -> None:
        """``limit``: the most characters the task server accepts for this field (from
        :mod:`rankterm.core.wire`); saving longer text is refused with ``what`` named."""
        super().__init__()
        self._finished = False
        self._title = title
        self._text = text
        self._language = language
        self._limit = limit
        self._what = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(inert(self._title)), classes="title")
            yield SafeTextArea(
                inert(self._text), language=self._language, soft_wrap=True, show_line_numbers=False
            )
            yield Label("", id="refused", classes="refused")
            yield Label("ctrl+s save and return · esc cancel", classes="hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        # Queued behind the keys already forwarded to the editor (see the class docstring).
        area = self.query_one(TextArea)
        area.call_later(self._save_text, area)

    def _save_text(self, area: TextArea) -> None:
        """Runs in the editor's own queue, after every key that reached the app before ctrl+s
        (and before any key after it): the text is exactly what was typed up to ctrl+s.
        Text over the limit is refused: the dialog stays open, saying by how much."""
        text = area.text
        if self._limit is not None and not self._finished:
            problem = over_limit(self._what, text.strip(), self._limit)
            if problem is not None:
                refused = self.query_one("#refused", Label)
                refused.update(Text(problem))
                refused.display = True
                self.notify(f"Not saved: {problem}", severity="error", markup=False)
                return
        self._close(text)

    def action_cancel(self) -> None:
        self._close(None)

    def _close(self, result: str | None) -> None:
        # A second ctrl+s (or escape) in the same burst finds the dialog already closing.
        if self._finished:
            return
        self._finished = True
        self.dismiss(result)
