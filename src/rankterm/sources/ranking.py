"""Local K-way ranking: the ranking tasks of a pairs file, ordered by pairwise comparisons.

:class:`RankSource` serves the :class:`~rankterm.core.model.RankTask` records of the file a
:class:`~rankterm.sources.local.LocalSource` opened (same index, same journal, same lock), one
comparison at a time. The screen sees each comparison as a pair (a :class:`PairView` of two
candidates), so the pairwise screen's panes, keys and rendering serve unchanged.

What must not be lost is journaled as it happens: each comparison is fsynced before the next
question shows (with the retractions it implies, in the same write), and the
:class:`~rankterm.core.model.Ranking` that closes an attempt goes in the same write as its last
comparison. The next question is derived from the standing comparisons alone
(:mod:`rankterm.core.insertion`), so after a crash the open attempt of a task (comparisons with
no ranking) is replayed and the same next question comes up.

Not journaled: a typed order still being checked against the comparisons (a crash loses it;
the person types it again), and skips.

Where the tasks come from is the one thing that differs between local and remote mode, so it
is a seam of its own (:class:`RankTasks`): :class:`LocalRankTasks` serves the ranking records
of the pairs file, :class:`RemoteRankTasks` the ranking tasks leased from the task server
(a finished ranking closes its lease and goes to the server with its comparisons). The
comparisons, the insertion, undo and the typed order are the same code in both modes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from rankterm.core.errors import LoadIssue, RanktermError
from rankterm.core.insertion import Edge, Question, Ranker, insertion_sequence
from rankterm.core.insertion import Progress as Placement
from rankterm.core.limits import verdict_problem
from rankterm.core.model import (
    Choice,
    Comparison,
    Gold,
    Judgment,
    Order,
    Pair,
    Ranking,
    RankTask,
    Retraction,
    candidate_name,
    describe,
    format_order,
    parse_order,
    shown_swapped,
)
from rankterm.sources.base import Draft, PairView, Progress, SourceEvent, SyncState
from rankterm.sources.local import LocalSource
from rankterm.storage.index import BadPairError

if TYPE_CHECKING:
    from rankterm.sources.remote import RemoteSource


@dataclass(frozen=True)
class RankView:
    """What the ranking screen shows besides the two texts: the task, the question (letters
    of the two candidates, a re-ask and why), and the order so far for the strip."""

    task: RankTask
    question: Question
    placement: Placement
    #: Candidate letters on the left and right of the screen.
    left: int
    right: int
    #: Comparisons standing in this attempt (keystrokes so far).
    asked: int
    #: The typed order being checked, if any.
    typed: Order | None = None
    #: The standing comparisons of this attempt, for the strip's "known" marks.
    known: list[Comparison] = field(default_factory=list)

    @property
    def reask_reason(self) -> str | None:
        """Why a re-ask is asked, in candidate letters, or None for a plain question."""
        q = self.question
        if not q.recheck or q.implied is None:
            return None
        a, b = candidate_name(q.a), candidate_name(q.b)
        return (
            f"Your typed order says {_rel(a, b, q.typed)}, but your comparisons say "
            f"{_rel(a, b, q.implied)}. Compare {a} and {b} again."
        )


def _rel(a: str, b: str, choice: Choice | None) -> str:
    if choice is Choice.TIE:
        return f"{a} = {b}"
    if choice is Choice.A:
        return f"{a} > {b}"
    return f"{b} > {a}"


def question_pair(task: RankTask, q: Question) -> Pair:
    """The two candidates of a question as a pair, so the pairwise renderer shows them. The
    id names the task and the two letters (render caches are keyed by it)."""
    return Pair(
        id=f"{task.id} {candidate_name(q.a)}:{candidate_name(q.b)}",
        prompt=task.prompt,
        messages=task.messages,
        response_a=task.responses[q.a].content,
        response_b=task.responses[q.b].content,
        metadata=task.metadata,
        tags=task.tags,
    )


class RankTasks(Protocol):
    """Where a :class:`RankSource` gets its ranking tasks from, and whom it tells that one is
    finished: the one part of ranking that differs between a local file and a task server."""

    #: Whether a finished ranking may be reopened by undo (a ranking sent to the server
    #: closed its lease: there is nothing to rank it again under).
    reopen: bool

    def task_ids(self) -> list[str]:
        """The tasks to serve, in serving order (finished ones may be listed too)."""
        ...

    def task(self, task_id: str) -> RankTask:
        """The task of that id; raises :class:`BadPairError` when it is gone."""
        ...

    def done_ids(self) -> set[str]:
        """The tasks of :meth:`task_ids` that are finished."""
        ...

    def finished(self, ranking: Ranking) -> None:
        """``ranking`` was just journaled and closes its task."""
        ...

    def pairs_waiting(self) -> bool:
        """Whether pairwise work is on hand (the pairwise screen takes over when the
        rankings are done)."""
        ...

    def progress(self) -> Progress:
        """Tasks done and total, and the sync state to show."""
        ...

    def refusal(self, draft: Draft) -> str | None:
        """Why the ranking's receiver would refuse these tags and rationale, or None."""
        ...


