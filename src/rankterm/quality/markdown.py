"""Markdown building blocks that keep untrusted text inert.

Rationales, notes, annotator ids and metadata values come from people and models. In an audit
report they must read as text: no raw HTML, no links or images they did not ask for, no table
broken by a ``|``, no terminal escape sequences for whoever ``cat``s the file.
(A bare URL may still be auto-linked by a renderer; it stays visible as the text it is.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rankterm.core.sanitize import inert

# Every character that can start or shape Markdown or HTML. CommonMark lets any ASCII
# punctuation be backslash-escaped, so escaping more than needed is harmless.
_SPECIAL = re.compile(r"([\\`*_{}\[\]!|~<>])")
# Block syntax only matters where a line starts: headings, lists, quotes, numbered items.
_LEADING = re.compile(r"^([#+\-=]|\d+(?=[.)]))")
_SPACE = re.compile(r"\s+")


def md(text: object, *, limit: int | None = None) -> str:
    """Untrusted text as one inert Markdown line (newlines folded, specials escaped).

    Controls become visible stand-ins (:func:`rankterm.core.sanitize.inert`), ``&`` becomes
    ``&amp;`` so no entity can form, and ``<``, ``[``, ``!`` and friends are backslash-escaped
    so no tag, link or image can form.
    """
    value = inert(str(text))
    value = _SPACE.sub(" ", value).strip()
    if limit is not None and len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    value = value.replace("&", "&amp;")
    value = _SPECIAL.sub(r"\\\1", value)
    return _LEADING.sub(_escape_leading, value)


def _escape_leading(match: re.Match[str]) -> str:
    """``# x`` -> ``\\# x``; ``1. x`` -> ``1\\. x`` (the dot is what makes the list)."""
    mark = match.group(1)
    return mark + "\\" if mark.isdigit() else "\\" + mark


def code(text: object) -> str:
    """Inline code for identifiers (file names, hashes, pair ids); backticks cannot escape."""
    value = _SPACE.sub(" ", inert(str(text))).strip()
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}" if value else "` `"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; cells must already be escaped (use :func:`md`)."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    count = 0
    for row in rows:
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
        count += 1
    if not count:
        lines.append("| " + " | ".join("—" for _ in headers) + " |")
    return "\n".join(lines)


def number(value: float | None, digits: int = 3) -> str:
    """A coefficient for a table; ``n/a`` when undefined."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"
