"""Conflict rules: when a fully judged pair must go to an adjudicator.

``rankterm.quality.conflicts.is_conflict`` is used when it exists (one definition for the
offline and server paths); this module's own check is the fallback and defines which rule
names the server accepts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rankterm.model import Choice, Judgment, ordinal

FIXED_RULES = ("any_disagreement", "opposite_sides")
_SPREAD = re.compile(r"^ordinal_spread>=([1-6])$")


def validate_rule(rule: str) -> str:
    """The rule, or ValueError naming the accepted forms."""
    if rule in FIXED_RULES or _SPREAD.match(rule):
        return rule
    raise ValueError(
        f"unknown conflict rule {rule!r}; use any_disagreement, opposite_sides or "
        "ordinal_spread>=N (N from 1 to 6)"
    )


def local_is_conflict(verdicts: Sequence[tuple[Choice, int | None]], rule: str) -> bool:
    """Whether these (choice, strength) verdicts on one pair disagree under ``rule``."""
    if len(verdicts) < 2:
        return False
    choices = {choice for choice, _ in verdicts}
    if rule == "any_disagreement":
        return len(choices) > 1
    if rule == "opposite_sides":
        return Choice.A in choices and Choice.B in choices
    match = _SPREAD.match(rule)
    if match:
        values = [v for v in (ordinal(c, s) for c, s in verdicts) if v is not None]
        if Choice.BOTH_BAD in choices and len(choices) > 1:
            # "both bad" against a preference has no ordinal distance but is a disagreement.
            return True
        return bool(values) and max(values) - min(values) >= int(match.group(1))
    raise ValueError(f"unknown conflict rule {rule!r}")


def is_conflict(judgments: Sequence[Judgment], rule: str) -> bool:
    """Shared entry point: the quality package's check if present, else the local one."""
    try:
        from rankterm.quality.conflicts import is_conflict as shared
    except ImportError:
        shared = None
    if shared is not None:
        try:
            return bool(shared(list(judgments), rule))
        except (ValueError, KeyError, TypeError):
            pass
    return local_is_conflict([(j.choice, j.strength) for j in judgments], rule)
