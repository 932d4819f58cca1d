"""Which pairs are in conflict, how contested they are, and the lowest-agreement items.

Shared by the CLI reports, the task server (routing pairs to adjudication) and the
adjudication screen, so that "conflict" means the same thing everywhere. Every function looks
at one verdict per annotator: their first judgment of the pair (as the agreement table does);
blind repeats are a consistency test, not a second vote.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rankterm.core.model import Choice, Judgment
from rankterm.quality.stats import entropy, pairwise_agreement, variance
from rankterm.storage.bulk import bulk_pass

#: Named rules; ``ordinal_spread>=N`` takes N from 1 to 6.
RULES = ("any_disagreement", "opposite_sides", "ordinal_spread>=N")

_SPREAD = re.compile(r"^ordinal_spread\s*>=\s*(\d+)$")

Rule = Callable[[Sequence[Judgment]], bool]


def one_per_annotator(judgments: Iterable[Judgment]) -> list[Judgment]:
    """Each annotator's first judgment (earliest created_at, then input order), by annotator."""
    first: dict[str, Judgment] = {}
    for j in judgments:
        current = first.get(j.annotator)
        if current is None or j.created_at < current.created_at:
            first[j.annotator] = j
    return [first[a] for a in sorted(first)]


def _any_disagreement(verdicts: Sequence[Judgment]) -> bool:
    return len({j.choice for j in verdicts}) > 1


def _opposite_sides(verdicts: Sequence[Judgment]) -> bool:
    choices = {j.choice for j in verdicts}
    return Choice.A in choices and Choice.B in choices


def _spread_at_least(threshold: int) -> Rule:
    def rule(verdicts: Sequence[Judgment]) -> bool:
        values = [v for j in verdicts if (v := j.ordinal) is not None]
        return len(values) >= 2 and max(values) - min(values) >= threshold

    return rule


def parse_rule(rule: str) -> Rule:
    """The predicate for a rule name; ValueError listing the known rules otherwise."""
    name = rule.strip()
    if name == "any_disagreement":
        return _any_disagreement
    if name == "opposite_sides":
        return _opposite_sides
    match = _SPREAD.match(name)
    if match:
        threshold = int(match.group(1))
        if not 1 <= threshold <= 6:
            raise ValueError(f"conflict rule {rule!r}: N must be 1 to 6 on the -3..+3 scale")
        return _spread_at_least(threshold)
    raise ValueError(f"unknown conflict rule {rule!r}; known rules: {', '.join(RULES)}")


def is_conflict(judgments: Iterable[Judgment], rule: str | Rule = "any_disagreement") -> bool:
    """Whether one pair's judgments conflict under ``rule``; one annotator never conflicts.

    Rules: ``any_disagreement`` (annotators' choices differ, both_bad included),
    ``opposite_sides`` (someone chose A and someone chose B), ``ordinal_spread>=N`` (the
    -3..+3 verdicts span at least N; both_bad has no place on the scale and is left out).
    """
    predicate = parse_rule(rule) if isinstance(rule, str) else rule
    verdicts = one_per_annotator(judgments)
    return len(verdicts) >= 2 and predicate(verdicts)


@dataclass(frozen=True, slots=True)
class Contested:
    """How contested one pair is: higher entropy, then higher ordinal variance, comes first."""

    pair_id: str
    annotators: int
    #: Shannon entropy (bits) of the annotators' choices.
    entropy: float
    #: Population variance of the -3..+3 verdicts (both_bad left out).
    ordinal_variance: float

    def sort_key(self) -> tuple[float, float, int, str]:
        return (-self.entropy, -self.ordinal_variance, -self.annotators, self.pair_id)


def contestedness(pair_id: str, verdicts: Sequence[Judgment]) -> Contested:
    ordinals = [float(v) for j in verdicts if (v := j.ordinal) is not None]
    return Contested(
        pair_id, len(verdicts), entropy(j.choice for j in verdicts), variance(ordinals)
    )


def group_by_pair(judgments: Iterable[Judgment]) -> dict[str, list[Judgment]]:
    groups: dict[str, list[Judgment]] = defaultdict(list)
    for j in judgments:
        groups[j.pair_id].append(j)
    return groups


