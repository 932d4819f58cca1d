"""A full-screen reader for a long document (the whole guidelines), closed with escape or q.

It can open at a heading: ``g`` beside a pair opens the guidelines at the section that matches
the pair, which is how the section is read at 80x24, where no strip beside the pair fits."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from rankterm.core.sanitize import inert
from rankterm.tui.render import markdown, to_lines
from rankterm.tui.widgets.rendered_pane import RenderedPane


class ReaderDialog(ModalScreen[None]):
    DEFAULT_CSS = """
    ReaderDialog { align: center middle; }
    ReaderDialog RenderedPane { width: 95%; max-width: 140; height: 95%; background: $surface; }
    """

    BINDINGS = [
        Binding("escape,q,g", "close", "Close", id="reader.close"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
        Binding("space", "page", "Page down", show=False),
    ]

    def __init__(self, title: str, text: str, *, start_at: str | None = None) -> None:
        super().__init__()
        self._title = title
        self._text = text
        #: A heading to open at (its first line that reads exactly so), else the top.
        self._start_at = start_at

    def compose(self) -> ComposeResult:
        yield RenderedPane(id="reader")

    def on_mount(self) -> None:
        pane = self.query_one(RenderedPane)
        pane.border_title = Text(inert(self._title))  # a Text is never parsed as markup
        pane.border_subtitle = "j/k/space scroll · home top · esc close"
        pane.focus()
        self.call_after_refresh(self._render_text)

    def _render_text(self) -> None:
        pane = self.query_one(RenderedPane)
        pane.set_lines(to_lines(markdown(self._text), pane.content_width))
        if self._start_at:
            wanted = inert(self._start_at).strip()
            for index, line in enumerate(pane.text.splitlines()):
                if line.strip() == wanted:
                    pane.scroll_to(y=index, animate=False, immediate=True)
                    break

    def action_scroll(self, lines: int) -> None:
        pane = self.query_one(RenderedPane)
        pane.scroll_relative(y=lines, animate=False)

    def action_page(self) -> None:
        self.query_one(RenderedPane).scroll_page_down(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
