"""Per-annotator quality: accuracy, agreement, consistency, position bias, pace and fatigue.

Everything is computed in one pass over the judgments plus one pass per annotator over their
own judgments, so the cost is linear in the number of judgments.

Which judgments count where:

* accuracy on gold, agreement with the majority of the others and with adjudicated labels use
  each annotator's *first* judgment per pair (the same cell as the agreement table);
* self-consistency compares every later judgment of a pair (blind repeats) with the first;
* position bias, pace, fatigue and tag counts use every active judgment, because each one is
  a real verdict made on a real screen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from operator import attrgetter

from rankterm.core.model import Choice, Gold, Judgment, Resolution
from rankterm.quality.stats import binomial_two_sided, median, pooled_slope, tally
from rankterm.quality.table import first_by_unit
from rankterm.storage.bulk import bulk_pass

#: A gap longer than this between two judgments starts a new session (for fatigue trends).
SESSION_GAP = timedelta(minutes=30)


@dataclass(slots=True)
class Rate:
    """A share with its denominator, so that 1/1 is never mistaken for 900/900."""

    hits: int = 0
    n: int = 0

    def add(self, hit: bool) -> None:
        self.n += 1
        self.hits += bool(hit)

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"hits": self.hits, "n": self.n, "rate": self.value}


@dataclass(slots=True)
class AnnotatorStats:
    """Quality figures for one annotator; rates are None when there was nothing to compare."""

    annotator: str
    judgments: int = 0
    pairs: int = 0
    choices: dict[str, int] = field(default_factory=dict)
    #: Choice matches the gold choice.
    gold: Rate = field(default_factory=Rate)
    #: Choice matches and strength is within 1 of the gold strength (when gold gives one).
    gold_close: Rate = field(default_factory=Rate)
    #: Choice matches the plurality choice of the other annotators (ties among them skipped).
    majority: Rate = field(default_factory=Rate)
    #: Choice matches the adjudicated label of record.
    adjudicated: Rate = field(default_factory=Rate)
    #: Later judgments of a pair (blind repeats) that repeat the first choice.
    self_consistency: Rate = field(default_factory=Rate)
    #: Repeats shown in the other left/right order than the first time.
    repeats_swapped: int = 0
    #: A/B verdicts that picked the response shown on the left.
    position_left: Rate = field(default_factory=Rate)
    #: Exact two-sided binomial p-value of ``position_left`` against 0.5.
    position_p: float | None = None
    #: Median active time per label, judgments with a recorded duration only.
    median_duration_ms: float | None = None
    sessions: int = 0
    #: Change in duration (ms) per judgment within a session; negative means speeding up.
    duration_slope_ms: float | None = None
    #: Change in agreement (gold if the pair has gold, else majority) per judgment in a session.
    agreement_slope: float | None = None
    tags: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            out[item.name] = value.to_dict() if isinstance(value, Rate) else value
        return out


def picked_left(judgment: Judgment) -> bool | None:
    """Whether an A/B verdict chose the response shown on the left (None for tie/both_bad)."""
    if judgment.choice is Choice.A:
        return not judgment.shown_swapped
    if judgment.choice is Choice.B:
        return judgment.shown_swapped
    return None


def gold_close(judgment: Judgment, gold: Gold) -> bool:
    """Choice matches gold and, when both give a strength, the strengths differ by at most 1."""
    if judgment.choice != gold.choice:
        return False
    if gold.strength is None or judgment.strength is None:
        return True
    return abs(judgment.strength - gold.strength) <= 1


def _majority_of_others(counts: Mapping[Choice, int], own: Choice) -> Choice | None:
    """The plurality choice among the other raters of a unit; None if none or tied."""
    best: Choice | None = None
    best_count = 0
    tied = False
    for choice, count in counts.items():
        if choice == own:
            count -= 1
        if count <= 0:
            continue
        if count > best_count:
            best, best_count, tied = choice, count, False
        elif count == best_count:
            tied = True
    return None if tied else best


def sessions_of(judgments: list[Judgment], gap: timedelta = SESSION_GAP) -> list[list[Judgment]]:
    """Split one annotator's judgments (any order) into sessions at gaps longer than ``gap``."""
    ordered = sorted(judgments, key=attrgetter("created_at"))
    sessions: list[list[Judgment]] = []
    last = None
    for j in ordered:
        if last is None or j.created_at - last > gap:
            sessions.append([])
        sessions[-1].append(j)
        last = j.created_at
    return sessions


