"""Battles from K-way rankings, for the Bradley-Terry leaderboard.

An order of K candidates states K(K-1)/2 comparisons, the ones compared directly and the ones
the order implies; each is one battle between the two candidates' models (a tie when they share
a tier), counted like a pairwise verdict. A ranking is one person's consistent judgment, so
these battles are not independent; the bootstrap intervals, which resample battles, are then
narrower than they should be, as for any pair judged by several people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rankterm.core.model import implied_pairs
from rankterm.formats.rank_export import RankLabel
from rankterm.quality.leaderboard import BattleCounts, battle_from


def add_ranking_battles(
    labels: Iterable[RankLabel], counts: BattleCounts, dropped: Counter[str]
) -> int:
    """Add every comparison each order states to ``counts``; returns how many were added."""
    added = 0
    for label in labels:
        models = [c.model for c in label.task.responses]
        for i, j, choice in implied_pairs(label.order):
            model_a, model_b = models[i], models[j]
            if not model_a or not model_b:
                dropped["no model names"] += 1
                continue
            battle = battle_from(model_a, model_b, choice)
            if battle is None:
                dropped["same model"] += 1
                continue
            key = (battle.model_a, battle.model_b, battle.outcome)
            counts[key] = counts.get(key, 0) + 1
            added += 1
    return added
