"""Adjudication: settling the pairs annotators disagreed on.

A :class:`Case` is one contested pair with everything an expert needs beside it: every
verdict, rationale and time spent, each annotator's track record, earlier resolutions and the
discussion thread. Cases come from local journals (:class:`LocalDesk`) or from the task
server's conflict queue (:class:`RemoteDesk`); the screen does not know which. A resolution is
journaled (fsynced) before the next case appears, exactly like a verdict, and becomes the label
of record for export.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rankterm.core import wire
from rankterm.core.errors import LoadIssue, RanktermError, UsageError, display_path
from rankterm.core.model import (
    Choice,
    Comment,
    Judgment,
    Order,
    Pair,
    Ranking,
    RankTask,
    Resolution,
    check_full_order,
    format_order,
    ranks,
)
from rankterm.quality import AnnotatorStats, annotator_stats, contested_order
from rankterm.quality.conflicts import Contested, contestedness, one_per_annotator
from rankterm.sources.session import JournaledSession
from rankterm.storage.index import PairIndex, index_pairs
from rankterm.storage.journal import Journal, JournalState, load_journals


@dataclass
class Case:
    """One contested pair (or K-way ranking task) on the adjudicator's desk."""

    pair: Pair | RankTask
    judgments: list[Judgment]
    contested: Contested
    resolutions: list[Resolution] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    #: A ranking task's case: each annotator's standing order (``judgments`` is then empty).
    rankings: list[Ranking] = field(default_factory=list)

    @property
    def is_ranking(self) -> bool:
        return isinstance(self.pair, RankTask)

    @property
    def model_verdicts(self) -> list[Comment]:
        """LLM judges' verdicts referred here (``source: model``): shown, never counted."""
        from rankterm.sources.referrals import is_model_verdict

        return [c for c in self.comments if is_model_verdict(c)]

    @property
    def discussion(self) -> list[Comment]:
        """The people's thread (the judges' referrals are shown apart)."""
        from rankterm.sources.referrals import is_model_verdict

        return [c for c in self.comments if not is_model_verdict(c)]

    @property
    def settled(self) -> Resolution | None:
        """The latest resolution with a verdict or an order of record (guideline-unclear
        notes do not settle)."""
        for resolution in reversed(self.resolutions):
            if resolution.choice is not None or resolution.order is not None:
                return resolution
        return None


@dataclass(frozen=True)
class Decision:
    """What the adjudicator decided on a case."""

    choice: Choice | None
    strength: int | None = None
    rationale: str = ""
    tags: tuple[str, ...] = ()
    guideline_unclear: bool = False
    note: str = ""
    #: For a ranking task: the order of record (then ``choice`` is None).
    order: Order | None = None


class Desk(Protocol):
    """Where cases come from and where resolutions go."""

    adjudicator: str
    guideline_version: str | None

    def cases(self) -> list[Case]: ...

    def track_records(self) -> dict[str, AnnotatorStats]: ...

    def resolve(self, case: Case, decision: Decision) -> Resolution: ...

    def comment(self, case: Case, text: str) -> Comment: ...

    @property
    def pending(self) -> int:
        """Resolutions journaled but not yet acknowledged by a server (0 without one)."""

    def close(self) -> None: ...


def make_resolution(
    case: Case, decision: Decision, adjudicator: str, guideline_version: str | None
) -> Resolution:
    if case.is_ranking:
        return Resolution(
            pair_id=case.pair.id,
            adjudicator=adjudicator,
            order=decision.order,
            rationale=decision.rationale,
            tags=list(decision.tags),
            guideline_unclear=decision.guideline_unclear,
            note=decision.note,
            guideline_version=guideline_version,
            considered=[r.id for r in case.rankings],
        )
    choice = decision.choice
    strength = decision.strength if choice in (Choice.A, Choice.B) else None
    return Resolution(
        pair_id=case.pair.id,
        adjudicator=adjudicator,
        choice=choice,
        strength=strength,
        rationale=decision.rationale,
        tags=list(decision.tags),
        guideline_unclear=decision.guideline_unclear,
        note=decision.note,
        guideline_version=guideline_version,
        considered=[j.id for j in case.judgments],
    )


