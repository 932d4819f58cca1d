"""Make untrusted text inert before it can reach a terminal.

Model output, prompts, rationales, annotator names and guideline files may carry ANSI CSI / OSC
sequences (OSC 52 writes the clipboard, OSC 0 retitles the window, OSC 8 plants links), C1
controls, NULs and bidi overrides that reorder what the reader sees. All of them are replaced
by visible stand-ins, so an annotator sees that the text contains them, but the terminal never
receives them. Newlines and tabs are kept: they are layout, not control.

Invisible characters get the same treatment: every format character (Unicode category Cf: zero
width space and joiners, word joiner, byte order mark, soft hyphen, the bidi embeddings,
overrides and isolates, the tag characters that can spell out a hidden instruction) and lone
surrogates are shown as ``<U+XXXX>``. A verdict is only as good as what the person saw, and a
character that renders as nothing can hide or reorder what they see.
"""

from __future__ import annotations

import re

#: Every format character (category Cf) up to Unicode 15.1, as inclusive ranges. A test checks
#: the list against the running Python's Unicode database.
FORMAT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x0600, 0x0605),
    (0x061C, 0x061C),  # Arabic letter mark
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),  # zero width space, non-joiner, joiner; LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidi isolates, deprecated format characters
    (0xFEFF, 0xFEFF),  # byte order mark / zero width no-break space
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),  # tag characters
)
_SURROGATES = (0xD800, 0xDFFF)


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        if code not in (0x09, 0x0A):
            table[code] = chr(0x2400 + code)  # control pictures: ␀ ␁ … ␛ …
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):
        table[code] = f"\\x{code:02x}"
    for first, last in (*FORMAT_RANGES, _SURROGATES):
        for code in range(first, last + 1):
            table[code] = f"<U+{code:04X}>"
    # Line and paragraph separators can break layout assumptions in some terminals.
    table[0x2028] = "\n"
    table[0x2029] = "\n"
    return table


_TABLE = _build_table()


def _character_class() -> str:
    ranges = [(0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029), _SURROGATES]
    ranges.extend(FORMAT_RANGES)
    return "[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]"


#: What :func:`inert` replaces, searched in C: the text of a 9 MB response is checked in
#: milliseconds, where a Python loop over its characters took seconds.
_UNSAFE = re.compile(_character_class())


def _clean(text: str) -> bool:
    """Whether ``text`` holds nothing :func:`inert` replaces. Everything it replaces is
    "not printable" to Python, and ``str.isprintable`` runs at memory speed; only text that
    holds some other non-printable character (a no-break space, a private-use character) is
    searched character by character."""
    if text.isprintable():
        return True
    if ("\n" in text or "\t" in text) and text.replace("\n", "").replace("\t", "").isprintable():
        return True
    return _UNSAFE.search(text) is None


def inert(text: str) -> str:
    """Return ``text`` with every terminal control and invisible character replaced by a
    visible, harmless stand-in."""
    if _clean(text):  # most text has nothing to replace; translate copies
        return text
    return text.translate(_TABLE)


def has_controls(text: str) -> bool:
    """Whether :func:`inert` would change ``text`` (used to warn the annotator)."""
    return not _clean(text)
