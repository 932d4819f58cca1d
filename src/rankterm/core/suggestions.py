"""Suggestions: a model's verdict on a pair, shown to a person only after their own.

Two kinds of suggestion exist. An LLM judge's verdicts (``rankterm judge`` output, records
with ``source: model``; both side orders combined as :mod:`rankterm.quality.judges` does:
the answer when they agree, ``tie`` when the judge changed its mind with the sides swapped)
and reward-model scores imported with the pairs. A reward score is read from the pair's
metadata, as ``reward: {"a": x, "b": y}`` or as ``score_a`` / ``score_b`` (what the raw
UltraFeedback importer writes; TRL-style sets say ``score_chosen`` / ``score_rejected``, which
the importer keeps without the side they belong to, so they cannot be read here); the higher
score is the suggested winner, equal scores a tie.

Here in the core because the TUI reads them (cheaply: no metrics) and the quality package
measures them (:mod:`rankterm.quality.suggestions`: per annotator, agreement with them).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rankterm.core.model import Choice

REWARD = "reward"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A model's verdict on one pair, in the data's A/B terms."""

    #: ``judge NAME`` or ``reward``: where it came from (never a responding model's name).
    source: str
    choice: Choice
    strength: int | None = None
    rationale: str = ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def reward_scores(metadata: Mapping[str, Any]) -> tuple[float, float] | None:
    """(score of A, score of B) from a pair's metadata, or None when it has none."""
    reward = metadata.get(REWARD)
    if isinstance(reward, Mapping):
        a, b = _number(reward.get("a")), _number(reward.get("b"))
    else:
        a, b = _number(metadata.get("score_a")), _number(metadata.get("score_b"))
    return None if a is None or b is None else (a, b)


def reward_suggestion(metadata: Mapping[str, Any]) -> Suggestion | None:
    """The reward model's pick: the higher-scored response, a tie when the scores are equal."""
    scores = reward_scores(metadata)
    if scores is None:
        return None
    a, b = scores
    choice = Choice.TIE if a == b else Choice.A if a > b else Choice.B
    return Suggestion(REWARD, choice, rationale=f"reward A {a:g}, B {b:g}")


def judge_suggestions(records: Iterable[Mapping[str, Any]]) -> dict[str, list[Suggestion]]:
    """pair id -> one suggestion per judge, from ``rankterm judge`` records (latest wins)."""
    by_judge: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for record in records:
        if record.get("source") != "model" or record.get("choice") is None:
            continue
        try:
            Choice(record["choice"])
        except (KeyError, ValueError):
            continue
        key = (str(record.get("judge")), str(record.get("pair_id")))
        by_judge[key][str(record.get("order"))] = record
    result: dict[str, list[Suggestion]] = defaultdict(list)
    for (judge, pair_id), orders in sorted(by_judge.items()):
        choices = {Choice(r["choice"]) for r in orders.values()}
        # The rationale of the data's order only: in the swapped one its "A" is the data's B.
        first = orders.get("ab") or {"strength": next(iter(orders.values())).get("strength")}
        if len(choices) > 1:
            suggestion = Suggestion(
                f"judge {judge}",
                Choice.TIE,
                rationale="position-inconsistent: its answer changed with the sides swapped",
            )
        else:
            choice = choices.pop()
            strength = first.get("strength") if choice in (Choice.A, Choice.B) else None
            suggestion = Suggestion(
                f"judge {judge}",
                choice,
                strength if isinstance(strength, int) and 1 <= strength <= 3 else None,
                str(first.get("rationale") or ""),
            )
        result[pair_id].append(suggestion)
    return dict(result)


class SuggestionBook:
    """Every suggestion for a pair: the judges' (loaded up front) and the pair's reward."""

    def __init__(
        self, judge_records: Iterable[Mapping[str, Any]] = (), *, reward: bool = False
    ) -> None:
        self.judged = judge_suggestions(judge_records)
        self.reward = reward

    def __bool__(self) -> bool:
        return bool(self.judged) or self.reward

    def for_pair(self, pair_id: str, metadata: Mapping[str, Any]) -> list[Suggestion]:
        found = list(self.judged.get(pair_id, ()))
        if self.reward:
            scored = reward_suggestion(metadata)
            if scored is not None:
                found.append(scored)
        return found
