"""One journaled session: the rule "nothing judged is ever lost", written once.

Every source (local, remote) and every adjudication desk keeps its verdicts the same way: the
journal is replayed at open, a record is appended and fsynced before the caller moves on (so
before the next pair is shown), a new verdict on a judged pair retracts the old one in the same
durable write, undo is a retraction of the latest standing verdict, and, when a server is the
destination, what it has not acknowledged is the outbox, resent until acked (the server
deduplicates on each record's UUID, so a resend never duplicates).

Sources keep their own serving order and cursor; this class holds only what must not be lost.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence

from rankterm.core import wire
from rankterm.core.errors import LoadIssue
from rankterm.core.model import Ack, Judgment, Ranking, Resolution, Retraction
from rankterm.storage.journal import Journal, JournalEntry, JournalState, read_journal

#: What a session can have waiting for the server's acknowledgement. A finished K-way
#: :class:`Ranking` goes out whole (its comparisons inside it); a comparison never goes alone.
Outgoing = Judgment | Retraction | Resolution | Ranking


class JournaledSession:
    """The journal of one author, its replayed state, undo history and (optionally) outbox.

    ``author`` is the annotator (or adjudicator) whose verdicts this session records.
    ``state`` seeds the replay (an adjudicator's desk starts from the annotators' journals);
    the journal's own records are applied on top. ``resume_history`` makes the verdicts of
    earlier sessions undoable (local mode) rather than only this session's (remote mode, where
    a verdict is tied to a lease of this session). ``outbox`` keeps the unacknowledged records
    of ``outbox_kinds`` for delivery.

    Every method takes :attr:`lock` (re-entrant: a source may hold it around a call).
    """

    def __init__(
        self,
        journal: Journal,
        author: str,
        *,
        state: JournalState | None = None,
        resume_history: bool = False,
        outbox: bool = False,
        issues: list[LoadIssue] | None = None,
    ) -> None:
        self.journal = journal
        self.author = author
        #: Bad lines found replaying the journal (reported, never fatal).
        self.issues: list[LoadIssue] = [] if issues is None else issues
        self.state = state if state is not None else JournalState()
        for entry in read_journal(journal.path, self.issues):
            self.state.apply(entry)
        self.lock = threading.RLock()
        self.outbox = outbox
        #: Records not yet acknowledged by the server, by id (empty without an outbox).
        self.pending: dict[uuid.UUID, Outgoing] = {}
        if outbox:
            self.pending = {r.id: r for r in self.state.unacked()}
            self.pending.update(
                (r.id, r) for r in self.state.resolutions if r.id not in self.state.acks
            )
        #: The server's refusals (kept in the journal and reported, never dropped).
        self.rejected: list[Ack] = [a for a in self.state.acks.values() if a.status == "rejected"]
        #: Undo history: this author's standing verdicts, oldest first, in journal order.
        self.history: list[Judgment] = self.state.active(author) if resume_history else []

    # -- verdicts -----------------------------------------------------------------------------

    def retraction(self, judgment: Judgment) -> Retraction:
        return Retraction(retracts=judgment.id, pair_id=judgment.pair_id, annotator=self.author)

    def record(self, judgment: Judgment, replaces: Judgment | None = None) -> None:
        """Durably record ``judgment`` (and the retraction of ``replaces``, the author's
        standing verdict on that pair, in the same fsynced write); returns once on disk."""
        with self.lock:
            entries: list[Judgment | Retraction] = []
            if replaces is not None:
                entries.append(self.retraction(replaces))
            entries.append(judgment)
            self.journal.append_many(entries)  # fsynced before the caller moves on
            self._applied(entries)
            if replaces is not None:
                self.history = [j for j in self.history if j.id != replaces.id]
            self.history.append(judgment)

    def undo(self) -> Judgment | None:
        """Retract the latest verdict in the undo history (durably) and return it."""
        with self.lock:
            if not self.history:
                return None
            last = self.history[-1]
            retraction = self.retraction(last)
            self.journal.append(retraction)
            self._applied([retraction])
            self.history.pop()
            return last

    def append(self, entry: JournalEntry) -> None:
        """Durably record any other record (a resolution, a comment)."""
        with self.lock:
            self.journal.append(entry)
            self._applied([entry])

    def append_many(self, entries: Sequence[JournalEntry]) -> None:
        """Durably record several records with one write and one fsync (a ranking's
        comparison with the retractions it implies, and the order it completes). A crash
        mid-write can only cut the tail off, whole records first: put what the others
        depend on last."""
        with self.lock:
            self.journal.append_many(entries)
            self._applied(entries)

    def _applied(self, entries: Iterable[JournalEntry]) -> None:
        for entry in entries:
            self.state.apply(entry)
            if self.outbox and isinstance(entry, Outgoing):
                self.pending[entry.id] = entry

    # -- the outbox ---------------------------------------------------------------------------

    def unsent(self) -> tuple[list[Judgment], list[Retraction], list[Resolution]]:
        """What the server has not acknowledged, by kind (judgments before their retractions)."""
        with self.lock:
            records = list(self.pending.values())
        return (
            [r for r in records if isinstance(r, Judgment)],
            [r for r in records if isinstance(r, Retraction)],
            [r for r in records if isinstance(r, Resolution)],
        )

    def pending_judgments(self) -> int:
        with self.lock:
            return sum(1 for r in self.pending.values() if isinstance(r, Judgment))

    def acknowledge(self, acks: Sequence[Ack]) -> None:
        """Journal the server's acks (so a restart does not resend) and take them out of the
        outbox; refusals are kept in :attr:`rejected`."""
        if not acks:
            return
        self.journal.append_many(acks)
        with self.lock:
            for ack in acks:
                self.state.apply(ack)
                self.pending.pop(ack.judgment_id, None)
                if ack.status == "rejected":
                    self.rejected.append(ack)

    # -- the outbox of K-way rankings (remote mode) ----------------------------------------------

    def restore_ranking_outbox(self) -> None:
        """After the replay at open: finished rankings the server has not acknowledged join the
        outbox. (A comparison and its undo stay local: the server gets the comparisons inside
        their ranking, so their retractions are never sent; see :meth:`unsent_outgoing`.)"""
        if not self.outbox:
            return
        with self.lock:
            for ranking in self.state.rankings.values():
                if ranking.id not in self.state.acks:
                    self.pending[ranking.id] = ranking

    def unsent_outgoing(
        self,
    ) -> tuple[list[Judgment], list[wire.RankingSubmission], list[Retraction], list[Resolution]]:
        """What the server has not acknowledged, by kind, in the order to send it: judgments,
        rankings (each with the comparisons it names, from the journal), then retractions.

        Retractions of comparisons leave the outbox here, unsent: the server never held those
        comparisons on their own (an undone comparison is simply not in its ranking)."""
        with self.lock:
            comparisons = self.state.comparisons
            for rid in [
                rid
                for rid, r in self.pending.items()
                if isinstance(r, Retraction) and r.retracts in comparisons
            ]:
                del self.pending[rid]
            records = list(self.pending.values())
            rankings = [
                wire.RankingSubmission(
                    **r.model_dump(),
                    steps=[comparisons[c] for c in r.comparisons if c in comparisons],
                )
                for r in records
                if isinstance(r, Ranking)
            ]
        return (
            [r for r in records if isinstance(r, Judgment)],
            rankings,
            [r for r in records if isinstance(r, Retraction)],
            [r for r in records if isinstance(r, Resolution)],
        )

    def pending_verdicts(self) -> int:
        """Judgments and finished rankings not yet acknowledged."""
        with self.lock:
            return sum(1 for r in self.pending.values() if isinstance(r, Judgment | Ranking))

    def close(self) -> None:
        self.journal.close()
