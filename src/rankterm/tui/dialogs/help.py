"""Every key the annotation screen understands, as currently mapped."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from rankterm.config import TagSpec
from rankterm.sanitize import inert
from rankterm.tui.keymap import all_bindings, group_of
from rankterm.tui.widgets.key_scroll import KeyScroll


def _table() -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2), expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True, width=16)
    table.add_column("action", ratio=1)
    return table


def help_table(
    keymap: dict[str, str], tags: list[TagSpec], bindings: list[Binding] | None = None
) -> Group:
    """Every binding by group, with the keys as the user has mapped them."""
    groups: dict[str, Table] = {}
    for binding in bindings if bindings is not None else all_bindings():
        table = groups.setdefault(group_of(binding.id), _table())
        keys = keymap.get(binding.id or "", binding.key)
        shown = binding.key_display if binding.key_display and binding.id not in keymap else keys
        words = binding.tooltip or binding.description
        table.add_row(Text(inert(shown.replace(",", " / "))), Text(words))
    if tags:
        table = groups.setdefault("Error-type tags (toggle)", _table())
        for tag in tags:
            table.add_row(Text(inert(tag.key)), Text(inert(tag.title)))
    parts: list = []
    for title, table in groups.items():
        parts += [Text(""), Text(title, style="bold underline"), table]
    return Group(*parts)


class HelpDialog(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpDialog { align: center middle; }
    HelpDialog > KeyScroll {
        width: 90%; max-width: 100; height: 90%; border: thick $accent;
        background: $surface; padding: 0 2;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", id="help.close")]

    def __init__(
        self, keymap: dict[str, str], tags: list[TagSpec], bindings: list[Binding] | None = None
    ) -> None:
        super().__init__()
        self._keymap = keymap
        self._tags = tags
        self._binding_list = bindings

    def compose(self) -> ComposeResult:
        with KeyScroll(id="help-body") as scroll:
            scroll.border_title = Text("Keys (remap in config.toml [keys]) · esc to close")
            yield Static(help_table(self._keymap, self._tags, self._binding_list))

    def action_close(self) -> None:
        self.dismiss(None)