@bulk_pass
def annotator_stats(
    judgments: Iterable[Judgment],
    *,
    gold: Mapping[str, Gold] | None = None,
    resolutions: Mapping[str, Resolution] | None = None,
    session_gap: timedelta = SESSION_GAP,
    grouped: Mapping[str, Mapping[str, Judgment]] | None = None,
) -> list[AnnotatorStats]:
    """Quality figures for every annotator in ``judgments`` (active ones), sorted by id.

    ``gold`` maps pair id to its gold verdict (from ``Pair.gold``); ``resolutions`` maps pair
    id to the label of record (``JournalState.latest_resolutions()``); unsettled
    (guideline_unclear) resolutions are ignored. ``grouped`` is :func:`first_by_unit` output
    for the same judgments, when the caller already has it.
    """
    gold = gold or {}
    resolutions = resolutions or {}
    judgments = list(judgments)
    if grouped is None:
        grouped, _repeats = first_by_unit(judgments)
    unit_counts = {
        pair: tally(j.choice for j in cell.values())
        for pair, cell in grouped.items()
        if len(cell) > 1
    }
    by_annotator: dict[str, list[Judgment]] = defaultdict(list)
    for j in judgments:
        by_annotator[j.annotator].append(j)

    results = []
    for annotator in sorted(by_annotator):
        own = by_annotator[annotator]
        stats = AnnotatorStats(annotator, judgments=len(own))
        reference = _agreement_figures(stats, own, grouped, unit_counts, gold, resolutions)
        _screen_figures(stats, own)
        _fatigue_figures(stats, own, reference, session_gap)
        results.append(stats)
    return results


def _agreement_figures(
    stats: AnnotatorStats,
    own: list[Judgment],
    grouped: Mapping[str, Mapping[str, Judgment]],
    unit_counts: Mapping[str, Mapping[Choice, int]],
    gold: Mapping[str, Gold],
    resolutions: Mapping[str, Resolution],
) -> dict[str, Choice]:
    """Gold, majority, adjudicated and self-consistency; returns each pair's reference choice
    (gold if any, else the majority of the others) for the fatigue trend."""
    annotator = stats.annotator
    by_pair: dict[str, list[Judgment]] = defaultdict(list)
    for j in own:
        by_pair[j.pair_id].append(j)
    stats.pairs = len(by_pair)
    reference: dict[str, Choice] = {}
    majority_hits = majority_n = gold_hits = close_hits = gold_n = 0
    adjudicated_hits = adjudicated_n = repeat_hits = repeat_n = swapped = 0
    for pair_id, repeats in by_pair.items():
        first = grouped[pair_id][annotator]
        choice = first.choice
        majority = None
        counts = unit_counts.get(pair_id)
        if counts is not None:
            majority = _majority_of_others(counts, choice)
            if majority is not None:
                majority_n += 1
                majority_hits += choice == majority
        if gold:
            expected = gold.get(pair_id)
            if expected is not None:
                gold_n += 1
                gold_hits += choice == expected.choice
                close_hits += gold_close(first, expected)
                reference[pair_id] = expected.choice
            elif majority is not None:
                reference[pair_id] = majority
        elif majority is not None:
            reference[pair_id] = majority
        if resolutions:
            resolution = resolutions.get(pair_id)
            if resolution is not None and resolution.choice is not None:
                adjudicated_n += 1
                adjudicated_hits += choice == resolution.choice
        if len(repeats) > 1:
            for later in repeats:
                if later is not first:
                    repeat_n += 1
                    repeat_hits += later.choice == choice
                    swapped += later.shown_swapped != first.shown_swapped
    stats.majority = Rate(majority_hits, majority_n)
    stats.gold = Rate(gold_hits, gold_n)
    stats.gold_close = Rate(close_hits, gold_n)
    stats.adjudicated = Rate(adjudicated_hits, adjudicated_n)
    stats.self_consistency = Rate(repeat_hits, repeat_n)
    stats.repeats_swapped = swapped
    return reference


def _screen_figures(stats: AnnotatorStats, own: list[Judgment]) -> None:
    """Choices, tags, pace and position bias: from every judgment, repeats included."""
    choices: dict[Choice, int] = defaultdict(int)
    tags: dict[str, int] = defaultdict(int)
    durations = []
    left = right = 0
    for j in own:
        choice = j.choice
        choices[choice] += 1
        for tag in j.tags:
            tags[tag] += 1
        if j.duration_ms > 0:
            durations.append(j.duration_ms)
        if choice is Choice.A or choice is Choice.B:
            if (choice is Choice.A) != j.shown_swapped:
                left += 1
            else:
                right += 1
    stats.choices = {c.value: n for c, n in choices.items()}
    stats.tags = dict(sorted(tags.items(), key=lambda item: (-item[1], item[0])))
    stats.position_left = Rate(left, left + right)
    if left + right:
        stats.position_p = binomial_two_sided(left, left + right)
    stats.median_duration_ms = median(durations)


def _fatigue_figures(
    stats: AnnotatorStats, own: list[Judgment], reference: Mapping[str, Choice], gap: timedelta
) -> None:
    sessions = sessions_of(own, gap)
    stats.sessions = len(sessions)
    stats.duration_slope_ms = pooled_slope(
        [(i, j.duration_ms) for i, j in enumerate(s) if j.duration_ms > 0] for s in sessions
    )
    stats.agreement_slope = pooled_slope(
        [
            (i, float(j.choice == ref))
            for i, j in enumerate(s)
            if (ref := reference.get(j.pair_id)) is not None
        ]
        for s in sessions
    )