@bulk_pass
def contested_order(
    judgments: Iterable[Judgment] | Mapping[str, Iterable[Judgment]],
    rule: str | Rule = "any_disagreement",
) -> list[Contested]:
    """The pairs in conflict under ``rule``, most contested first.

    Order: entropy of the choices (how evenly the vote is split), then variance on the
    ordinal scale (how far apart the verdicts are), then more annotators, then pair id, so
    the order is total and stable. Accepts active judgments or ``{pair id: judgments}``.
    """
    predicate = parse_rule(rule) if isinstance(rule, str) else rule
    groups = judgments if isinstance(judgments, Mapping) else group_by_pair(judgments)
    found = []
    for pair_id, group in groups.items():
        verdicts = one_per_annotator(group)
        if len(verdicts) >= 2 and predicate(verdicts):
            found.append(contestedness(pair_id, verdicts))
    found.sort(key=Contested.sort_key)
    return found


# -- lowest-agreement items ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """One annotator's verdict on an item, with what they wrote about it."""

    annotator: str
    choice: Choice
    strength: int | None
    rationale: str
    tags: tuple[str, ...]
    shown_swapped: bool
    flagged: bool

    @classmethod
    def of(cls, j: Judgment) -> Verdict:
        return cls(
            j.annotator,
            j.choice,
            j.strength,
            j.rationale,
            tuple(j.tags),
            j.shown_swapped,
            j.flagged,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "annotator": self.annotator,
            "choice": self.choice.value,
            "strength": self.strength,
            "rationale": self.rationale,
            "tags": list(self.tags),
            "shown_swapped": self.shown_swapped,
            "flagged": self.flagged,
        }


@dataclass(frozen=True, slots=True)
class ItemAgreement:
    """One pair's agreement with every annotator's verdict side by side."""

    pair_id: str
    #: Share of annotator pairs that chose the same (1 = unanimous).
    agreement: float
    entropy: float
    ordinal_variance: float
    verdicts: tuple[Verdict, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "pair_id": self.pair_id,
            "agreement": self.agreement,
            "entropy": self.entropy,
            "ordinal_variance": self.ordinal_variance,
            "verdicts": [v.to_dict() for v in self.verdicts],
        }


@bulk_pass
def lowest_agreement(
    judgments: Iterable[Judgment] | Mapping[str, Iterable[Judgment]],
    *,
    limit: int = 20,
    min_annotators: int = 2,
) -> list[ItemAgreement]:
    """The ``limit`` pairs with the least agreement: lowest pairwise agreement first, then the
    most contested (entropy, ordinal variance). Pairs with fewer than ``min_annotators`` are
    skipped. Uses a bounded heap, so a million judgments need no full sort.
    """
    groups = judgments if isinstance(judgments, Mapping) else group_by_pair(judgments)
    candidates = []
    for pair_id, group in groups.items():
        verdicts = one_per_annotator(group)
        if len(verdicts) < max(2, min_annotators):
            continue
        share = pairwise_agreement([j.choice for j in verdicts]) or 0.0
        candidates.append((share, pair_id, verdicts))
    # Agreement is the first sort key, so only pairs at or below the limit-th lowest share can
    # make the list: the entropy and variance (the costly part) are computed for those alone.
    shares = heapq.nsmallest(limit, (share for share, _, _ in candidates))
    cut = shares[-1] if shares else -1.0
    scored = []
    for share, pair_id, verdicts in candidates:
        if share > cut:
            continue
        contested = contestedness(pair_id, verdicts)
        key = (share, -contested.entropy, -contested.ordinal_variance, pair_id)
        scored.append((key, verdicts, contested))
    best = heapq.nsmallest(limit, scored, key=lambda item: item[0])
    return [
        ItemAgreement(
            pair_id=contested.pair_id,
            agreement=key[0],
            entropy=contested.entropy,
            ordinal_variance=contested.ordinal_variance,
            verdicts=tuple(Verdict.of(j) for j in verdicts),
        )
        for key, verdicts, contested in best
    ]
