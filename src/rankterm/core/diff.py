"""Word-level differences between two responses, for the diff highlight.

Tokens are words with their trailing whitespace, compared without it, so re-wrapping a line
does not light up the whole paragraph.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

Span = tuple[str, bool]
"""A run of text and whether it differs from the other side."""

_TOKEN = re.compile(r"\s*\S+\s*|\s+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(left: str, right: str) -> tuple[list[Span], list[Span]]:
    """Spans of each side, marking the words that the other side does not have."""
    a, b = tokens(left), tokens(right)
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    left_spans: list[Span] = []
    right_spans: list[Span] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = op != "equal"
        if i2 > i1:
            left_spans.append(("".join(a[i1:i2]), changed))
        if j2 > j1:
            right_spans.append(("".join(b[j1:j2]), changed))
    return left_spans, right_spans


def similarity(left: str, right: str) -> float:
    """Share of words in common (0..1), shown beside the diff as a hint of near-duplicates."""
    a, b = tokens(left), tokens(right)
    if not a and not b:
        return 1.0
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    return matcher.ratio()
