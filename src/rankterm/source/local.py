"""Local mode: pairs from a JSONL file, judgments to a JSONL journal beside it. No server."""

from __future__ import annotations

import threading
from pathlib import Path

from rankterm.errors import LoadIssue, UsageError, display_path
from rankterm.guidelines import Guidelines, find_guidelines
from rankterm.journal import Journal, JournalState, read_journal
from rankterm.model import Choice, Gold, Judgment, Retraction, shown_swapped
from rankterm.pairs import PairIndex, index_pairs
from rankterm.source.base import Draft, PairView, Progress, SyncState, build_judgment


def default_journal_path(pairs_path: Path) -> Path:
    """``<pairs stem>.judgments.jsonl`` beside the pairs file."""
    return pairs_path.with_name(f"{pairs_path.stem}.judgments.jsonl")


class LocalSource:
    """Serves pairs by priority then file order and journals every verdict durably.

    Serving state is a cursor over the serving order. A verdict advances to the next pair this
    annotator has not judged (wrapping around, so skipped pairs come back); previous / next
    visit any pair, and a verdict on an already judged pair retracts the old verdict first.
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
        self.journal = journal
        self.annotator = annotator
        self.guideline_version = guideline_version
        self.journal_issues: list[LoadIssue] = []
        self.state = JournalState()
        for entry in read_journal(journal.path, self.journal_issues):
            self.state.apply(entry)
        self._lock = threading.RLock()
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
        in_order = {pairs.ids[i] for i in order} if limit is not None else None
        self._done = sum(1 for pid in self._judged if in_order is None or pid in in_order)
        self._cursor = self._first_unjudged(0)
        #: Undo history: the judgments this annotator made, oldest first, in journal order.
        self._history: list[Judgment] = self.state.active(annotator)

    # -- queries ------------------------------------------------------------------------------

    def _pair_id(self, position: int) -> str:
        return self.pairs.ids[self.order[position]]

    def _first_unjudged(self, start: int) -> int | None:
        n = len(self.order)
        for step in range(n):
            pos = (start + step) % n
            if self._pair_id(pos) not in self._judged:
                return pos
        return None

    def _view(self, position: int | None) -> PairView | None:
        if position is None or not self.order:
            return None
        pair = self.pairs.get(self.order[position])
        return PairView(
            pair=pair,
            position=position,
            swapped=shown_swapped(self.annotator, pair.id),
            existing=self._judged.get(pair.id),
        )

    def current(self) -> PairView | None:
        with self._lock:
            return self._view(self._cursor)

    def peek_next(self) -> PairView | None:
        with self._lock:
            if self._cursor is None or not self.order:
                return None
            return self._view(self._next_after(self._cursor))

    def _next_after(self, position: int) -> int | None:
        current_id = self._pair_id(position)
        n = len(self.order)
        for step in range(1, n + 1):
            pos = (position + step) % n
            pid = self._pair_id(pos)
            if pid not in self._judged and pid != current_id:
                return pos
        return None

    @property
    def finished(self) -> bool:
        return self._cursor is None

    def progress(self) -> Progress:
        with self._lock:
            return Progress(done=self._done, total=len(self.order), sync=SyncState.LOCAL)

    @property
    def history(self) -> list[Judgment]:
        return list(self._history)

    def quality_inputs(self) -> tuple[list[Judgment], dict[str, Gold]]:
        with self._lock:
            judgments = self.state.active()
        gold: dict[str, Gold] = {}
        for pair_id in {j.pair_id for j in judgments}:
            if pair_id in self.pairs:
                pair = self.pairs.by_id(pair_id)
                if pair.gold is not None:
                    gold[pair_id] = pair.gold
        return judgments, gold

    # -- changes ------------------------------------------------------------------------------

    def record(
        self, choice: Choice, strength: int | None, draft: Draft, duration_ms: int
    ) -> Judgment:
        with self._lock:
            if self._cursor is None:
                raise RuntimeError("no pair to judge")
            position = self._cursor
            view = self._view(position)
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
            entries: list[Judgment | Retraction] = []
            if view.existing is not None:
                entries.append(self._retraction(view.existing))
            entries.append(judgment)
            self.journal.append_many(entries)  # fsynced before we move on
            for entry in entries:
                self.state.apply(entry)
            if view.existing is not None:
                self._history = [j for j in self._history if j.id != view.existing.id]
            self._history.append(judgment)
            if view.existing is None:
                self._done += 1
            self._judged[judgment.pair_id] = judgment
            self._cursor = self._first_unjudged((position + 1) % len(self.order))
            return judgment

    def _retraction(self, judgment: Judgment) -> Retraction:
        return Retraction(retracts=judgment.id, pair_id=judgment.pair_id, annotator=self.annotator)

    def undo(self) -> Judgment | None:
        with self._lock:
            if not self._history:
                return None
            last = self._history[-1]
            retraction = self._retraction(last)
            self.journal.append(retraction)
            self.state.apply(retraction)
            self._history.pop()
            if self._judged.get(last.pair_id) is last:
                del self._judged[last.pair_id]
                self._done -= 1
            if last.pair_id in self.pairs:
                index = self.pairs.position(last.pair_id)
                if index in self.order:
                    self._cursor = self.order.index(index)
            return last

    def skip(self) -> None:
        with self._lock:
            if self._cursor is not None and self.order:
                nxt = self._next_after(self._cursor)
                if nxt is not None:
                    self._cursor = nxt

    def move(self, delta: int) -> None:
        with self._lock:
            if not self.order:
                return
            if self._cursor is None:
                self._cursor = len(self.order) - 1 if delta < 0 else 0
                return
            self._cursor = max(0, min(len(self.order) - 1, self._cursor + delta))

    def close(self) -> None:
        self.journal.close()
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
    index = index_pairs(pairs_path, progress=progress)
    if len(index) == 0:
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
    return source, guide, [*index.issues, *source.journal_issues]
