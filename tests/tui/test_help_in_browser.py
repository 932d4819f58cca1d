"""The help dialog tells a browser user the truth about remapping keys.

In `rankterm web` each person's TUI runs with a private home made by the server (see
rankterm.web.child): the config.toml that `rankterm config --path` would print lives on the
server, out of the person's reach, so sending them there is advice they cannot follow.
"""

from __future__ import annotations

from rich.console import Console

from rankterm.tui.browser_keys import WEB_FLAG
from rankterm.tui.dialogs.help import help_table


def rendered(monkeypatch, browser: bool) -> str:
    if browser:
        monkeypatch.setenv(WEB_FLAG, "1")
    else:
        monkeypatch.delenv(WEB_FLAG, raising=False)
    console = Console(width=100, record=True, color_system=None)
    console.print(help_table({}, []))
    return console.export_text()


def test_in_a_terminal_help_says_where_to_remap(monkeypatch) -> None:
    text = rendered(monkeypatch, browser=False)
    assert "rankterm config --path" in text


def test_in_a_browser_help_does_not_send_people_to_a_file_they_cannot_reach(monkeypatch) -> None:
    text = " ".join(rendered(monkeypatch, browser=True).split())
    assert "rankterm config --path" not in text
    assert "ask whoever runs it" in text
    assert "In a browser (rankterm web)" in text
