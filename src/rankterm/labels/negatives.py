"""Red-team negatives: responses that people tagged unsafe, toxic or privacy-leaking, as
training data a model should move away from.

A response is a *negative* when an annotator put a negative tag on it: a tag with a side
(``Judgment.tag_sides``: A, B or both) names the response; a pair-level tag (every journal
before tag sides) names both responses only when the verdict was both_bad, and is otherwise
counted as *unplaced* (it says the pair had a problem, not which answer), never guessed. A
both_bad verdict makes both responses negatives too, tag or not, unless an adjudicator's
resolution settled the pair otherwise.

For preference (DPO) data each negative needs something better to prefer: an ideal answer an
annotator wrote for the pair, else the other response when nobody marked it a negative.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rankterm.core.model import Choice, Judgment, Resolution

#: The default negative tags: the config's safety tags (see ``rankterm.config.DEFAULT_TAGS``).
DEFAULT_NEGATIVE_TAGS = ("unsafe_advice", "toxicity", "privacy_leak")
#: The reason a both_bad verdict gives in the per-tag counts.
BOTH_BAD = "both_bad"

Response = Literal["A", "B"]
_SIDES: dict[str, tuple[Response, ...]] = {"A": ("A",), "B": ("B",), "both": ("A", "B")}


@dataclass
class Negative:
    """One response of one pair that should not be imitated, and who said so why."""

    pair_id: str
    side: Response
    reasons: set[str] = field(default_factory=set)
    annotators: set[str] = field(default_factory=set)


@dataclass
class NegativeSet:
    """Every negative, per pair and side, with the ideal answers written for those pairs."""

    tags: tuple[str, ...]
    by_pair: dict[str, dict[Response, Negative]] = field(default_factory=dict)
    ideals: dict[str, list[str]] = field(default_factory=dict)
    #: Negative tags put on a pair (no side) with a verdict other than both_bad, per tag.
    unplaced: Counter[str] = field(default_factory=Counter)

    def per_reason(self) -> Counter[str]:
        """How many negatives (responses) each tag, or ``both_bad``, produced."""
        counts: Counter[str] = Counter()
        for sides in self.by_pair.values():
            for negative in sides.values():
                counts.update(negative.reasons)
        return counts

    def __len__(self) -> int:
        return sum(len(sides) for sides in self.by_pair.values())

    def _mark(self, j: Judgment, sides: Sequence[Response], reason: str) -> None:
        table = self.by_pair.setdefault(j.pair_id, {})
        for side in sides:
            negative = table.setdefault(side, Negative(j.pair_id, side))
            negative.reasons.add(reason)
            negative.annotators.add(j.annotator)


def find_negatives(
    judgments: Iterable[Judgment],
    tags: Sequence[str] = DEFAULT_NEGATIVE_TAGS,
    resolutions: Mapping[str, Resolution] | None = None,
    *,
    ideals: bool = True,
) -> NegativeSet:
    """The negatives in ``judgments`` (active ones: retracted verdicts say nothing).

    Without ``ideals`` the written answers are not collected: counting needs none, and lean
    judgments (``storage.journal_columns``) would read every line back for them."""
    resolutions = resolutions or {}
    wanted = frozenset(tags)
    found = NegativeSet(tuple(tags))
    for j in judgments:
        resolution = resolutions.get(j.pair_id)
        both_bad = j.choice == Choice.BOTH_BAD and (
            resolution is None or resolution.choice in (None, Choice.BOTH_BAD)
        )
        if both_bad:
            found._mark(j, ("A", "B"), BOTH_BAD)
        for tag in j.tags:
            if tag not in wanted:
                continue
            side = (j.tag_sides or {}).get(tag)
            if side is not None:
                found._mark(j, _SIDES[side], tag)
            elif j.choice == Choice.BOTH_BAD:
                found._mark(j, ("A", "B"), tag)
            else:
                found.unplaced[tag] += 1
        ideal = (j.ideal_response or "").strip() if ideals else ""
        if ideal:
            ideals = found.ideals.setdefault(j.pair_id, [])
            if ideal not in ideals:
                ideals.append(ideal)
    return found


def preferred_over(negatives: NegativeSet, pair_id: str, side: Response) -> str | None:
    """What to prefer to the negative response ``side``: ``"ideal"`` when an annotator wrote
    an ideal answer, ``"other"`` when the other response is not a negative, else None."""
    if negatives.ideals.get(pair_id):
        return "ideal"
    other: Response = "B" if side == "A" else "A"
    if other not in negatives.by_pair.get(pair_id, {}):
        return "other"
    return None
