"""Screens type the app by the AppContext protocol (the app module imports the screens, so
they cannot name its class): the real app must carry everything the protocol promises."""

from __future__ import annotations

import typing

from rankterm.config import Settings
from rankterm.guidelines import EMPTY
from rankterm.tui.app import RanktermApp
from rankterm.tui.context import AppContext


def test_the_app_satisfies_the_context_screens_use() -> None:
    app = RanktermApp(None, Settings(), EMPTY)
    hints = typing.get_type_hints(AppContext)
    assert set(hints) >= {"settings", "clock", "gc_pacer", "exit_when_done"}
    for name, kind in hints.items():
        assert isinstance(getattr(app, name), kind), name
