"""What the help screen says about keys when the TUI runs in a browser (``rankterm web``).

A browser keeps some keys for itself before any page sees them (closing or opening tabs and
windows); others it would use (ctrl+s "save page", ctrl+z, tab, F1) the page's terminal
(xterm.js) takes first, so they reach rankterm as in a terminal -- tests/web/test_browser.py
presses them in Chromium. This table says which is which, and what to use instead.
"""

from __future__ import annotations

import os

#: Set by ``rankterm web`` in every person's process.
WEB_FLAG = "RANKTERM_WEB"

BROWSER_KEYS: list[tuple[str, str]] = [
    ("ctrl+s", "saves in the text editors, as in a terminal (the page keeps it from the browser)"),
    ("ctrl+z", "undo works; z does the same"),
    ("tab", "next pane works (focus stays in rankterm)"),
    ("F1", "help works; ? does the same"),
    (
        "ctrl+w  ctrl+t  ctrl+n  ctrl+tab",
        "kept by the browser (close the tab, new tab/window, switch tabs); rankterm uses "
        "none of them. A closed tab loses nothing: open the page again to resume",
    ),
    ("F5", "reloads the page in some browsers: the session resumes where it was"),
    ("F11  F12", "the browser's full screen and developer tools; rankterm uses neither"),
]


def in_browser() -> bool:
    return os.environ.get(WEB_FLAG) == "1"
