"""Label policy: which verdict is *the* label of a pair when it leaves rankterm.

A pair may carry several annotators' judgments, re-judgments, retractions and an adjudicator's
resolution. Training data needs one answer per pair (or, deliberately, every answer), and the
people who train on it need to know what was left out. This module is pure: it reads a replayed
:class:`~rankterm.journal.JournalState` and pairs and returns labels plus drop counts by reason.

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

import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from rankterm.journal import JournalState
from rankterm.model import Choice, Judgment, Pair, Resolution


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


@dataclass(frozen=True)
class LabelOptions:
    """The knobs of the policy; defaults are documented in the module docstring."""

    policy: Policy = Policy.ADJUDICATED
    ties: Keep = Keep.DROP
    both_bad: Keep = Keep.DROP
    flagged: Keep = Keep.DROP
    min_agreement: float | None = None
    gold: GoldRule = GoldRule.KEEP


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


class LabelPolicy:
    """Applies :class:`LabelOptions` to one journal state, one pair at a time.

    Streaming by pair lets an export walk a large pairs file without holding every pair; the
    journal state itself is already in memory.
    """

    def __init__(self, state: JournalState, options: LabelOptions | None = None) -> None:
        self.options = options or LabelOptions()
        self.dropped: Counter[str] = Counter()
        # One vote per annotator and pair: their latest active judgment (journal order).
        latest: dict[tuple[str, str], Judgment] = {}
        for judgment in state.active():
            latest.pop((judgment.pair_id, judgment.annotator), None)
            latest[(judgment.pair_id, judgment.annotator)] = judgment
        self._votes: dict[str, list[Judgment]] = defaultdict(list)
        for (pair_id, _), judgment in latest.items():
            self._votes[pair_id].append(judgment)
        self._resolutions: dict[str, Resolution] = state.latest_resolutions()
        self._seen: set[str] = set()

    def votes(self, pair_id: str) -> list[Judgment]:
        """The annotators' standing votes on a pair (one per annotator)."""
        return list(self._votes.get(pair_id, ()))

    def labels_for(self, pair: Pair) -> list[Label]:
        """The labels of one pair under the policy; drops are counted in :attr:`dropped`."""
        self._seen.add(pair.id)
        opts = self.options
        if pair.gold is not None:
            if opts.gold is GoldRule.DROP:
                return self._drop(GOLD)
            if opts.gold is GoldRule.TRUTH:
                gold = Label(pair.id, pair.gold.choice, pair.gold.strength, "gold", ("gold",))
                if gold.choice in (Choice.A, Choice.B) and gold.strength is None:
                    gold = Label(pair.id, gold.choice, 2, "gold", ("gold",))
                return self._filter_kind(gold)
        votes = self._votes.get(pair.id, [])
        counts = Counter(v.choice for v in votes)
        if opts.policy is Policy.ADJUDICATED and pair.id in self._resolutions:
            return self._from_resolution(self._resolutions[pair.id], votes, counts)
        if not votes:
            return self._drop(UNJUDGED)
        top = counts.most_common()
        share = top[0][1] / len(votes)
        if opts.min_agreement is not None and share < opts.min_agreement:
            return self._drop(LOW_AGREEMENT, len(votes) if opts.policy is Policy.ALL else 1)
        if opts.policy is Policy.ALL:
            labels = []
            for vote in votes:
                if vote.flagged and opts.flagged is Keep.DROP:
                    self._drop(FLAGGED)
                    continue
                label = _label_from(pair.id, vote.choice, vote.strength, "judgment", [vote], votes)
                labels += self._filter_kind(label)
            return labels
        if len(top) > 1 and top[0][1] == top[1][1]:
            return self._drop(SPLIT)
        if opts.flagged is Keep.DROP and any(v.flagged for v in votes):
            return self._drop(FLAGGED)
        choice = top[0][0]
        support = [v for v in votes if v.choice is choice]
        strengths = [v.strength for v in support if v.strength is not None]
        strength = statistics.median_low(strengths) if strengths else None
        return self._filter_kind(_label_from(pair.id, choice, strength, "majority", support, votes))

    def unknown_pairs(self) -> int:
        """Judged pair ids that :meth:`labels_for` never saw (counted as a drop reason once)."""
        missing = sum(
            1 for pid in self._votes.keys() | self._resolutions.keys() if pid not in self._seen
        )
        if missing:
            self.dropped[UNKNOWN_PAIR] = missing
        return missing

    # -- helpers --------------------------------------------------------------------------------

    def _drop(self, reason: str, count: int = 1) -> list[Label]:
        self.dropped[reason] += count
        return []

    def _filter_kind(self, label: Label) -> list[Label]:
        if label.choice is Choice.TIE and self.options.ties is Keep.DROP:
            return self._drop(TIE)
        if label.choice is Choice.BOTH_BAD and self.options.both_bad is Keep.DROP:
            return self._drop(BOTH_BAD)
        return [label]

    def _from_resolution(
        self, resolution: Resolution, votes: list[Judgment], counts: Counter[Choice]
    ) -> list[Label]:
        if resolution.guideline_unclear or resolution.choice is None:
            return self._drop(UNCLEAR)
        support = [v for v in votes if v.choice is resolution.choice]
        label = Label(
            pair_id=resolution.pair_id,
            choice=resolution.choice,
            strength=resolution.strength,
            source="resolution",
            annotators=(resolution.adjudicator,),
            votes=len(votes),
            agreement=counts[resolution.choice] / len(votes) if votes else 1.0,
            rationales=_unique([resolution.rationale]),
            tags=_unique([*resolution.tags, *(t for v in support for t in v.tags)]),
            flagged=False,
            ideal_responses=_unique(v.ideal_response or "" for v in support),
            judgment_ids=tuple(v.id for v in support),
        )
        return self._filter_kind(label)


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
