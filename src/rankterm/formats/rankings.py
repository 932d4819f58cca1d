"""K-way rankings (Label Studio ``Ranker``, Argilla ranking questions) as rankterm pairs.

rankterm compares two responses at a time, so a ranking of K items becomes the K(K-1)/2 pairs
of its items, each with the preference the ranking implies (the higher-ranked item chosen).
For K = 2 that is the ranking itself. For K > 2 it is not faithful in one respect, said in the
import summary (:data:`RANKING_NOTE`): the implied preferences are one judgment, made once and
transitive by construction, not K(K-1)/2 independent ones, so counting them as separate votes
overstates the evidence. Ties (equal ranks) imply a tie.

With several annotators, a pair gets a prior label only when every ranking that places both of
its items agrees on their order; a disagreement gives no label (a label picked from it would be
silently wrong), and the verdicts are kept in the pair's metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from rankterm.core.model import Choice
from rankterm.formats.base import chosen_is_a

#: The import summary's note for pairs implied by a ranking of more than two items.
RANKING_NOTE = (
    "rankings of more than two items were imported as the pairwise preferences they imply "
    "(one ranking gives every pair of its items a label; those labels are one judgment, "
    "not independent ones)"
)


@dataclass(frozen=True, slots=True)
class ImpliedPair:
    """Two items of a ranked list, placed as A and B, with the verdicts the rankings imply."""

    a: str
    b: str
    verdicts: tuple[Choice, ...]

    @property
    def agreed(self) -> Choice | None:
        """The verdict every ranking gives, or None (no ranking, or they disagree)."""
        if self.verdicts and all(v is self.verdicts[0] for v in self.verdicts):
            return self.verdicts[0]
        return None


def implied_pairs(
    items: Sequence[str], rankings: Sequence[dict[str, int]], key: str | None
) -> list[ImpliedPair]:
    """Every pair of ``items`` with the verdicts of ``rankings`` (item -> rank, 1 = best).

    Sides are a stable coin of ``key`` and the two items (not the list order, which often
    follows the rank in the source), so A and B are chosen equally often; ``key=None`` keeps
    the list order (the source's own A and B). A ranking that leaves out an item says nothing
    about its pairs.
    """
    out = []
    for first, second in combinations(items, 2):
        keep = key is None or chosen_is_a(f"{key}\x00{first}\x00{second}")
        a, b = (first, second) if keep else (second, first)
        verdicts = []
        for ranks in rankings:
            if a in ranks and b in ranks:
                if ranks[a] < ranks[b]:
                    verdicts.append(Choice.A)
                elif ranks[a] > ranks[b]:
                    verdicts.append(Choice.B)
                else:
                    verdicts.append(Choice.TIE)
        out.append(ImpliedPair(a, b, tuple(verdicts)))
    return out


def ranks_of(order: Sequence[str]) -> dict[str, int]:
    """Item -> rank for a list ordered best first (a repeated item keeps its first rank)."""
    ranks: dict[str, int] = {}
    for n, item in enumerate(order, 1):
        ranks.setdefault(item, n)
    return ranks
