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
from rankterm.core.sanitize import inert
from rankterm.tui.browser_keys import BROWSER_KEYS, in_browser
from rankterm.tui.keymap import all_bindings, group_of, keys_for, show_key
from rankterm.tui.widgets.key_scroll import KeyScroll


def _table() -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("action", ratio=1)
    table.add_column("id", style="dim", no_wrap=True)
    return table


def remap_hint() -> Text:
    """Where keys are remapped. In a browser the TUI's config lives on the web server, in a
    home of its own (``rankterm.web.child``), out of the person's reach: say so instead."""
    if in_browser():
        return Text(
            "Keys are remapped on the machine that runs rankterm web, in a config file kept "
            "there for you (ask whoever runs it), by the id on the right.",
            style="dim",
        )
    return Text.assemble(
        "Remap a key in config.toml (",
        ("rankterm config --path", "bold"),
        ') under [keys], by the id on the right: "verdict.tie" = "t".',
        style="dim",
    )


def help_table(
    keymap: dict[str, str], tags: list[TagSpec], bindings: list[Binding] | None = None
) -> Group:
    """Every binding by group, with the keys as the user has mapped them and the id that
    remaps it (the config's ``[keys]`` table; README and ``config --init`` send people here)."""
    groups: dict[str, Table] = {}
    for binding in bindings if bindings is not None else all_bindings():
        table = groups.setdefault(group_of(binding.id), _table())
        if binding.id:
            keys = keys_for(binding.id, keymap)
        else:
            keys = [show_key(k) for k in binding.key.split(",")]
        words = binding.tooltip or binding.description
        table.add_row(Text(inert(" / ".join(keys))), Text(words), Text(binding.id or ""))
    ordered = list(groups.items())
    if tags:
        # Right after the verdicts: the keys used on a pair, before reading and moving on.
        table = _table()
        for tag in tags:
            table.add_row(Text(inert(tag.key)), Text(inert(tag.title)), Text(inert(tag.name)))
        ordered.insert(1, ("Error-type tags (toggle; set in [[tags]])", table))
    parts: list = [remap_hint()]
    if in_browser():
        table = _table()
        for keys, words in BROWSER_KEYS:
            table.add_row(Text(keys), Text(words), Text(""))
        ordered.insert(0, ("In a browser (rankterm web)", table))
    for title, table in ordered:
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
            where = "ids on the right" if in_browser() else "remap in config.toml [keys]"
            scroll.border_title = Text(f"Keys ({where}) · esc to close")
            yield Static(help_table(self._keymap, self._tags, self._binding_list))

    def action_close(self) -> None:
        self.dismiss(None)