def ranking_contestedness(pair_id: str, rankings: list[Ranking]) -> Contested:
    """How contested a ranking task is, on the pair scale's two measures: the entropy (bits)
    of the distinct orders given, and the mean over candidates of the variance of their rank,
    so that orders far apart come before orders one swap apart."""
    from rankterm.quality.stats import entropy, variance

    placed = [ranks(r.order) for r in rankings]
    candidates = sorted({i for p in placed for i in p})
    spread = (
        sum(variance([p[i] for p in placed if i in p]) for i in candidates) / len(candidates)
        if candidates
        else 0.0
    )
    return Contested(
        pair_id, len(rankings), entropy(format_order(r.order) for r in rankings), spread
    )


def mean_rank_order(rankings: list[Ranking]) -> Order:
    """The candidates by mean rank over the annotators' orders (equal means tied): a starting
    point for the order of record, shown beside the annotators' own."""
    placed = [ranks(r.order) for r in rankings]
    candidates = sorted({i for p in placed for i in p})
    means = {i: sum(p[i] for p in placed if i in p) / len(placed) for i in candidates}
    order: Order = []
    for i in sorted(candidates, key=lambda c: (means[c], c)):
        if order and abs(means[order[-1][0]] - means[i]) < 1e-9:
            order[-1].append(i)
        else:
            order.append([i])
    return order


def build_cases(
    state: JournalState,
    pair_for: callable,  # type: ignore[valid-type]
    *,
    rule: str = "any_disagreement",
    include_resolved: bool = False,
    flagged_too: bool = True,
) -> list[Case]:
    """Contested pairs, most contested first; flagged pairs join the queue too.

    A pair judged by several annotators enters when the verdicts conflict under ``rule``; a
    pair any annotator flagged for expert review enters regardless (after the conflicts).
    """
    active = state.active()
    by_pair: dict[str, list[Judgment]] = defaultdict(list)
    for judgment in active:
        by_pair[judgment.pair_id].append(judgment)
    resolutions: dict[str, list[Resolution]] = defaultdict(list)
    for resolution in state.resolutions:
        resolutions[resolution.pair_id].append(resolution)
    comments: dict[str, list[Comment]] = defaultdict(list)
    for comment in state.comments:
        comments[comment.pair_id].append(comment)

    order = contested_order(by_pair, rule)
    seen = {c.pair_id for c in order}
    if flagged_too:
        flagged = [
            contestedness(pid, one_per_annotator(js))
            for pid, js in by_pair.items()
            if pid not in seen and any(j.flagged for j in js)
        ]
        order += sorted(flagged, key=Contested.sort_key)
        seen |= {c.pair_id for c in order}
    # Pairs an LLM judge disagreed with the human majority on (``rankterm judge
    # --to-adjudication``), after the people's own conflicts.
    from rankterm.sources.referrals import is_model_verdict

    referred = {c.pair_id for c in state.comments if is_model_verdict(c) and c.pair_id in by_pair}
    order += sorted(
        (contestedness(pid, one_per_annotator(by_pair[pid])) for pid in referred - seen),
        key=Contested.sort_key,
    )
    cases = []
    for contested in order:
        pair = pair_for(contested.pair_id)
        if pair is None or isinstance(pair, RankTask):
            continue  # a judgment journaled against a ranking task's id is no pair case
        case = Case(
            pair=pair,
            judgments=one_per_annotator(by_pair[contested.pair_id]),
            contested=contested,
            resolutions=resolutions.get(contested.pair_id, []),
            comments=comments.get(contested.pair_id, []),
        )
        if include_resolved or case.settled is None:
            cases.append(case)
    for case in ranking_cases(state, pair_for, flagged_too=flagged_too):
        case.resolutions = resolutions.get(case.pair.id, [])
        case.comments = comments.get(case.pair.id, [])
        if include_resolved or case.settled is None:
            cases.append(case)
    return cases


def standing_rankings(state: JournalState) -> dict[str, list[Ranking]]:
    """Per task id, each annotator's latest ranking not retracted (annotators sorted), as the
    server keeps one standing order per annotator and task."""
    latest: dict[tuple[str, str], Ranking] = {}
    for ranking in state.active_rankings():
        latest[(ranking.pair_id, ranking.annotator)] = ranking
    out: dict[str, list[Ranking]] = defaultdict(list)
    for (task_id, _), ranking in sorted(latest.items()):
        out[task_id].append(ranking)
    return out