class LocalRankTasks:
    """The ranking records of the pairs file a :class:`LocalSource` opened, by priority then
    file order; a task is done when this annotator has a standing :class:`Ranking` of it."""

    reopen = True

    def __init__(self, local: LocalSource, annotator: str) -> None:
        self.local = local
        self.pairs = local.pairs
        self.annotator = annotator
        self._order_for: tuple[frozenset[int], list[str]] | None = None

    def task_ids(self) -> list[str]:
        """Worked out again only when the index knows of more (or fewer) of them: the
        status line asks on every question."""
        positions = self.pairs.rank_positions()
        if self._order_for is not None and self._order_for[0] == positions:
            return self._order_for[1]
        out = []
        for pos in positions:
            try:
                task = self.pairs.get(pos)
            except BadPairError:
                continue
            out.append((-float(task.priority), pos, task.id))
        ids = [pid for _, _, pid in sorted(out)]
        self._order_for = (positions, ids)
        return ids

    def task(self, task_id: str) -> RankTask:
        task = self.pairs.by_id(task_id)
        assert isinstance(task, RankTask)
        return task

    def done_ids(self) -> set[str]:
        state = self.local.session.state
        return {r.pair_id for r in state.active_rankings(self.annotator)}

    def finished(self, ranking: Ranking) -> None:
        """Nothing to tell: the journal is the record."""

    def pairs_waiting(self) -> bool:
        return self.local.current() is not None

    def progress(self) -> Progress:
        ids = self.task_ids()
        done = len(self.done_ids() & set(ids))
        return Progress(done=done, total=len(ids), sync=SyncState.LOCAL)

    def refusal(self, draft: Draft) -> str | None:
        return None  # the journal takes any size


class RemoteRankTasks:
    """The ranking tasks leased from the task server by a :class:`RemoteSource`, in lease
    order. A finished ranking closes its lease (:meth:`RemoteSource.finish_ranking`): the
    task leaves the queue and the sync thread sends the ranking with its comparisons (from
    the journal, so offline it waits there and goes on reconnect or with ``rankterm sync``).
    """

    reopen = False

    def __init__(self, remote: RemoteSource) -> None:
        self.remote = remote

    def task_ids(self) -> list[str]:
        return [item.pair.id for item in self.remote.rank_leases()]

    def task(self, task_id: str) -> RankTask:
        """Also a task whose lease was lost (it is no longer in :meth:`task_ids` unless it was
        started): the one on screen stays there, as a pair does, until the person moves on."""
        task = self.remote.rank_task(task_id)
        if task is None:
            raise BadPairError(f"ranking task {task_id} is no longer leased")
        return task

    def done_ids(self) -> set[str]:
        return set()  # a finished task leaves the leases

    def finished(self, ranking: Ranking) -> None:
        self.remote.finish_ranking(ranking)

    def pairs_waiting(self) -> bool:
        return self.remote.current() is not None

    def progress(self) -> Progress:
        """This session's rankings against them plus the leases on hand; the sync state and
        what is not delivered yet are the remote source's."""
        done = self.remote.ranked_this_session()
        total = done + len(self.remote.rank_leases())
        base = self.remote.progress()
        return Progress(
            done=done,
            total=total,
            pending_sync=base.pending_sync,
            sync=base.sync,
            sync_detail=base.sync_detail,
            waiting=total == done and not self.remote.exhausted,
            rejected=base.rejected,
        )

    def refusal(self, draft: Draft) -> str | None:
        """Checked before a comparison is journaled, as remote pairwise verdicts are: the
        server would refuse the finished ranking, and every comparison in it with it."""
        return verdict_problem(rationale=draft.rationale, tags=draft.tags)


