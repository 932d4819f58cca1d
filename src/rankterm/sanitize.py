"""Make untrusted text inert before it can reach a terminal.

Model output, prompts, rationales, annotator names and guideline files may carry ANSI CSI / OSC
sequences (OSC 52 writes the clipboard, OSC 0 retitles the window, OSC 8 plants links), C1
controls, NULs and bidi overrides that reorder what the reader sees. All of them are replaced
by visible stand-ins, so an annotator sees that the text contains them, but the terminal never
receives them. Newlines and tabs are kept: they are layout, not control.
"""

from __future__ import annotations

_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        if code not in (0x09, 0x0A):
            table[code] = chr(0x2400 + code)  # control pictures: ␀ ␁ … ␛ …
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = f"\\x{code:02x}"
    for code in _BIDI:
        table[code] = f"<U+{code:04X}>"
    # Line and paragraph separators can break layout assumptions in some terminals.
    table[0x2028] = "\n"
    table[0x2029] = "\n"
    table[0xFEFF] = ""
    return table


_TABLE = _build_table()
_UNSAFE = frozenset(_TABLE)


def inert(text: str) -> str:
    """Return ``text`` with every terminal control replaced by a visible, harmless stand-in."""
    # Fast path: most text has nothing to replace, and translate() always copies.
    if text.isprintable() or not any(ord(ch) in _UNSAFE for ch in text):
        return text
    return text.translate(_TABLE)


def has_controls(text: str) -> bool:
    """Whether :func:`inert` would change ``text`` (used to warn the annotator)."""
    return any(ord(ch) in _UNSAFE for ch in text)