def ranking_cases(
    state: JournalState,
    pair_for: callable,
    *,
    flagged_too: bool = True,  # type: ignore[valid-type]
) -> list[Case]:
    """The ranking tasks on the desk, most contested first: those whose annotators' standing
    orders differ (ties included, the server's rule), then those an annotator flagged.

    Rankings of ids the pairs file does not hold as ranking tasks, or whose order does not
    place the task's K candidates, are left out (the exporters drop them too).
    """
    contested: list[Case] = []
    flagged: list[Case] = []
    for task_id, rankings in standing_rankings(state).items():
        task = pair_for(task_id)
        if not isinstance(task, RankTask):
            continue
        fitting = [r for r in rankings if r.k == task.k and _places_all(r.order, task.k)]
        if not fitting:
            continue
        orders = {format_order(r.order) for r in fitting}
        case = Case(
            pair=task,
            judgments=[],
            contested=ranking_contestedness(task_id, fitting),
            rankings=fitting,
        )
        if len(orders) > 1:
            contested.append(case)
        elif flagged_too and any(r.flagged for r in fitting):
            flagged.append(case)
    contested.sort(key=lambda c: c.contested.sort_key())
    flagged.sort(key=lambda c: c.contested.sort_key())
    return contested + flagged


def _places_all(order: Order, k: int) -> bool:
    try:
        check_full_order(order, k)
    except ValueError:
        return False
    return True


class LocalDesk:
    """Cases from annotators' journals and a pairs file; resolutions to the adjudicator's journal.

    The adjudicator's own journal is read too, so earlier resolutions and comments show up and
    a restart continues where it stopped.
    """

    def __init__(
        self,
        pairs: PairIndex,
        journals: Sequence[Path],
        out: Journal,
        adjudicator: str,
        *,
        rule: str = "any_disagreement",
        guideline_version: str | None = None,
    ) -> None:
        self.pairs = pairs
        self.out = out
        self.adjudicator = adjudicator
        self.guideline_version = guideline_version
        self.rule = rule
        self.issues: list[LoadIssue] = []
        inputs = [p for p in journals if p.resolve() != out.path.resolve()]
        #: The annotators' journals, with the adjudicator's own replayed on top.
        self.session = JournaledSession(
            out, adjudicator, state=load_journals(inputs, self.issues), issues=self.issues
        )
        self.state = self.session.state
        self._lock = self.session.lock

    def _pair(self, pair_id: str) -> Pair | None:
        return self.pairs.by_id(pair_id) if pair_id in self.pairs else None

    def cases(self, include_resolved: bool = False) -> list[Case]:
        with self._lock:
            return build_cases(
                self.state, self._pair, rule=self.rule, include_resolved=include_resolved
            )

    def track_records(self) -> dict[str, AnnotatorStats]:
        with self._lock:
            gold = {}
            for judgment in self.state.active():
                pid = judgment.pair_id
                if pid not in gold and pid in self.pairs:
                    pair = self.pairs.by_id(pid)
                    if pair.gold is not None:
                        gold[pid] = pair.gold
            stats = annotator_stats(
                self.state.active(), gold=gold, resolutions=self.state.latest_resolutions()
            )
        return {s.annotator: s for s in stats}

    def resolve(self, case: Case, decision: Decision) -> Resolution:
        resolution = make_resolution(case, decision, self.adjudicator, self.guideline_version)
        self.session.append(resolution)  # fsynced before the next case is shown
        case.resolutions.append(resolution)
        return resolution

    def comment(self, case: Case, text: str) -> Comment:
        comment = Comment(pair_id=case.pair.id, author=self.adjudicator, text=text)
        self.session.append(comment)
        case.comments.append(comment)
        return comment

    @property
    def pending(self) -> int:
        """Resolutions not yet delivered: none, there is no server."""
        return 0

    def close(self) -> None:
        self.session.close()
        self.pairs.close()


def default_adjudication_path(pairs_path: Path) -> Path:
    return pairs_path.with_name(f"{pairs_path.stem}.adjudications.jsonl")


