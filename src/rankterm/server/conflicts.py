"""Conflict rules on the server: the quality package's definitions, so that "conflict" means
the same in offline reports, in the adjudication screen and in the server's queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from rankterm.core.model import Choice, Judgment
from rankterm.quality.conflicts import is_conflict, parse_rule

__all__ = ["StoredOrder", "is_conflict", "stored_verdict", "validate_rule"]


def validate_rule(rule: str) -> str:
    """The rule, normalised; ValueError naming the accepted forms otherwise."""
    parse_rule(rule)
    return rule.strip().replace(" ", "")


class StoredOrder(NamedTuple):
    """A stored ranking's order, as the conflict check of a ranking task reads it."""

    order: tuple[tuple[int, ...], ...]


def stored_verdict(data: dict[str, Any]) -> Judgment | StoredOrder:
    """A stored judgment rebuilt cheaply (it was validated on the way in) for conflict rules;
    a stored ranking as its order."""
    if data.get("kind") == "ranking":
        return StoredOrder(tuple(tuple(sorted(tier)) for tier in data["order"]))
    return Judgment.model_construct(
        id=data["id"],
        pair_id=data["pair_id"],
        annotator=data["annotator"],
        choice=Choice(data["choice"]),
        strength=data.get("strength"),
        created_at=datetime.fromisoformat(data["created_at"]),
        # Given, so that model_construct calls no default factory: pydantic inspects a
        # factory's signature on every call, which costs more than the rest of this.
        tags=[],
        criteria={},
    )
