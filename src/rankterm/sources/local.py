"""Local mode: pairs from a JSONL file, judgments to a JSONL journal beside it. No server."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rankterm.core.errors import LoadIssue, RanktermError, UsageError, display_path
from rankterm.core.model import Choice, Gold, Judgment, Pair, shown_swapped
from rankterm.guidelines import Guidelines, find_guidelines
from rankterm.sources.base import (
    Draft,
    PairView,
    Progress,
    SourceEvent,
    SourceEvents,
    SyncState,
    build_judgment,
)
from rankterm.sources.session import JournaledSession
from rankterm.storage.index import BadPairError, PairIndex, index_pairs
from rankterm.storage.journal import Journal, JournalState

EAGER_BELOW_BYTES = 8 << 20
"""Files smaller than this are validated before the TUI starts (see ``open_local``)."""

HEAD_RECORDS = 200
"""A big file opened for the first time shows its first pairs from an index of its first
blocks (at least this many records) while the whole file is indexed in a thread; 0 turns
that off (the whole file is indexed before the first pair)."""


def default_journal_path(pairs_path: Path) -> Path:
    """``<pairs stem>.judgments.jsonl`` beside the pairs file."""
    return pairs_path.with_name(f"{pairs_path.stem}.judgments.jsonl")


class LocalSource:
    """Serves pairs by priority then file order and journals every verdict durably.

    Serving state is a cursor over the serving order. A verdict advances to the next pair this
    annotator has not judged (wrapping around, so skipped pairs come back); previous / next
    visit any pair, and a verdict on an already judged pair retracts the old verdict first.

    The pairs may still be being validated in the background. Records found bad (invalid, or
    a duplicate id) stay in the index at their positions: they are never chosen, a pair is
    read (and so validated) before it is chosen, progress counts without them, and the issues
    found late are handed out by :meth:`take_new_issues`.

    K-way ranking tasks in the same file are not served here (the ranking source serves them,
    :mod:`rankterm.sources.ranking`): like bad records they are never chosen and leave the
    total, as the index comes to know them.
    """

    def __init__(
        self,
        pairs: PairIndex,
        journal: Journal,
        annotator: str,
        *,
        guideline_version: str | None = None,
        limit: int | None = None,
    ) -> None:
        self.pairs = pairs
        self.annotator = annotator
        self.guideline_version = guideline_version
        #: Journal, replayed state and undo history (this annotator's verdicts of every
        #: session are undoable): the rule "nothing judged is lost" lives there.
        self.session = JournaledSession(journal, annotator, resume_history=True)
        self.journal = journal
        self.journal_issues: list[LoadIssue] = self.session.issues
        self.criteria: list[str] = []
        self._lock = self.session.lock
        order = pairs.serving_order()
        self._judged = {
            pid: j for pid, j in self.state.latest_by_pair(annotator).items() if pid in pairs
        }
        if limit is not None:
            # --limit N: this session's work is the first N pairs still to judge.
            todo = [i for i in order if pairs.ids[i] not in self._judged][:limit]
            keep = set(todo)
            order = [i for i in order if i in keep]
        self.order = order
        #: The serving positions, for "is this position in scope" (a range already is one).
        self._scope = order if isinstance(order, range) else frozenset(order)
        self._bad_known: set[int] = set()
        self._bad_in_scope = 0
        self._seen_counts = (0, 0)
        self._done = self._count_done()
        self._cursor = self._first_unjudged(0)
        #: After a switch to a priority order (``adopt``), the pair on screen sits somewhere in
        #: the middle of it: the pair after it is then the first unjudged from the top. If it
        #: was skipped, ``_skipped_at`` holds its place, passed over until the order wraps.
        self._from_top = False
        self._skipped_at: int | None = None
        #: Set once ``pairs`` covers the whole file (see :meth:`index_rest`).
        self._indexed = threading.Event()
        if pairs.complete:
            self._indexed.set()
        # For the estimated total while indexing; read once here, not on every status paint
        # (the status bar is painted on each verdict, on the event loop).
        try:
            self._size_when_opened = pairs.path.stat().st_size
        except OSError:
            self._size_when_opened = pairs.scanned_bytes
        self._index_fraction = 0.0
        self._index_error: str | None = None
        self._indexer: threading.Thread | None = None
        self._handed_over: list[LoadIssue] = []
        #: Change notifications: late bad lines (``take_new_issues``) and the progress of
        #: indexing and checking a big file, told by the threads doing that work.
        self.events = SourceEvents()
        pairs.watch(self._index_news)

    def _index_news(self, what: str) -> None:
        """From the pairs index (see ``PairIndex.watch``): a late issue, or checking went on."""
        self.events.emit(SourceEvent.ISSUES if what == "issue" else SourceEvent.INDEXING)

    # -- queries ------------------------------------------------------------------------------

    def _pair_id(self, position: int) -> str:
        return self.pairs.ids[self.order[position]]

    def _usable(self, position: int) -> bool:
        """The record there is good: read (and validated) now if validation has not got there;
        one found bad is recorded as such and skipped from then on."""
        index = self.order[position]
        if self.pairs.is_bad(index) or self.pairs.is_rank(index):
            return False
        try:
            task = self.pairs.get(index)
        except BadPairError:
            return False
        return isinstance(task, Pair)

    def _first_unjudged(self, start: int) -> int | None:
        n = len(self.order)
        for step in range(n):
            pos = (start + step) % n
            if self._pair_id(pos) not in self._judged and self._usable(pos):
                return pos
        return None

    def _count_done(self) -> int:
        """Judged pairs in scope whose record is good (position() skips known-bad records)."""
        done = 0
        for pid in self._judged:
            index = self.pairs.position(pid)
            if index is not None and index in self._scope:
                done += 1
        return done

    def _refresh_bad(self) -> None:
        """Take records found bad (or found to be ranking tasks, served elsewhere) since the
        last look out of the totals (cheap when none)."""
        counts = (self.pairs.bad_count, self.pairs.rank_count)
        if counts == self._seen_counts:
            return
        self._seen_counts = counts
        new = (self.pairs.bad_positions() | self.pairs.rank_positions()) - self._bad_known
        self._bad_known |= new
        self._bad_in_scope += sum(1 for i in new if i in self._scope)
        if any(self.pairs.ids[i] in self._judged for i in new):
            # A verdict from an earlier session on a record now found bad: count again.
            self._done = self._count_done()

    def _view(self, position: int | None) -> PairView | None:
        if position is None or not self.order:
            return None
        pair = self.pairs.get(self.order[position])  # BadPairError: see _good_view
        return PairView(
            pair=pair,
            position=position,
            swapped=shown_swapped(self.annotator, pair.id),
            existing=self._judged.get(pair.id),
        )

    def _good_view(self) -> PairView | None:
        """The view at the cursor; a pair found bad only now (the file changed under us) is
        treated as skipped: the cursor moves on to the next pair to judge."""
        while True:
            try:
                return self._view(self._cursor)
            except BadPairError:
                assert self._cursor is not None
                self._cursor = self._next_after(self._cursor)

    def current(self) -> PairView | None:
        with self._lock:
            return self._good_view()

    def peek_next(self) -> PairView | None:
        with self._lock:
            while self._cursor is not None and self.order:
                try:
                    return self._view(self._next_after(self._cursor))
                except BadPairError:
                    continue  # now known bad: _next_after passes over it
            return None

    def _next_after(self, position: int) -> int | None:
        current_id = self._pair_id(position)
        n = len(self.order)
        for step in range(1, n + 1):
            pos = (position + step) % n
            pid = self._pair_id(pos)
            if pid not in self._judged and pid != current_id and self._usable(pos):
                return pos
        return None

    @property
    def finished(self) -> bool:
        return self._cursor is None

    def progress(self) -> Progress:
        with self._lock:
            self._refresh_bad()
            total = len(self.order) - self._bad_in_scope
            if not self._indexed.is_set():
                # Still on the head of a big file: estimate the total from the bytes so far.
                size = max(self._size_when_opened, 1)
                per_byte = len(self.pairs) / max(self.pairs.scanned_bytes, 1)
                return Progress(
                    done=self._done,
                    total=max(total, round(size * per_byte)),
                    sync=SyncState.LOCAL,
                    sync_detail=f"indexing file {self._index_fraction:.0%}",
                    estimated=True,
                )
            detail = ""
            if not self.pairs.validated:
                checked, records = self.pairs.validation_progress()
                # Shown in the status bar: the total may still drop as bad records turn up.
                detail = f"checking file {checked / max(records, 1):.0%}"
            return Progress(done=self._done, total=total, sync=SyncState.LOCAL, sync_detail=detail)

    # -- records found bad late -----------------------------------------------------------------

    # -- a big file opened on its head ----------------------------------------------------------

    @property
    def indexing(self) -> bool:
        """The source still works from the head of the file; the rest is being indexed."""
        return not self._indexed.is_set()

    @property
    def index_fraction(self) -> float:
        return 1.0 if self._indexed.is_set() else self._index_fraction

    def wait_indexed(self, timeout: float | None = None) -> bool:
        return self._indexed.wait(timeout)

    def index_rest(self, *, wait: bool = False) -> None:
        """Index the whole file in a thread and switch to it when done (``adopt``). The head
        index in use until then is exact for the records it has; only the total is a guess."""
        if self._indexed.is_set() or self._indexer is not None:
            if wait:
                self._indexed.wait()
            return

        def progress(done: int, total: int) -> None:
            before = int(self._index_fraction * 100)
            self._index_fraction = done / max(total, 1)
            if int(self._index_fraction * 100) != before:  # a percent on: say so, no more
                self.events.emit(SourceEvent.INDEXING)

        def run() -> None:
            try:
                full = index_pairs(self.pairs.path, validate="background", progress=progress)
            except RanktermError as exc:  # the file went away or became unreadable
                with self._lock:
                    self._index_error = str(exc)
                self._indexed.set()
                self.events.emit(SourceEvent.ISSUES)
                self.events.emit(SourceEvent.INDEXING)
                return
            self.adopt(full)

        self._indexer = threading.Thread(target=run, name="rankterm-index", daemon=True)
        self._indexer.start()
        if wait:
            self._indexed.wait()

    def adopt(self, full: PairIndex) -> None:
        """Switch from the head index to the whole file's: serving order, totals and the
        cursor are worked out again; the pair on screen stays the current one."""
        # The order and its set depend on the new index alone: built before taking the lock,
        # which the event loop needs for every verdict (a million-entry set takes ~0.1 s).
        order = full.serving_order()
        scope = order if isinstance(order, range) else frozenset(order)
        # Before the hand-over below: an issue found in between is then either handed over
        # or announced.
        full.watch(self._index_news)
        with self._lock:
            head = self.pairs
            current = self._pair_id(self._cursor) if self._cursor is not None else None
            self.pairs = full
            self._judged = {
                pid: j
                for pid, j in self.state.latest_by_pair(self.annotator).items()
                if pid in full
            }
            self.order = order
            self._scope = scope
            self._bad_known = set()
            self._bad_in_scope = 0
            self._seen_counts = (0, 0)
            self._done = self._count_done()
            self._cursor = None
            index = full.position(current) if current is not None else None
            if index is not None and current not in self._judged:
                self._cursor = index if isinstance(order, range) else order.index(index)
                self._from_top = not isinstance(order, range)
            if self._cursor is None:
                self._cursor = self._first_unjudged(0)
            # The head's bad lines were reported at open; hand out the rest of the scan's.
            known = {(i.line, i.reason) for i in head.issues}
            self._handed_over = [i for i in full.issues_so_far() if (i.line, i.reason) not in known]
            handed_over = bool(self._handed_over)
            self._indexed.set()
        head.close()
        if handed_over:
            self.events.emit(SourceEvent.ISSUES)
        self.events.emit(SourceEvent.INDEXING)

    @property
    def validated(self) -> bool:
        """True once every record has been checked (the issues are then complete)."""
        return self._indexed.is_set() and self.pairs.validated

    def validation_progress(self) -> tuple[int, int]:
        """(records checked, records), for a status line while checking goes on."""
        return self.pairs.validation_progress()

    def take_new_issues(self) -> list[LoadIssue]:
        """Bad lines found since the last call (or since ``open_local`` returned its issues):
        each is returned once. Thread-safe and never blocks on the validation; ``events``
        says when there are new ones (:attr:`SourceEvent.ISSUES`)."""
        with self._lock:
            handed, self._handed_over = self._handed_over, []
            if self._index_error is not None:
                handed.append(LoadIssue(self.pairs.shown, 0, self._index_error))
                self._index_error = None
            pairs = self.pairs
        return [*handed, *pairs.take_late_issues()]

    @property
    def issues(self) -> list[LoadIssue]:
        """Every bad line of the pairs file found so far (complete once ``validated``)."""
        return self.pairs.issues_so_far()

    def hurry_validation(self) -> None:
        self.pairs.hurry()

    def wait_validated(self, timeout: float | None = None) -> bool:
        return self.pairs.wait_validated(timeout)

    def take_notices(self) -> list[str]:
        """Nothing to tell beyond bad lines (see take_new_issues): no server, no leases."""
        return []

    @property
    def pending(self) -> int:
        """No server: a verdict is done once it is in the journal."""
        return 0

    @property
    def state(self) -> JournalState:
        return self.session.state

    @property
    def history(self) -> list[Judgment]:
        return list(self.session.history)

    def quality_inputs(self) -> tuple[list[Judgment], dict[str, Gold]]:
        with self._lock:
            judgments = self.state.active()
        gold: dict[str, Gold] = {}
        for pair_id in {j.pair_id for j in judgments}:
            if pair_id in self.pairs:
                try:
                    pair = self.pairs.by_id(pair_id)
                except BadPairError:
                    continue
                if isinstance(pair, Pair) and pair.gold is not None:
                    gold[pair_id] = pair.gold
        return judgments, gold

    def pair_metadata(self, pair_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Metadata of these pairs (the stats screen's production-monitor chart reads it)."""
        out: dict[str, dict[str, Any]] = {}
        for pair_id in pair_ids:
            if pair_id in self.pairs:
                try:
                    out[pair_id] = self.pairs.by_id(pair_id).metadata
                except BadPairError:
                    continue
        return out

    # -- changes ------------------------------------------------------------------------------

    def record(
        self, choice: Choice, strength: int | None, draft: Draft, duration_ms: int
    ) -> Judgment:
        with self._lock:
            if self._cursor is None:
                raise RuntimeError("no pair to judge")
            position = self._cursor
            try:
                view = self._view(position)
            except BadPairError as exc:
                # Never judge another pair than the one on screen: the next current() moves on.
                raise RanktermError(f"{exc.issue}; skipped, judge the next pair") from None
            assert view is not None
            judgment = build_judgment(
                view,
                annotator=self.annotator,
                choice=choice,
                strength=strength,
                draft=draft,
                duration_ms=duration_ms,
                guideline_version=self.guideline_version,
            )
            self.session.record(judgment, replaces=view.existing)  # fsynced before we move on
            if view.existing is None:
                self._done += 1
            self._judged[judgment.pair_id] = judgment
            self._cursor = self._after_verdict(position)
            return judgment

    def _after_verdict(self, position: int) -> int | None:
        n = len(self.order)
        if not self._from_top:
            return self._first_unjudged((position + 1) % n)
        nxt = self._first_unjudged(0)
        skipped = self._skipped_at
        if skipped is None or nxt == skipped:
            self._from_top, self._skipped_at = False, None
            if nxt == skipped:
                nxt = self._first_unjudged((skipped + 1) % n)
        return nxt

    def undo(self) -> Judgment | None:
        with self._lock:
            last = self.session.undo()
            if last is None:
                return None
            if self._judged.get(last.pair_id) is last:
                del self._judged[last.pair_id]
                self._done -= 1
            index = self.pairs.position(last.pair_id)
            if index is not None and index in self._scope:
                self._cursor = self.order.index(index)
            return last

    def skip(self) -> None:
        with self._lock:
            if self._cursor is not None and self.order:
                nxt = None
                if self._from_top and self._skipped_at is None:
                    # The pair shown when the priority order came in: the top pairs first.
                    self._skipped_at = self._cursor
                    nxt = self._first_unjudged(0)
                else:
                    self._from_top, self._skipped_at = False, None
                if nxt is None or nxt == self._cursor:
                    nxt = self._next_after(self._cursor)
                if nxt is not None:
                    self._cursor = nxt

    def move(self, delta: int) -> None:
        """``delta`` places back or forth in serving order (clamped to the ends), landing on
        the nearest good pair: further on when the one there is bad, else back towards where
        the cursor was."""
        with self._lock:
            self._from_top, self._skipped_at = False, None  # a place chosen by hand
            n = len(self.order)
            if not n:
                return
            if self._cursor is None:
                start, target = (n, n - 1) if delta < 0 else (-1, 0)
            else:
                start, target = self._cursor, max(0, min(n - 1, self._cursor + delta))
            step = -1 if target < start else 1
            ahead = range(target, n if step > 0 else -1, step)
            back = range(target - step, start, -step)
            for pos in itertools.chain(ahead, back):
                if self._usable(pos):
                    self._cursor = pos
                    return

    def close(self) -> None:
        self.session.close()
        self.pairs.close()


