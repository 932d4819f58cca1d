"""Conflict rules on the server: the quality package's definitions, so that "conflict" means
the same in offline reports, in the adjudication screen and in the server's queue."""

from __future__ import annotations

from rankterm.quality.conflicts import is_conflict, parse_rule

__all__ = ["is_conflict", "validate_rule"]


def validate_rule(rule: str) -> str:
    """The rule, normalised; ValueError naming the accepted forms otherwise."""
    parse_rule(rule)
    return rule.strip().replace(" ", "")
