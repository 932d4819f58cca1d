"""Label rules: which verdict is *the* label of a pair when it leaves rankterm.

A pair may carry several annotators' judgments, re-judgments, retractions and an adjudicator's
resolution. Training data needs one answer per pair (or, deliberately, every answer), and the
people who train on it need to know what was left out. :class:`ChoicePolicy` is the one
implementation of the rules below. It reads only the fields that decide a label (pair,
annotator, choice, flagged), so it runs as well on lean rows from
:mod:`rankterm.storage.journal_columns` (the leaderboard over millions of judgments) as on
:class:`~rankterm.core.model.Judgment` objects; :class:`~rankterm.labels.policy.LabelPolicy` adds
each label's provenance on top of its decisions, so exports and the leaderboard cannot disagree.

Policies
    ``adjudicated`` (default)
        The adjudicator's latest resolution where one exists, the annotators' majority elsewhere.
        A resolution marked ``guideline_unclear`` drops the pair ("guideline unclear"): the
        person who looked hardest at it could not settle it.
    ``majority``
        Resolutions are ignored; one vote per annotator (their latest active judgment on the pair,
        so a re-judgment replaces the earlier one). The most voted choice wins. A split vote
        (two or more choices share the top count, e.g. one A and one B) is *not* broken by
        strength, seniority or order: the pair is dropped as "split vote" so that it goes to
        adjudication instead of into training data by a coin flip.
    ``all``
        Every annotator's latest active judgment is its own label (one record per judgment), for
        training on raw, repeated labels. Counts are then per judgment rather than per pair.

Filters (options, with the defaults :class:`LabelOptions` gives)
    ties: ``drop`` — a tie says nothing to a pairwise loss. The export command flips the default
        to ``keep`` for formats that can carry ties (Arena, CSV, rankterm JSONL, SFT).
    both_bad: ``drop`` — neither response should be preferred; the export command keeps them for
        SFT (the rewritten answer is the data) and for formats that can say so.
    flagged: ``drop`` — a flag asks an expert to look; an unreviewed flagged item should not
        become training data silently. A resolution counts as that review, so flags never drop
        an adjudicated label.
    min_agreement: ``None`` — when set, a majority label whose share of agreeing votes is below
        it is dropped ("low agreement"). Adjudicated labels are exempt (settling disagreement is
        what adjudication is for); with ``all`` the pair's majority share is used.
    gold: ``keep`` — gold items are labelled like any pair. ``drop`` leaves them out (e.g. when
        they are reused across projects); ``truth`` labels them with their known verdict.

Agreement is the share of annotators' votes on the pair equal to the label's choice (1.0 with a
single vote); it is reported, and filtered on, but never changes which choice wins.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from rankterm.core.model import Choice, Gold, Resolution


class Policy(StrEnum):
    """Which verdicts become labels."""

    ADJUDICATED = "adjudicated"
    MAJORITY = "majority"
    ALL = "all"


class Keep(StrEnum):
    """Whether labels of one kind are kept or dropped."""

    KEEP = "keep"
    DROP = "drop"


class GoldRule(StrEnum):
    """What happens to gold items (pairs with a known-correct verdict)."""

    KEEP = "keep"
    DROP = "drop"
    TRUTH = "truth"


# Drop reasons, as reported to the user.
UNJUDGED = "unjudged"
SPLIT = "split vote"
TIE = "tie"
BOTH_BAD = "both bad"
FLAGGED = "flagged"
LOW_AGREEMENT = "low agreement"
GOLD = "gold item"
UNCLEAR = "guideline unclear"
UNKNOWN_PAIR = "judged pair not in pairs file"

# Where a label's verdict came from (``Label.source``); "" when the pair gave no label.
FROM_GOLD = "gold"
FROM_RESOLUTION = "resolution"
FROM_MAJORITY = "majority"
FROM_JUDGMENT = "judgment"
DROPPED = ""


@dataclass(frozen=True)
class LabelOptions:
    """The knobs of the policy; defaults are documented in the module docstring."""

    policy: Policy = Policy.ADJUDICATED
    ties: Keep = Keep.DROP
    both_bad: Keep = Keep.DROP
    flagged: Keep = Keep.DROP
    min_agreement: float | None = None
    gold: GoldRule = GoldRule.KEEP


class Vote(Protocol):
    """What a vote needs to carry (a Judgment or a LeanJudgment fits)."""

    @property
    def pair_id(self) -> str: ...
    @property
    def annotator(self) -> str: ...
    @property
    def choice(self) -> Choice: ...
    @property
    def flagged(self) -> bool: ...


V = TypeVar("V", bound=Vote)


class ChoicePolicy(Generic[V]):
    """Applies :class:`LabelOptions` to the standing votes, one pair at a time.

    Streaming by pair lets an export walk a large pairs file without holding every pair; the
    votes themselves are already in memory.
    """

    def __init__(
        self,
        active: Iterable[V],
        resolutions: Mapping[str, Resolution],
        options: LabelOptions | None = None,
    ) -> None:
        """``active``: standing judgments in journal order; ``resolutions``: latest per pair."""
        self.options = options or LabelOptions()
        self.dropped: Counter[str] = Counter()
        # One vote per annotator and pair: their latest active judgment (journal order).
        votes: dict[str, dict[str, V]] = {}
        for j in active:
            cell = votes.get(j.pair_id)
            if cell is None:
                votes[j.pair_id] = {j.annotator: j}
            else:
                cell.pop(j.annotator, None)  # the latest vote also takes the latest place
                cell[j.annotator] = j
        self._votes = votes
        self._resolutions = resolutions
        self._seen: set[str] = set()

    def decide(self, pair_id: str, gold: Gold | None = None) -> tuple[str, list]:
        """The rules for one pair, counting drops in :attr:`dropped`.

        Returns the source of the verdict and what it picked: ``(FROM_GOLD |
        FROM_RESOLUTION | FROM_MAJORITY, [choice])``, ``(FROM_JUDGMENT, [vote, ...])`` (the
        votes kept under ``all``), or ``(DROPPED, [])``.
        """
        self._seen.add(pair_id)
        opts = self.options
        if gold is not None:
            if opts.gold is GoldRule.DROP:
                return self._drop(GOLD)
            if opts.gold is GoldRule.TRUTH:
                return self._kind(FROM_GOLD, gold.choice)
        if opts.policy is Policy.ADJUDICATED and pair_id in self._resolutions:
            resolution = self._resolutions[pair_id]
            if resolution.guideline_unclear or resolution.choice is None:
                return self._drop(UNCLEAR)
            return self._kind(FROM_RESOLUTION, resolution.choice)
        cell = self._votes.get(pair_id)
        if not cell:
            return self._drop(UNJUDGED)
        votes = cell.values()
        top = Counter(v.choice for v in votes).most_common()
        share = top[0][1] / len(cell)
        if opts.min_agreement is not None and share < opts.min_agreement:
            return self._drop(LOW_AGREEMENT, len(cell) if opts.policy is Policy.ALL else 1)
        if opts.policy is Policy.ALL:
            kept: list[V] = []
            for vote in votes:
                if vote.flagged and opts.flagged is Keep.DROP:
                    self.dropped[FLAGGED] += 1
                elif self._kind_kept(vote.choice):
                    kept.append(vote)
            return FROM_JUDGMENT, kept
        if len(top) > 1 and top[0][1] == top[1][1]:
            return self._drop(SPLIT)
        if opts.flagged is Keep.DROP and any(v.flagged for v in votes):
            return self._drop(FLAGGED)
        return self._kind(FROM_MAJORITY, top[0][0])

    def choices_for(self, pair_id: str, gold: Gold | None = None) -> list[Choice]:
        """The choices of the labels of this pair (what the leaderboard needs)."""
        source, picked = self.decide(pair_id, gold)
        if source == FROM_JUDGMENT:
            return [vote.choice for vote in picked]
        return picked

    def unknown_pairs(self) -> int:
        """Judged pair ids that :meth:`decide` never saw (counted as a drop reason once)."""
        missing = sum(
            1 for pid in self._votes.keys() | self._resolutions.keys() if pid not in self._seen
        )
        if missing:
            self.dropped[UNKNOWN_PAIR] = missing
        return missing

    def _drop(self, reason: str, count: int = 1) -> tuple[str, list]:
        self.dropped[reason] += count
        return DROPPED, []

    def _kind_kept(self, choice: Choice) -> bool:
        """False (and counted) for a tie or both-bad verdict that the options drop."""
        if choice is Choice.TIE and self.options.ties is Keep.DROP:
            self.dropped[TIE] += 1
            return False
        if choice is Choice.BOTH_BAD and self.options.both_bad is Keep.DROP:
            self.dropped[BOTH_BAD] += 1
            return False
        return True

    def _kind(self, source: str, choice: Choice) -> tuple[str, list]:
        return (source, [choice]) if self._kind_kept(choice) else (DROPPED, [])
