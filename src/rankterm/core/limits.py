"""How large a record may be: the numbers the server enforces and the TUI checks before journaling.

A rationale the server would refuse, journaled first, is a label lost; so the editors apply the
same numbers. Kept apart from ``rankterm.core.wire`` because the TUI needs only these, and
importing the wire models costs every start about 10 ms.
"""

from __future__ import annotations

from typing import Any

# --- size limits on what a record may carry ------------------------------------------------

#: A rationale, or an adjudicator's note (characters).
MAX_TEXT = 50_000
#: An ideal answer written by the annotator (characters).
MAX_IDEAL = 200_000
#: A pair id.
MAX_ID = 1_000
#: A name (annotator, tag, criterion, guideline version).
MAX_NAME = 200
#: Tags on one record.
MAX_TAGS = 64
#: Per-criterion verdicts on one judgment.
MAX_CRITERIA = 32
#: A judgment's time spent (30 days in milliseconds).
MAX_DURATION_MS = 30 * 86_400_000
#: A discussion comment (characters).
MAX_COMMENT = 10_000


def over_limit(field: str, text: str, limit: int) -> str | None:
    """Why ``text`` is too long for ``field`` (a message for the annotator), or None."""
    if len(text) <= limit:
        return None
    return (
        f"{field} is {len(text):,} characters; the task server accepts at most {limit:,}. "
        f"Shorten it by {len(text) - limit:,} characters."
    )


def verdict_problem(
    *,
    rationale: str = "",
    ideal_response: str | None = None,
    tags: list[str] | tuple[str, ...] | set[str] = (),
    criteria: dict[str, Any] | None = None,
    note: str = "",
) -> str | None:
    """The first reason the server would refuse a verdict with these parts, or None."""
    for field, text, limit in (
        ("The rationale", rationale, MAX_TEXT),
        ("The ideal answer", ideal_response or "", MAX_IDEAL),
        ("The note", note, MAX_TEXT),
    ):
        problem = over_limit(field, text, limit)
        if problem is not None:
            return problem
    if len(tags) > MAX_TAGS:
        return f"{len(tags)} tags; the task server accepts at most {MAX_TAGS}."
    if len(criteria or {}) > MAX_CRITERIA:
        return f"{len(criteria or {})} criteria; the task server accepts at most {MAX_CRITERIA}."
    for name in [*tags, *(criteria or {})]:
        if len(name) > MAX_NAME:
            return f"tag or criterion {name[:40]!r}… is over {MAX_NAME} characters."
    return None