def open_local(
    pairs_path: Path,
    *,
    annotator: str,
    out: Path | None = None,
    guidelines_path: Path | None = None,
    limit: int | None = None,
    find_guidelines_beside: bool = True,
    progress=None,
) -> tuple[LocalSource, Guidelines, list[LoadIssue]]:
    """Open everything local mode needs, failing with a clear message before the TUI starts.

    Shared by the CLI and the tests, so that tests exercise exactly what users run.
    """
    # Small files: validate before the TUI starts, so every bad line is listed up front (it
    # costs tens of milliseconds). Big ones: index now, check records in the background; the
    # sidecar makes the next open warm either way (and carries the check's results).
    try:
        small = pairs_path.stat().st_size < EAGER_BELOW_BYTES
    except OSError:
        small = True  # index_pairs reports the problem
    # Big and never seen (no sidecar): start on an index of the first blocks, so the first pair
    # shows at once, and index the whole file in a thread (LocalSource.index_rest).
    head = None if small or limit is not None or not HEAD_RECORDS else HEAD_RECORDS
    index = index_pairs(
        pairs_path,
        progress=None if head else progress,
        validate="eager" if small else "background",
        head=head,
    )
    if not index.complete and (len(index) == 0 or not isinstance(index.serving_order(), range)):
        # Nothing valid in the head, or priorities to serve by: the whole index is needed.
        index.close()
        index = index_pairs(pairs_path, progress=progress, validate="background")
    if not index.validated and _nothing_valid(index):
        index.validate_all()
    if len(index) == index.bad_count:
        index.close()
        shown = "".join(f"\n  {issue}" for issue in index.issues[:10])
        raise UsageError(
            f"{display_path(pairs_path)}: no valid pairs to judge "
            f"({len(index.issues)} bad lines){shown}"
        )
    guide = find_guidelines(guidelines_path, pairs_path if find_guidelines_beside else None)
    try:
        journal = Journal.open(out or default_journal_path(pairs_path))
    except BaseException:
        index.close()
        raise
    source = LocalSource(index, journal, annotator, guideline_version=guide.version, limit=limit)
    if not index.complete:
        # Resuming past the head (every pair in it judged): wait for the whole index.
        source.index_rest(wait=source.current() is None)
    # Issues found so far; take_new_issues() hands out those found from now on.
    return source, guide, [*index.issues_so_far(), *source.journal_issues]


def _nothing_valid(index: PairIndex) -> bool:
    """True when no record of a background index is valid (checks until it finds one)."""
    return not any(True for _ in itertools.islice(index.iter_tasks(), 1))
