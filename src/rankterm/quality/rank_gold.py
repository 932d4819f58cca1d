"""Gold rankings scored by Kendall's tau: how close an annotator's order is to the gold order.

A plain function over two orders (tiers of candidate indices, best first), used by the server's
per-annotator stats and by offline reports alike, so that a gold score means the same in both.
Tau-b, because both orders may hold ties: 1 is the gold order, -1 its reverse, 0 no relation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from rankterm.core.model import Order, ranks


def kendall_tau(order: Order, gold: Order) -> float | None:
    """Kendall's tau-b between two orders of the same candidates (None when undefined: one
    order ties everything, so no pair is ordered in it)."""
    mine, theirs = ranks(order), ranks(gold)
    if set(mine) != set(theirs):
        raise ValueError("the two orders rank different candidates")
    items = sorted(mine)
    concordant = discordant = ties_mine = ties_gold = 0
    for n, i in enumerate(items):
        for j in items[n + 1 :]:
            a = _sign(mine[i] - mine[j])
            b = _sign(theirs[i] - theirs[j])
            if a == 0 and b == 0:
                continue
            if a == 0:
                ties_mine += 1
            elif b == 0:
                ties_gold += 1
            elif a == b:
                concordant += 1
            else:
                discordant += 1
    pairs_mine = concordant + discordant + ties_gold
    pairs_gold = concordant + discordant + ties_mine
    if pairs_mine == 0 or pairs_gold == 0:
        return None
    return (concordant - discordant) / math.sqrt(pairs_mine * pairs_gold)


def mean_tau(scores: Iterable[float | None]) -> float | None:
    """The mean of the defined scores (None if none is)."""
    values = [s for s in scores if s is not None]
    return sum(values) / len(values) if values else None


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)
