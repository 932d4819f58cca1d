"""The label policy's choices without the labels: what the leaderboard needs, at scale.

:class:`rankterm.labels.LabelPolicy` builds a full :class:`~rankterm.labels.Label` per label
(rationales, tags, ideal responses, judgment ids), which needs every field of every judgment.
The leaderboard only needs each label's *choice* and the drop counts, so :class:`ChoicePolicy`
applies the very same rules (module docstring of :mod:`rankterm.labels`) to the few fields
that decide them (pair, annotator, choice, flagged) and works on lean rows from
:mod:`rankterm.journal_columns` as well as on :class:`~rankterm.model.Judgment` objects.

Keep the two in step: ``tests/test_label_choices.py`` checks that ``choices_for`` gives the
choices of ``labels_for`` and the same ``dropped`` counts under every policy and filter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Protocol

from rankterm.labels import (
    BOTH_BAD,
    FLAGGED,
    GOLD,
    LOW_AGREEMENT,
    SPLIT,
    TIE,
    UNCLEAR,
    UNJUDGED,
    UNKNOWN_PAIR,
    GoldRule,
    Keep,
    LabelOptions,
    Policy,
)
from rankterm.model import Choice, Gold, Resolution


class Vote(Protocol):
    """What a vote needs to carry (a Judgment or a LeanJudgment fits)."""

    pair_id: str
    annotator: str
    choice: Choice
    flagged: bool


class ChoicePolicy:
    """:class:`~rankterm.labels.LabelPolicy` reduced to choices and drop counts."""

    def __init__(
        self,
        active: Iterable[Vote],
        resolutions: Mapping[str, Resolution],
        options: LabelOptions | None = None,
    ) -> None:
        """``active``: standing judgments in journal order; ``resolutions``: latest per pair."""
        self.options = options or LabelOptions()
        self.dropped: Counter[str] = Counter()
        # One vote per annotator and pair: their latest active judgment (journal order).
        votes: dict[str, dict[str, tuple[Choice, bool]]] = {}
        for j in active:
            cell = votes.get(j.pair_id)
            if cell is None:
                votes[j.pair_id] = {j.annotator: (j.choice, j.flagged)}
            else:
                cell.pop(j.annotator, None)  # the latest vote also takes the latest place
                cell[j.annotator] = (j.choice, j.flagged)
        self._votes = votes
        self._resolutions = resolutions
        self._seen: set[str] = set()

    def choices_for(self, pair_id: str, gold: Gold | None = None) -> list[Choice]:
        """The choices of :meth:`LabelPolicy.labels_for` for this pair, counting drops."""
        self._seen.add(pair_id)
        opts = self.options
        if gold is not None:
            if opts.gold is GoldRule.DROP:
                return self._drop(GOLD)
            if opts.gold is GoldRule.TRUTH:
                return self._filter_kind(gold.choice)
        cell = self._votes.get(pair_id)
        votes = list(cell.values()) if cell is not None else []
        if opts.policy is Policy.ADJUDICATED and pair_id in self._resolutions:
            resolution = self._resolutions[pair_id]
            if resolution.guideline_unclear or resolution.choice is None:
                return self._drop(UNCLEAR)
            return self._filter_kind(resolution.choice)
        if not votes:
            return self._drop(UNJUDGED)
        counts = Counter(choice for choice, _ in votes)
        top = counts.most_common()
        share = top[0][1] / len(votes)
        if opts.min_agreement is not None and share < opts.min_agreement:
            return self._drop(LOW_AGREEMENT, len(votes) if opts.policy is Policy.ALL else 1)
        if opts.policy is Policy.ALL:
            out: list[Choice] = []
            for choice, flagged in votes:
                if flagged and opts.flagged is Keep.DROP:
                    self._drop(FLAGGED)
                    continue
                out += self._filter_kind(choice)
            return out
        if len(top) > 1 and top[0][1] == top[1][1]:
            return self._drop(SPLIT)
        if opts.flagged is Keep.DROP and any(flagged for _, flagged in votes):
            return self._drop(FLAGGED)
        return self._filter_kind(top[0][0])

    def unknown_pairs(self) -> int:
        """As :meth:`LabelPolicy.unknown_pairs`: judged pair ids no pair of the file had."""
        missing = sum(
            1 for pid in self._votes.keys() | self._resolutions.keys() if pid not in self._seen
        )
        if missing:
            self.dropped[UNKNOWN_PAIR] = missing
        return missing

    def _drop(self, reason: str, count: int = 1) -> list[Choice]:
        self.dropped[reason] += count
        return []

    def _filter_kind(self, choice: Choice) -> list[Choice]:
        if choice is Choice.TIE and self.options.ties is Keep.DROP:
            return self._drop(TIE)
        if choice is Choice.BOTH_BAD and self.options.both_bad is Keep.DROP:
            return self._drop(BOTH_BAD)
        return [choice]
