"""Labels with provenance: the rules' decisions (:mod:`rankterm.labels.rules`) made records.

Pure: reads a replayed :class:`~rankterm.storage.journal.JournalState` and pairs and returns
labels plus drop counts by reason.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rankterm.core.model import Choice, Judgment, Pair, Resolution
from rankterm.labels.rules import (
    FROM_GOLD,
    FROM_JUDGMENT,
    FROM_RESOLUTION,
    ChoicePolicy,
    LabelOptions,
)

if TYPE_CHECKING:
    from rankterm.storage.journal import JournalState


@dataclass(frozen=True)
class Label:
    """The verdict of record for one pair (or one judgment, under ``all``), with provenance."""

    pair_id: str
    choice: Choice
    strength: int | None
    #: "resolution", "majority", "judgment" or "gold": where the verdict came from.
    source: str
    #: Who stands behind it: the adjudicator, or the annotators whose votes agree with it.
    annotators: tuple[str, ...]
    #: How many annotators voted on the pair, and the share of them that agree with the label.
    votes: int = 0
    agreement: float = 1.0
    rationales: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    flagged: bool = False
    #: Rewritten answers from the supporting judgments (exported as SFT data).
    ideal_responses: tuple[str, ...] = ()
    judgment_ids: tuple[uuid.UUID, ...] = ()

    @property
    def rationale(self) -> str:
        return "\n\n".join(self.rationales)


@dataclass
class LabelResult:
    """Labels in pair order, and what was dropped, counted by reason."""

    labels: list[Label] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


class LabelPolicy(ChoicePolicy[Judgment]):
    """The rules of :class:`~rankterm.labels.rules.ChoicePolicy` on one journal state, with
    each label's provenance (supporting annotators, agreement, rationales, tags, ideal
    responses, judgment ids) built from the judgments behind the choice it decided."""

    def __init__(self, state: JournalState, options: LabelOptions | None = None) -> None:
        super().__init__(state.active(), state.latest_resolutions(), options)

    def votes(self, pair_id: str) -> list[Judgment]:
        """The annotators' standing votes on a pair (one per annotator)."""
        cell = self._votes.get(pair_id)
        return list(cell.values()) if cell else []

    def labels_for(self, pair: Pair) -> list[Label]:
        """The labels of one pair under the policy; drops are counted in :attr:`dropped`."""
        source, picked = self.decide(pair.id, pair.gold)
        if not picked:
            return []
        votes = self.votes(pair.id)
        if source == FROM_JUDGMENT:
            return [
                _label_from(pair.id, v.choice, v.strength, FROM_JUDGMENT, [v], votes)
                for v in picked
            ]
        choice: Choice = picked[0]
        if source == FROM_GOLD:
            assert pair.gold is not None
            strength = pair.gold.strength
            if choice in (Choice.A, Choice.B) and strength is None:
                strength = 2
            return [Label(pair.id, choice, strength, FROM_GOLD, ("gold",))]
        if source == FROM_RESOLUTION:
            return [_from_resolution(self._resolutions[pair.id], votes)]
        support = [v for v in votes if v.choice is choice]
        strengths = [v.strength for v in support if v.strength is not None]
        strength = statistics.median_low(strengths) if strengths else None
        return [_label_from(pair.id, choice, strength, source, support, votes)]


def _from_resolution(resolution: Resolution, votes: list[Judgment]) -> Label:
    assert resolution.choice is not None  # the rules drop an unclear resolution
    support = [v for v in votes if v.choice is resolution.choice]
    return Label(
        pair_id=resolution.pair_id,
        choice=resolution.choice,
        strength=resolution.strength,
        source=FROM_RESOLUTION,
        annotators=(resolution.adjudicator,),
        votes=len(votes),
        agreement=len(support) / len(votes) if votes else 1.0,
        rationales=_unique([resolution.rationale]),
        tags=_unique([*resolution.tags, *(t for v in support for t in v.tags)]),
        flagged=False,
        ideal_responses=_unique(v.ideal_response or "" for v in support),
        judgment_ids=tuple(v.id for v in support),
    )


def _label_from(
    pair_id: str,
    choice: Choice,
    strength: int | None,
    source: str,
    support: list[Judgment],
    votes: list[Judgment],
) -> Label:
    agreeing = sum(1 for v in votes if v.choice is choice)
    return Label(
        pair_id=pair_id,
        choice=choice,
        strength=strength,
        source=source,
        annotators=_unique(v.annotator for v in support),
        votes=len(votes),
        agreement=agreeing / len(votes) if votes else 1.0,
        rationales=_unique(v.rationale for v in support),
        tags=_unique(t for v in support for t in v.tags),
        flagged=any(v.flagged for v in support),
        ideal_responses=_unique(v.ideal_response or "" for v in support),
        judgment_ids=tuple(v.id for v in support),
    )


def select_labels(
    state: JournalState, pairs: Iterable[Pair], options: LabelOptions | None = None
) -> LabelResult:
    """Labels for every pair in order, plus drop counts (judgments on unknown pairs included)."""
    policy = LabelPolicy(state, options)
    result = LabelResult()
    for pair in pairs:
        result.labels += policy.labels_for(pair)
    policy.unknown_pairs()
    result.dropped = policy.dropped
    return result


def describe_drops(dropped: Counter[str]) -> str:
    """``dropped 12: 7 tie, 3 split vote, 2 flagged`` (or ``dropped nothing``)."""
    total = sum(dropped.values())
    if not total:
        return "dropped nothing"
    parts = ", ".join(f"{n} {reason}" for reason, n in dropped.most_common())
    return f"dropped {total}: {parts}"