def rank_tasks_for(source: LocalSource | RemoteSource) -> RankTasks:
    """The task provider for a source: the file's rankings, or the leased ones."""
    if isinstance(source, LocalSource):
        return LocalRankTasks(source, source.annotator)
    return RemoteRankTasks(source)


class RankSource:
    """Serves the ranking tasks of a local pairs file and journals every comparison.

    Tasks are served by priority then file order; a task is done when this annotator has a
    standing :class:`Ranking` of it. Implements the parts of
    :class:`~rankterm.sources.base.TaskSource` the annotation screen uses, in the
    comparison's terms (``record`` takes a verdict on the two candidates on screen).
    """

    def __init__(self, source: LocalSource | RemoteSource, tasks: RankTasks | None = None) -> None:
        #: The pairwise source of the same run (local file or task server): its journal
        #: session, events and checks are shared.
        self.base = source
        self.tasks: RankTasks = tasks if tasks is not None else rank_tasks_for(source)
        self.session = source.session
        self.annotator = source.annotator
        self.journal = source.journal
        self.journal_issues: list[LoadIssue] = source.journal_issues
        self.criteria: list[str] = []
        self.events = source.events
        self._lock = self.session.lock
        self._typed: dict[str, Order] = {}
        self._drafts: dict[str, Draft] = {}
        self._notices: list[str] = []
        self._skipped: set[str] = set()
        #: The id of an attempt not journaled yet (no comparison made), per task.
        self._fresh: dict[str, uuid.UUID] = {}
        self._cursor: str | None = None
        self._cursor = self._first_todo()

    @property
    def local(self) -> LocalSource | RemoteSource:
        """The pairwise source (named for local mode, where it came first)."""
        return self.base

    @property
    def guideline_version(self) -> str | None:
        """Read from the source each time: a remote source learns it with its first lease."""
        return self.base.guideline_version

    # -- tasks --------------------------------------------------------------------------------

    def task_ids(self) -> list[str]:
        """The ranking tasks known so far, in serving order."""
        return self.tasks.task_ids()

    def _task(self, task_id: str) -> RankTask:
        return self.tasks.task(task_id)

    def _done_ids(self) -> set[str]:
        return self.tasks.done_ids()

    def _first_todo(self, after: str | None = None) -> str | None:
        ids = self.task_ids()
        done = self._done_ids()
        start = ids.index(after) + 1 if after in ids else 0
        rotated = ids[start:] + ids[:start]
        for pid in rotated:
            if pid not in done and pid not in self._skipped:
                return pid
        for pid in rotated:  # every one left was skipped: they come back
            if pid not in done:
                self._skipped.clear()
                return pid
        return None

    @property
    def has_tasks(self) -> bool:
        return bool(self.tasks.task_ids())

    def pairs_waiting(self) -> bool:
        """Pairwise work on hand, for when the rankings are done."""
        return self.tasks.pairs_waiting()

    # -- the open attempt -----------------------------------------------------------------------

    def _attempt(self, task_id: str) -> tuple[uuid.UUID, list[Comparison]]:
        """The open attempt of a task (its comparisons with no standing ranking), newest
        first when several; a new id (journaled with its first comparison) when none."""
        state = self.session.state
        closed = {r.ranking_id for r in state.active_rankings(self.annotator)}
        latest: uuid.UUID | None = None
        for c in state.comparisons.values():
            if (
                c.pair_id == task_id
                and c.annotator == self.annotator
                and c.id not in state.retracted
                and c.ranking_id not in closed
            ):
                latest = c.ranking_id
        if latest is None:
            return self._fresh.setdefault(task_id, uuid.uuid4()), []
        return latest, state.open_comparisons(latest)

    def _ranker(self, task: RankTask, comparisons: list[Comparison]) -> Ranker:
        return Ranker(
            task.k,
            [Edge(c.id, c.a, c.b, c.choice) for c in comparisons],
            sequence=insertion_sequence(task.k, f"{self.annotator}\x00{task.id}"),
            typed=self._typed.get(task.id),
        )

    def _state(self) -> tuple[RankTask, uuid.UUID, list[Comparison], Ranker] | None:
        """The task at the cursor and its open attempt, moving past tasks that cannot be
        loaded. A loop that tries each task at most once: the next one to try may be the same
        task again (the only one left), and a search that called itself then never ended."""
        if self._cursor is None:
            # Nothing was left: a task may have come since (a remote source leases ahead).
            self._cursor = self._first_todo()
        tried: set[str] = set()
        while self._cursor is not None and self._cursor not in tried:
            try:
                task = self._task(self._cursor)
            except BadPairError:
                tried.add(self._cursor)
                self._cursor = self._first_todo(self._cursor)
                continue
            rid, comparisons = self._attempt(task.id)
            return task, rid, comparisons, self._ranker(task, comparisons)
        self._cursor = None  # every task left failed to load: nothing to show (asked again)
        return None

    def _state_on_screen(self) -> tuple[RankTask, uuid.UUID, list[Comparison], Ranker] | None:
        """:meth:`_state`, for an answer to what is on screen: when the task there went away
        since it was painted (a lease taken back), the answer is refused, never journaled as
        the answer to the next task's question, which the person has not seen."""
        shown = self._cursor
        state = self._state()
        now = state[0].id if state is not None else None
        if now != shown:
            gone = f"ranking task {shown}" if shown is not None else "the task on screen"
            after = f"task {now} is on screen now" if now is not None else "no task is left"
            raise RanktermError(
                f"{gone} is no longer available, so that answer was not saved; {after}"
            )
        return state

    # -- what the screen shows ----------------------------------------------------------------

    def rank_view(self) -> RankView | None:
        with self._lock:
            state = self._state()
            if state is None:
                return None
            task, rid, comparisons, ranker = state
            q = ranker.next_question()
            if q is None:  # complete but not closed (the two are one write, so only a
                # journal edited by hand gets here): close it rather than ask nothing
                self._close(task, rid, ranker, comparisons)
                return self.rank_view()
            swapped = shown_swapped(self.annotator, f"{task.id}\x00{q.a}\x00{q.b}")
            left, right = (q.b, q.a) if swapped else (q.a, q.b)
            return RankView(
                task=task,
                question=q,
                placement=ranker.progress(),
                left=left,
                right=right,
                asked=len(comparisons),
                typed=self._typed.get(task.id),
                known=comparisons,
            )

    def current(self) -> PairView | None:
        view = self.rank_view()
        if view is None:
            return None
        return PairView(
            pair=question_pair(view.task, view.question),
            position=0,
            swapped=view.left != view.question.a,
        )

    def peek_next(self) -> PairView | None:
        """The next question depends on the answer: nothing to render ahead (the screen
        renders the task's candidates instead, and :meth:`upcoming_task`)."""
        return None

    def upcoming_task(self) -> tuple[RankTask, Question] | None:
        """The task after the one on screen and its first question, for rendering ahead."""
        with self._lock:
            if self._cursor is None:
                return None
            nxt = self._first_todo(self._cursor)
            if nxt is None or nxt == self._cursor:
                return None
            try:
                task = self._task(nxt)
            except BadPairError:
                return None
            _, comparisons = self._attempt(nxt)
            q = self._ranker(task, comparisons).next_question()
            return (task, q) if q is not None else None

    def draft(self) -> Draft:
        """The tags, rationale and flag set so far on the task on screen (kept across its
        comparisons, saved with its ranking)."""
        with self._lock:
            if self._cursor is None:
                return Draft()
            return self._drafts.get(self._cursor, Draft())

    # -- verdicts -----------------------------------------------------------------------------

    def record(
        self, choice: Choice, strength: int | None, draft: Draft, duration_ms: int
    ) -> Comparison:
        """Journal a verdict on the two candidates on screen (A/B in the question's terms),
        with what it withdraws, and the ranking when it completes the order; durable when
        this returns."""
        if choice is Choice.BOTH_BAD:
            raise RanktermError(
                "both bad has no place in an order: say which is better, or tie (4)"
            )
        problem = self.tasks.refusal(draft)
        if problem is not None:
            raise RanktermError(problem)
        with self._lock:
            state = self._state_on_screen()
            if state is None:
                raise RuntimeError("no ranking task to work on")
            task, rid, comparisons, ranker = state
            q = ranker.next_question()
            assert q is not None
            self._drafts[task.id] = draft
            comparison = Comparison(
                pair_id=task.id,
                annotator=self.annotator,
                ranking_id=rid,
                a=q.a,
                b=q.b,
                choice=choice,
                strength=strength if choice is not Choice.TIE else None,
                shown_swapped=shown_swapped(self.annotator, f"{task.id}\x00{q.a}\x00{q.b}"),
                duration_ms=max(0, duration_ms),
                recheck=q.recheck,
            )
            edge = Edge(comparison.id, q.a, q.b, choice)
            if q.recheck and q.typed is not None and choice is not q.typed:
                # The person sides with their comparisons: the typed order is set aside.
                del self._typed[task.id]
                a, b = candidate_name(q.a), candidate_name(q.b)
                self._notices.append(
                    f"Typed order set aside: you confirmed {_rel(a, b, choice)}. "
                    "Keep comparing, or type the order again (o)."
                )
            gone = {e.id for e in ranker.withdrawn_by(edge)}
            entries: list[Comparison | Retraction | Ranking] = [
                Retraction(retracts=c.id, pair_id=task.id, annotator=self.annotator)
                for c in comparisons
                if c.id in gone
            ]
            entries.append(comparison)
            standing = [c for c in comparisons if c.id not in gone] + [comparison]
            after = self._ranker(task, standing)
            ranking = self._ranking(task, rid, after, standing) if after.complete else None
            if ranking is not None:
                entries.append(ranking)
            self.session.append_many(entries)  # fsynced before the next question shows
            if ranking is not None:
                self._finished(ranking)
        if self._notices:
            self.events.emit(SourceEvent.NOTICES)
        return comparison

    def _ranking(
        self, task: RankTask, rid: uuid.UUID, ranker: Ranker, standing: list[Comparison]
    ) -> Ranking:
        order = ranker.order()
        assert order is not None
        draft = self._drafts.get(task.id, Draft())
        return Ranking(
            pair_id=task.id,
            annotator=self.annotator,
            ranking_id=rid,
            k=task.k,
            order=order,
            comparisons=[c.id for c in standing],
            typed=ranker.typed is not None,
            tags=sorted(draft.tags),
            rationale=draft.rationale,
            flagged=draft.flagged,
            duration_ms=sum(c.duration_ms for c in standing),
            guideline_version=self.guideline_version,
        )

    def _close(
        self, task: RankTask, rid: uuid.UUID, ranker: Ranker, comparisons: list[Comparison]
    ) -> Ranking:
        ranking = self._ranking(task, rid, ranker, comparisons)
        self.session.append(ranking)
        self._finished(ranking)
        return ranking

    def _finished(self, ranking: Ranking) -> None:
        """``ranking`` is journaled: tell the task provider (remote: the lease is closed and
        the ranking queued for the server), then on to the next task."""
        self.tasks.finished(ranking)
        task_id = ranking.pair_id
        self._typed.pop(task_id, None)
        self._fresh.pop(task_id, None)
        self._drafts.pop(task_id, None)
        self._skipped.discard(task_id)
        self._cursor = self._first_todo(task_id)

    def type_order(self, text: str, draft: Draft, duration_ms: int = 0) -> Ranking | None:
        """Take a typed order (``3142``, ``CADB``, ``C>A=D>B``) for the task on screen.

        Raises ValueError (for the person) when it is not a full order of this task. When it
        agrees with every comparison made, the ranking is journaled and returned; otherwise
        the disagreements are re-asked one by one (the next questions) and None is returned.
        """
        problem = self.tasks.refusal(draft)
        if problem is not None:
            raise RanktermError(problem)
        with self._lock:
            state = self._state_on_screen()
            if state is None:
                raise RanktermError("no ranking task on screen")
            task, rid, comparisons, _ = state
            order = parse_order(text, task.k)
            self._typed[task.id] = order
            self._drafts[task.id] = draft
            ranker = self._ranker(task, comparisons)
            if ranker.next_question() is not None:
                return None
            return self._close(task, rid, ranker, comparisons)

    def cancel_typed(self) -> bool:
        """Drop a typed order being checked (back to comparisons); whether there was one."""
        with self._lock:
            return self._cursor is not None and self._typed.pop(self._cursor, None) is not None

    def undo(self) -> Comparison | Ranking | None:
        """Retract the last comparison of the attempt on screen; with none, reopen the
        annotator's last ranking (retracting it and its last comparison, in one write) and go
        back to that task, where the provider allows it (not remote: a finished ranking closed
        its lease). Returns what was retracted, or None."""
        with self._lock:
            state = self._state()
            if state is not None:
                task, _, comparisons, _ = state
                if self._typed.pop(task.id, None) is not None:
                    return None if not comparisons else self._retract([comparisons[-1]])
                if comparisons:
                    return self._retract([comparisons[-1]])
            rankings = self.session.state.active_rankings(self.annotator)
            if not rankings or not self.tasks.reopen:
                return None
            last = rankings[-1]
            standing = self.session.state.open_comparisons(last.ranking_id)
            self._retract([last, *standing[-1:]])
            self._cursor = last.pair_id
            self._drafts[last.pair_id] = Draft(
                tags=set(last.tags), rationale=last.rationale, flagged=last.flagged
            )
            return last

    def _retract(self, records: list[Comparison | Ranking]) -> Comparison | Ranking:
        self.session.append_many(
            [
                Retraction(retracts=r.id, pair_id=r.pair_id, annotator=self.annotator)
                for r in records
            ]
        )
        return records[0]

    def skip(self) -> None:
        with self._lock:
            if self._cursor is not None:
                self._skipped.add(self._cursor)
                nxt = self._first_todo(self._cursor)
                self._cursor = nxt

    def move(self, delta: int) -> None:
        """Previous / next task that still needs an order (finished ones are not revisited;
        undo reopens the last one)."""
        with self._lock:
            ids = [pid for pid in self.task_ids() if pid not in self._done_ids()]
            if not ids:
                return
            at = ids.index(self._cursor) if self._cursor in ids else 0
            self._cursor = ids[max(0, min(len(ids) - 1, at + delta))]

    # -- status -------------------------------------------------------------------------------

    def progress(self) -> Progress:
        with self._lock:
            return self.tasks.progress()

    def take_notices(self) -> list[str]:
        """Ours (a typed order set aside) and the source's (leases lost, rankings refused)."""
        with self._lock:
            notices, self._notices = self._notices, []
        return notices + self.base.take_notices()

    def take_new_issues(self) -> list[LoadIssue]:
        return self.local.take_new_issues()

    def quality_inputs(self) -> tuple[list[Judgment], dict[str, Gold]]:
        return self.local.quality_inputs()

    @property
    def history(self) -> list[Judgment]:
        return []

    @property
    def pending(self) -> int:
        """Records journaled but not acknowledged by the server (0 in local mode)."""
        return self.base.pending

    @property
    def issues(self) -> list[LoadIssue]:
        return self.local.issues

    @property
    def indexing(self) -> bool:
        return self.local.indexing

    @property
    def index_fraction(self) -> float:
        return self.local.index_fraction

    def wait_indexed(self, timeout: float | None = None) -> bool:
        return self.local.wait_indexed(timeout)

    @property
    def validated(self) -> bool:
        return self.local.validated

    def validation_progress(self) -> tuple[int, int]:
        return self.local.validation_progress()

    def hurry_validation(self) -> None:
        self.local.hurry_validation()

    def wait_validated(self, timeout: float | None = None) -> bool:
        return self.local.wait_validated(timeout)

    def close(self) -> None:
        """The local source owns the journal and the index: closing it closes both."""


def describe_comparison(c: Comparison) -> str:
    """``C > A (much better)`` / ``A = D``: a comparison in candidate letters."""
    a, b = candidate_name(c.a), candidate_name(c.b)
    if c.choice is Choice.TIE:
        return f"{a} = {b}"
    words = describe(c.choice, c.strength).split(" ", 1)[1]
    return f"{_rel(a, b, c.choice)} ({words})"


__all__ = ["RankSource", "RankView", "describe_comparison", "format_order", "question_pair"]
