"""Small builders for hand-made judgments in the quality tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rankterm.core.model import Choice, Judgment

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def judge(
    pair: str,
    annotator: str,
    verdict: str,
    *,
    minute: float = 0,
    swapped: bool = False,
    duration_ms: int = 0,
    tags: list[str] | None = None,
    rationale: str = "",
) -> Judgment:
    """A judgment from a compact verdict: "A3", "B1", "tie", "both_bad" ("A" means A2)."""
    if verdict in ("tie", "both_bad"):
        choice, strength = Choice(verdict), None
    else:
        choice, strength = Choice(verdict[0]), int(verdict[1:] or 2)
    return Judgment(
        pair_id=pair,
        annotator=annotator,
        choice=choice,
        strength=strength,
        shown_swapped=swapped,
        duration_ms=duration_ms,
        tags=tags or [],
        rationale=rationale,
        created_at=T0 + timedelta(minutes=minute),
    )