def open_local_desk(
    pairs_path: Path,
    journals: Iterable[Path],
    *,
    adjudicator: str,
    out: Path | None = None,
    rule: str = "any_disagreement",
    guideline_version: str | None = None,
) -> LocalDesk:
    journals = list(journals)
    if not journals:
        raise UsageError("give at least one annotators' journal to adjudicate")
    for path in journals:
        if not path.is_file():
            raise UsageError(f"{display_path(path)}: no such journal")
    pairs = index_pairs(pairs_path)
    try:
        journal = Journal.open(out or default_adjudication_path(pairs_path))
    except BaseException:
        pairs.close()
        raise
    desk = LocalDesk(
        pairs, journals, journal, adjudicator, rule=rule, guideline_version=guideline_version
    )
    desk.issues = [*pairs.issues, *desk.issues]
    return desk


class RemoteDesk:
    """Cases from the task server's conflict queue (adjudicator role).

    Resolutions and comments are journaled locally first, then sent; what the server has not
    acknowledged is resent on the next action and at close, so nothing decided is lost.
    """

    def __init__(self, client, out: Journal, adjudicator: str) -> None:  # client: TaskClient
        self.client = client
        self.out = out
        self.adjudicator = adjudicator
        self.guideline_version: str | None = None
        #: The adjudicator's journal: resolutions the server has not acknowledged are its outbox.
        self.session = JournaledSession(out, adjudicator, outbox=True)
        self.issues: list[LoadIssue] = self.session.issues
        self.state = self.session.state

    def cases(self, include_resolved: bool = False) -> list[Case]:
        items = self.client.conflicts(limit=500, include_resolved=include_resolved)
        cases = []
        for item in items:
            if isinstance(item.pair, RankTask):
                cases.append(
                    Case(
                        pair=item.pair,
                        judgments=[],
                        contested=ranking_contestedness(item.pair.id, item.rankings),
                        resolutions=list(item.resolutions),
                        rankings=list(item.rankings),
                    )
                )
                continue
            verdicts = one_per_annotator(item.judgments)
            cases.append(
                Case(
                    pair=item.pair,
                    judgments=verdicts,
                    contested=contestedness(item.pair.id, verdicts),
                    resolutions=list(item.resolutions),
                    # The judges' verdicts referred here; the people's thread loads on demand.
                    comments=list(item.model_verdicts),
                )
            )
        cases.sort(key=lambda c: c.contested.sort_key())
        return cases

    def track_records(self) -> dict[str, AnnotatorStats]:
        from rankterm.quality import Rate

        try:
            data = self.client.stats()
        except Exception:  # the track record is context, not a reason to stop working
            return {}
        records = {}
        for row in data.get("annotators", []):
            stats = AnnotatorStats(row["annotator"], judgments=int(row.get("judgments", 0)))
            stats.gold = Rate(int(row.get("gold_correct", 0)), int(row.get("gold_seen", 0)))
            stats.self_consistency = Rate(
                int(row.get("repeat_agree", 0)), int(row.get("repeats", 0))
            )
            stats.median_duration_ms = row.get("median_duration_ms")
            records[stats.annotator] = stats
        return records

    def _deliver(self) -> None:
        _, _, pending = self.session.unsent()
        if not pending:
            return
        self.session.acknowledge(self.client.resolve(pending))

    def resolve(self, case: Case, decision: Decision) -> Resolution:
        from rankterm.sources.client import TaskServerError

        problem = wire.verdict_problem(
            rationale=decision.rationale, tags=decision.tags, note=decision.note
        )
        if problem is not None:  # refused before it is journaled: the server would refuse it
            raise RanktermError(problem)
        resolution = make_resolution(case, decision, self.adjudicator, self.guideline_version)
        self.session.append(resolution)  # fsynced, and in the outbox until acknowledged
        case.resolutions.append(resolution)
        # Kept in the journal when this fails; resent on the next resolve and at close.
        with contextlib.suppress(TaskServerError):
            self._deliver()
        return resolution

    def comment(self, case: Case, text: str) -> Comment:
        comment = self.client.add_comment(case.pair.id, text)
        self.session.append(comment)
        case.comments.append(comment)
        return comment

    def load_comments(self, case: Case) -> None:
        case.comments = self.client.comments(case.pair.id)

    @property
    def pending(self) -> int:
        """Resolutions journaled but not yet acknowledged by the server."""
        return len(self.session.unsent()[2])

    def close(self) -> None:
        from rankterm.sources.client import TaskServerError

        with contextlib.suppress(TaskServerError):
            self._deliver()
        self.client.close()
        self.session.close()
