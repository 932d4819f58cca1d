"""Every use of Textual's private internals, behind one switch.

Why: :class:`~rankterm.tui.widgets.rendered_pane.RenderedPane` frames its lines itself (see
``RenderedPane._render_fast``): it renders one "probe" line through Textual's styles cache with
a marker for its text and reuses what lands left and right of the marker for every other
line, and it invalidates rows of the widget's private styles cache (``Widget._styles_cache``)
around that probe. That halves the frame after a verdict, but none of it is public API: a
Textual release may rename the cache, or frame lines differently, and the probe would then
frame the text wrongly rather than fail loudly.

So the fast path runs only where it was verified: the installed Textual is one of
:data:`VERIFIED_TEXTUAL` *and* the private pieces it touches exist. Anywhere else
:func:`fast_path` is off and the pane takes Textual's public line API (``render_line`` per
line), which is slower but correct. ``RANKTERM_TUI_FAST_PATH=0`` turns it off by hand (to rule
it out when a screen looks wrong), and :func:`forced` does so in tests. The version is pinned by
``tests/tui/test_internals.py``: upgrading Textual fails that test until someone has checked
the fast path against the new release (the snapshot tests and the switched-off comparison in
that file are the check) and added the version here.

Rich's hovered-link id is read through ``Style.link_id``, a public property: it needs no switch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import textual

if TYPE_CHECKING:
    from textual.geometry import Region
    from textual.widget import Widget

#: Textual releases the fast path was checked on (screens compared with it on and off).
VERIFIED_TEXTUAL: frozenset[str] = frozenset({"8.2.8"})


def _available() -> bool:
    """Whether the installed Textual is verified and still has what the fast path touches."""
    if os.environ.get("RANKTERM_TUI_FAST_PATH", "1") == "0":
        return False
    if getattr(textual, "__version__", None) not in VERIFIED_TEXTUAL:
        return False
    try:
        from textual._styles_cache import StylesCache
        from textual.widget import Widget
    except ImportError:
        return False
    return callable(getattr(StylesCache, "set_dirty", None)) and callable(
        getattr(Widget, "render_lines", None)
    )


_enabled = _available()


def fast_path() -> bool:
    """Whether :class:`RenderedPane` may frame lines itself (see the module docstring)."""
    return _enabled


@contextmanager
def forced(enabled: bool) -> Iterator[None]:
    """Force the switch on or off for the duration (tests: the public path must look the
    same). Forcing it on where it is not available is refused."""
    global _enabled
    if enabled and not _available():
        raise RuntimeError("the fast path is not available with this Textual")
    before, _enabled = _enabled, enabled
    try:
        yield
    finally:
        _enabled = before


def invalidate_rows(widget: Widget, region: Region) -> bool:
    """Mark ``region``'s rows of ``widget``'s private styles cache dirty, so Textual renders
    them afresh. Returns False (and does nothing) when the cache is not what the fast path
    was verified with: the caller must then not take the fast path."""
    cache = getattr(widget, "_styles_cache", None)
    set_dirty = getattr(cache, "set_dirty", None)
    if set_dirty is None:
        return False
    set_dirty(region)
    return True


def cell_table():  # rich's CellTable type is private too
    """Rich's table of cell widths (``rich._unicode_data``): the lazy raw fold
    (``raw_lines``) must measure every character exactly as Rich does."""
    from rich._unicode_data import load

    return load("auto")
