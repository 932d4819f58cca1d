"""The help screen names the browser's keys only when the TUI runs under ``rankterm web``."""

from __future__ import annotations

import pytest
from rich.console import Console

from rankterm.tui.dialogs.help import help_table


def _render(group) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(group)
    return console.export_text()


def test_help_names_browser_keys_in_web_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKTERM_WEB", "1")
    text = _render(help_table({}, []))
    assert "In a browser" in text
    for key in ("ctrl+s", "ctrl+z", "tab", "F1", "ctrl+w"):
        assert key in text
    assert "z does the same" in text and "? does the same" in text


def test_help_in_a_terminal_has_no_browser_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RANKTERM_WEB", raising=False)
    assert "In a browser" not in _render(help_table({}, []))
