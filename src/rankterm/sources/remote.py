"""Remote mode: pairs leased from the task server, judgments through the local journal.

The journal is the outbox. A verdict is fsynced locally first, exactly as in local mode, and a
background thread delivers unacknowledged records in batches and journals the server's acks, so
a dead server, a dropped connection or a crash never costs a judgment and a resend never
duplicates one (the server deduplicates on the judgment's UUID). The thread also leases ahead,
so the next pair is always on hand, and renews leases while the annotator works.

Leased pairs are cached beside the journal, so a restart while the server is down can carry on
with what was already leased.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from pathlib import Path

import orjson

from rankterm.core import wire
from rankterm.core.errors import LoadIssue, RanktermError
from rankterm.core.model import Ack, Choice, Gold, Judgment, Ranking, RankTask
from rankterm.guidelines import Guidelines, normalize_version
from rankterm.sources.base import (
    Draft,
    PairView,
    Progress,
    SourceEvent,
    SourceEvents,
    SyncState,
    build_judgment,
)
from rankterm.sources.client import (
    LeasedItem,
    ServerUnavailable,
    TaskClient,
    TaskServerError,
    display_url,
)
from rankterm.sources.session import JournaledSession
from rankterm.storage.journal import Journal, JournalState
from rankterm.storage.private_files import private_dir, write_private


def queue_path(journal_path: Path) -> Path:
    return journal_path.with_name(journal_path.name + ".leases.json")


class RemoteSource:
    """A :class:`~rankterm.sources.base.TaskSource` backed by the task server."""

    def __init__(
        self,
        client: TaskClient,
        journal: Journal,
        annotator: str,
        *,
        batch_size: int = 20,
        tick_seconds: float = 2.0,
        renew_seconds: float = 60.0,
    ) -> None:
        self.client = client
        #: Journal, replayed state, this session's undo history and the outbox (whatever the
        #: server has not acknowledged): the rule "nothing judged is lost" lives there.
        self.session = JournaledSession(journal, annotator, outbox=True)
        self.session.restore_ranking_outbox()
        self.journal = journal
        self.annotator = annotator
        #: The project's per-criterion verdicts (the annotation screen's key v).
        self.criteria: list[str] = []
        self.guideline_version: str | None = None
        self.batch_size = batch_size
        self.tick_seconds = tick_seconds
        self.renew_seconds = renew_seconds
        self.journal_issues: list[LoadIssue] = self.session.issues
        self._lock = self.session.lock
        judged_now = self.state.latest_by_pair(annotator)
        cached, saved_at = self._load_queue()
        #: Everything shown this session, in order; the cursor points into it. A cached lease
        #: whose pair was judged after the cache was written was judged on it (a crash came
        #: between the verdict and the next rewrite); one judged before is a blind repeat.
        self.items: list[LeasedItem] = [
            item
            for item in cached
            if not isinstance(item.pair, RankTask)
            and (
                item.pair.id not in judged_now
                or judged_now[item.pair.id].created_at.timestamp() < saved_at
            )
        ]
        #: Leased K-way ranking tasks, kept apart from the pairwise queue (the ranking screen
        #: works on them; see :meth:`rank_leases`), with the same crash rule as pairs.
        ranked_now = {r.pair_id: r for r in self.state.active_rankings(annotator)}
        self.rank_items: list[LeasedItem] = [
            item
            for item in cached
            if isinstance(item.pair, RankTask)
            and (
                item.pair.id not in ranked_now
                or ranked_now[item.pair.id].created_at.timestamp() < saved_at
            )
        ]
        #: Ranking leases finished (their ranking journaled) this session.
        self._ranked: dict[uuid.UUID, Ranking] = {}
        #: This session's verdicts by lease, not by pair: a blind repeat is a second lease on a
        #: pair already judged, and must be shown (without the first verdict) and judged anew.
        self._judged: dict[uuid.UUID, Judgment] = {}
        self._lease_of: dict[uuid.UUID, uuid.UUID] = {}  # judgment id -> its lease
        #: Leases the server said are gone (a renewal answered expired, released...): their
        #: pairs are no longer served, renewed or cached; the annotator is told (notices).
        self._lost: set[uuid.UUID] = set()
        #: Lost ranking leases whose task the annotator had started (comparisons journaled, no
        #: ranking yet): still served, so the work can be finished and sent (see _renew).
        self._kept: set[uuid.UUID] = set()
        #: Messages for the annotator, handed out once by take_notices().
        self._notices: list[str] = []
        self._cursor: int | None = 0 if self.items else None
        self.sync = SyncState.SYNCING
        self.detail = "connecting"
        self.exhausted = False
        self._exhausted_at = 0.0
        self._server_judged: int | None = None
        self._server_total: int | None = None
        self._session_done = 0
        self._session_done_at_fetch = 0
        self._lease_key: str | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        #: Set once the sync thread has made its first pass (leased, or failed to): the CLI
        #: waits for it to know whether ranking tasks come first.
        self.first_pass = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rankterm-sync", daemon=True)
        #: Change notifications: the sync thread says when what the status line shows
        #: changed, and when there is news for the annotator (``take_notices``).
        self.events = SourceEvents()
        self._last_seen: tuple[Progress, int] | None = None

    # -- lease cache ----------------------------------------------------------------------------

    def _load_queue(self) -> tuple[list[LeasedItem], float]:
        """The cached leases and when the cache was written (epoch seconds)."""
        path = queue_path(self.journal.path)
        try:
            saved_at = path.stat().st_mtime
            data = orjson.loads(path.read_bytes())
            return [LeasedItem.model_validate(item) for item in data], saved_at
        except (OSError, ValueError):
            return [], 0.0

    def _save_queue(self) -> None:
        """Atomically rewrite the cache of leased, unjudged pairs (tmp file + rename); a kept
        ranking task (lease lost, comparisons made) too: after a restart it is told again."""
        with self._lock:
            todo = [i.model_dump(mode="json") for i in self._on_hand() + self.rank_leases()]
        path = queue_path(self.journal.path)
        with contextlib.suppress(OSError):
            write_private(path, orjson.dumps(todo))  # pair text: private, like the journal

    # -- the TaskSource protocol ----------------------------------------------------------------

    def start(self) -> RemoteSource:
        self._thread.start()
        return self

    def _view(self, position: int | None) -> PairView | None:
        if position is None or position >= len(self.items):
            return None
        item = self.items[position]
        return PairView(
            pair=item.pair,
            position=position,
            swapped=item.shown_swapped,
            existing=self._judged.get(item.lease_id),
        )

    def current(self) -> PairView | None:
        with self._lock:
            if self._cursor is None:
                self._cursor = self._first_unjudged(0)
            return self._view(self._cursor)

    def _open(self, item: LeasedItem) -> bool:
        """Still to judge under a live lease: not judged this session, lease not lost."""
        return item.lease_id not in self._judged and item.lease_id not in self._lost

    def _on_hand(self) -> list[LeasedItem]:
        """Leased items not yet judged this session, leases alive (call with the lock held)."""
        return [i for i in self.items if self._open(i)]

    def _first_unjudged(self, start: int) -> int | None:
        for pos in range(start, len(self.items)):
            if self._open(self.items[pos]):
                return pos
        for pos in range(0, min(start, len(self.items))):
            if self._open(self.items[pos]):
                return pos
        return None

    def _lost_on_screen(self) -> LeasedItem | None:
        """The item on screen when its lease is gone and it is not judged yet (lock held)."""
        if self._cursor is None or self._cursor >= len(self.items):
            return None
        item = self.items[self._cursor]
        if item.lease_id in self._lost and item.lease_id not in self._judged:
            return item
        return None

    def take_notices(self) -> list[str]:
        """Leases lost and verdicts refused since the last call, each told once."""
        with self._lock:
            notices, self._notices = self._notices, []
        return notices

    def peek_next(self) -> PairView | None:
        with self._lock:
            if self._cursor is None:
                return None
            current_id = self.items[self._cursor].pair.id
            for pos in range(self._cursor + 1, len(self.items)):
                item = self.items[pos]
                if self._open(item) and item.pair.id != current_id:
                    return self._view(pos)
            return None

    def record(
        self, choice: Choice, strength: int | None, draft: Draft, duration_ms: int
    ) -> Judgment:
        with self._lock:
            view = self._view(self._cursor)
            if view is None:
                raise RuntimeError("no pair to judge")
            # Refused before it is journaled: the server would refuse it, a label lost.
            problem = wire.verdict_problem(
                rationale=draft.rationale,
                ideal_response=draft.ideal_response,
                tags=draft.tags,
                criteria=draft.criteria,
            )
            if problem is not None:
                raise RanktermError(problem)
            judgment = build_judgment(
                view,
                annotator=self.annotator,
                choice=choice,
                strength=strength,
                draft=draft,
                duration_ms=duration_ms,
                guideline_version=self.guideline_version,
            )
            self.session.record(judgment, replaces=view.existing)  # durable before moving on
            if view.existing is not None:
                self._lease_of.pop(view.existing.id, None)
            else:
                self._session_done += 1
            lease_id = self.items[view.position].lease_id
            self._judged[lease_id] = judgment
            self._lease_of[judgment.id] = lease_id
            self._cursor = self._first_unjudged(view.position + 1)
        self._wake.set()
        return judgment

    def undo(self) -> Judgment | None:
        with self._lock:
            last = self.session.undo()
            if last is None:
                return None
            lease_id = self._lease_of.pop(last.id, None)
            self._judged.pop(lease_id, None)
            self._session_done -= 1
            for pos, item in enumerate(self.items):
                if item.lease_id == lease_id:
                    self._cursor = pos
                    break
        self._wake.set()
        return last

    def skip(self) -> None:
        with self._lock:
            if self._cursor is None:
                return
            item = self.items.pop(self._cursor)
            self.items.append(item)  # comes back after the rest of the batch
            self._cursor = self._first_unjudged(self._cursor)

    def move(self, delta: int) -> None:
        with self._lock:
            if not self.items:
                return
            if self._cursor is None:
                self._cursor = len(self.items) - 1 if delta < 0 else 0
                return
            self._cursor = max(0, min(len(self.items) - 1, self._cursor + delta))

    def progress(self) -> Progress:
        with self._lock:
            pending = self.session.pending_verdicts()
            on_hand = len(self._on_hand())
            if self._server_judged is None:  # offline since start: count this session only
                done = self._session_done
                total = done + on_hand
            else:
                done = self._server_judged + self._session_done - self._session_done_at_fetch
                total = max(self._server_total or 0, done + on_hand)
            detail = self.detail
            sync = self.sync
            if sync is SyncState.SYNCED and pending:
                # A verdict made since the sync thread's last pass: not on the server yet.
                sync = SyncState.SYNCING
            if self.rejected:
                detail = f"{len(self.rejected)} rejected (kept in journal) {detail}".strip()
            if self._lost_on_screen() is not None:
                detail = f"lease on this pair ran out: a verdict may be refused {detail}".strip()
            return Progress(
                done=done,
                total=max(total, done),
                pending_sync=pending,
                sync=sync,
                sync_detail=detail,
                waiting=self._cursor is None and not self.exhausted,
                rejected=len(self.rejected),
            )

    # -- K-way ranking tasks ----------------------------------------------------------------------

    def rank_leases(self) -> list[LeasedItem]:
        """Leased ranking tasks still to rank this session, in lease order: what a ranking
        screen works through. Its comparisons are journaled through :attr:`session`
        (``append_many``: fsynced one by one, never sent alone); the finished
        :class:`Ranking` goes to the server with them (see :meth:`finish_ranking`).

        Leases alive, plus the kept ones: a lost lease on a task the annotator had started
        (see :meth:`_renew`), unless the task has been leased again (the live lease serves)."""
        with self._lock:
            live = self._live_rank_leases()
            leased = {i.pair.id for i in live}
            live_ids = {i.lease_id for i in live}
            out: list[LeasedItem] = []
            for i in self.rank_items:
                kept = (
                    i.lease_id in self._kept
                    and i.lease_id not in self._ranked
                    and i.pair.id not in leased
                )
                if i.lease_id in live_ids or kept:
                    if kept:
                        leased.add(i.pair.id)  # two lost leases on one task: served once
                    out.append(i)
            return out

    def _live_rank_leases(self) -> list[LeasedItem]:
        """Ranking leases not finished and not lost (lock held): what is renewed, released."""
        return [
            i
            for i in self.rank_items
            if i.lease_id not in self._ranked and i.lease_id not in self._lost
        ]

    def rank_task(self, task_id: str) -> RankTask | None:
        """A ranking task leased this session and not finished, its lease alive or not: the
        task on screen stays there when its lease is lost (as a pair does), so the answer to
        the question shown is never taken for another task's."""
        with self._lock:
            items = [i for i in self.rank_items if i.pair.id == task_id]
            items.sort(key=lambda i: i.lease_id in self._lost)  # a live lease first
            for item in items:
                if item.lease_id not in self._ranked and isinstance(item.pair, RankTask):
                    return item.pair
            return None

    def _open_comparisons(self, task_id: str) -> int:
        """The annotator's standing comparisons of ``task_id`` in no finished ranking (lock
        held): work journaled but not yet sent (the server takes comparisons only inside
        their ranking)."""
        state = self.state
        closed = {r.ranking_id for r in state.active_rankings(self.annotator)}
        return sum(
            1
            for c in state.comparisons.values()
            if c.pair_id == task_id
            and c.annotator == self.annotator
            and c.id not in state.retracted
            and c.ranking_id not in closed
        )

    def ranked_this_session(self) -> int:
        """Ranking leases finished (their ranking journaled) this session."""
        with self._lock:
            return len(self._ranked)

    def finish_ranking(self, ranking: Ranking) -> None:
        """Note that ``ranking`` (already journaled through :attr:`session`, with its last
        comparison) closes its task's lease: the task leaves :meth:`rank_leases`, the sync
        thread sends the ranking with its comparisons."""
        with self._lock:
            # The live lease of the task when there is one (the task may have been leased
            # again after an earlier lease on it was lost), else the kept or lost one.
            items = [
                i
                for i in self.rank_items
                if i.pair.id == ranking.pair_id and i.lease_id not in self._ranked
            ]
            items.sort(key=lambda i: i.lease_id in self._lost)
            if items:
                self._ranked[items[0].lease_id] = ranking
                self._session_done += 1
            for item in items[1:]:  # other lost leases on the task: nothing left to serve
                self._kept.discard(item.lease_id)
        self._save_queue()
        self._wake.set()

    # -- the rest of the TaskSource protocol: no input file to index or check --------------

    @property
    def pending(self) -> int:
        """Verdicts (judgments, finished rankings) journaled but not yet acknowledged."""
        return self.session.pending_verdicts()

    @property
    def issues(self) -> list[LoadIssue]:
        return []

    def take_new_issues(self) -> list[LoadIssue]:
        return []

    indexing = False
    index_fraction = 1.0
    validated = True

    def wait_indexed(self, timeout: float | None = None) -> bool:
        return True

    def validation_progress(self) -> tuple[int, int]:
        return (0, 0)

    def hurry_validation(self) -> None:
        pass

    def wait_validated(self, timeout: float | None = None) -> bool:
        return True

    @property
    def state(self) -> JournalState:
        return self.session.state

    @property
    def rejected(self) -> list[Ack]:
        """The server's refusals (kept in the journal and reported, never dropped)."""
        return self.session.rejected

    @property
    def history(self) -> list[Judgment]:
        return list(self.session.history)

    def quality_inputs(self) -> tuple[list[Judgment], dict[str, Gold]]:
        """Annotators are blind to each other: only this annotator's own journal."""
        with self._lock:
            return self.state.active(self.annotator), {}

    def close(self, flush_seconds: float = 3.0) -> None:
        """Stop syncing: one last delivery attempt, release unjudged leases, close the journal."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=flush_seconds + 10)
        deadline = time.monotonic() + flush_seconds
        with contextlib.suppress(TaskServerError, OSError):
            if self.session.pending and time.monotonic() < deadline:
                self._deliver()
            with self._lock:
                unjudged = [i.lease_id for i in self._on_hand() + self._live_rank_leases()]
            self._save_queue()
            if unjudged and time.monotonic() < deadline:
                self.client.release(unjudged)
                queue_path(self.journal.path).unlink(missing_ok=True)
        self.client.close()
        self.session.close()

    # -- the sync thread ------------------------------------------------------------------------

    def _announce(self) -> None:
        """Tell the UI what changed since the last call (from the sync thread, no lock held):
        the status line's state, counts or the pairs on hand, and notices waiting."""
        seen = (self.progress(), len(self.items))
        if seen != self._last_seen:
            self._last_seen = seen
            self.events.emit(SourceEvent.SYNC)
        with self._lock:
            news = bool(self._notices)
        if news:
            self.events.emit(SourceEvent.NOTICES)

    def _run(self) -> None:
        backoff = 0.5
        last_renew = time.monotonic()
        last_progress = 0.0
        while not self._stop.is_set():
            try:
                self._deliver()
                self._refill()
                now = time.monotonic()
                if now - last_renew >= self.renew_seconds:
                    self._renew()
                    last_renew = now
                if now - last_progress >= 10 or self._server_judged is None:
                    self._fetch_progress()
                    last_progress = now
                with self._lock:
                    self.sync = SyncState.SYNCING if self.session.pending else SyncState.SYNCED
                    self.detail = ""
                backoff = 0.5
                wait = min(self.tick_seconds, self.renew_seconds)
            except ServerUnavailable:
                with self._lock:
                    self.sync = SyncState.OFFLINE
                    self.detail = "server unreachable; retrying"
                wait = backoff
                backoff = min(backoff * 2, 10.0)
            except TaskServerError as exc:
                with self._lock:
                    self.sync = SyncState.OFFLINE
                    self.detail = _short(str(exc))
                wait = backoff
                backoff = min(backoff * 2, 10.0)
            except Exception as exc:  # keep syncing whatever one response looked like
                with self._lock:
                    self.sync = SyncState.OFFLINE
                    self.detail = _short(f"{type(exc).__name__}: {exc}")
                wait = backoff
                backoff = min(backoff * 2, 10.0)
            self._announce()
            self.first_pass.set()
            self._wake.wait(wait)
            self._wake.clear()

    def _deliver(self) -> None:
        judgments, rankings, retractions, _ = self.session.unsent_outgoing()
        if not judgments and not rankings and not retractions:
            return
        with self._lock:
            if self.sync is not SyncState.OFFLINE:  # offline stays offline until a call succeeds
                self.sync = SyncState.SYNCING
        self._announce()
        acks = self.client.submit(judgments) if judgments else []
        acks += self.client.submit_rankings(rankings) if rankings else []
        # Retractions after their judgments, so the server sees them in order.
        acks += self.client.retract(retractions) if retractions else []
        self.session.acknowledge(acks)
        refused = [a for a in acks if a.status == "rejected"]
        if refused:
            with self._lock:
                for ack in refused:
                    record = self.state.judgments.get(ack.judgment_id)
                    ranked = self.state.rankings.get(ack.judgment_id)
                    what = f"your verdict on pair {record.pair_id}" if record else "a record"
                    if ranked is not None:
                        what = f"your ranking of {ranked.pair_id}"
                    self._notices.append(
                        f"The server refused {what}: {ack.reason}. "
                        "It stays in your journal and is listed when you quit."
                    )

    def _refill(self) -> None:
        with self._lock:
            # Ranking tasks on hand count too: else a project of mostly rankings would be
            # leased whole, a batch a tick, while the pairwise queue stays short.
            on_hand = len(self._on_hand()) + len(self.rank_leases())
            if self.exhausted and time.monotonic() - self._exhausted_at < 30:
                return
        if on_hand > self.batch_size // 2:
            return
        # The key outlives a failed call: if the server made leases but the answer was lost,
        # the next tick's request is a resend and gets those leases, not more.
        if self._lease_key is None:
            self._lease_key = str(uuid.uuid4())
        batch = self.client.lease(self.batch_size, key=self._lease_key)
        self._lease_key = None
        with self._lock:
            # A replayed lease request returns leases already on hand; and a pair on hand,
            # unjudged, is not taken twice. A lease on a pair judged earlier (a blind repeat) is.
            leases = {i.lease_id for i in self.items + self.rank_items}
            # A kept task (lease lost, started) leased again is taken: the new lease serves it.
            waiting = {i.pair.id for i in self._on_hand() + self._live_rank_leases()}
            fresh = [
                i for i in batch.leases if i.lease_id not in leases and i.pair.id not in waiting
            ]
            self.items.extend(i for i in fresh if not isinstance(i.pair, RankTask))
            self.rank_items.extend(i for i in fresh if isinstance(i.pair, RankTask))
            if batch.guideline_version:  # an older server sends 64 bare hex digits
                self.guideline_version = normalize_version(batch.guideline_version)
            self.exhausted = batch.exhausted and not fresh
            self._exhausted_at = time.monotonic()
        if fresh:
            self._save_queue()

    def _renew(self) -> None:
        """Renew the leases of pairs still to judge. A lease the server no longer holds for
        us (it ran out, reached its maximum age, or was reclaimed) is taken off the queue; if
        its pair is on screen the annotator is told, since a verdict on it may be refused
        (it is still journaled and sent: the server takes it while the pair has a free slot)."""
        with self._lock:
            ids = [i.lease_id for i in self._on_hand() + self._live_rank_leases()]
        if not ids:
            return
        statuses = self.client.renew(ids)
        gone = {s.lease_id for s in statuses if s.status in wire.LEASE_GONE}
        if not gone:
            return
        with self._lock:
            self._lost |= gone
            shown = self._lost_on_screen()
            if shown is not None and shown.lease_id in gone:
                self._notices.append(
                    f"Your lease on pair {shown.pair.id} has run out: the server may give it to "
                    "someone else. A verdict on it is still saved and sent, but may be refused; "
                    "skip it to move on."
                )
            pairs_gone = {i.lease_id for i in self.items} & gone
            unseen = len(pairs_gone) - (1 if shown is not None and shown.lease_id in gone else 0)
            if unseen:
                self._notices.append(
                    f"{unseen} leased pair(s) ran out before you reached them and were taken "
                    "off your queue."
                )
            self._lose_rankings([i for i in self.rank_items if i.lease_id in gone])
        self._save_queue()

    def _lose_rankings(self, lost: list[LeasedItem]) -> None:
        """Ranking leases the server no longer holds for us (lock held). A task with
        comparisons journaled is kept and named: its comparisons stay in the journal (the
        server takes them only inside a finished ranking), and a ranking finished anyway is
        saved and sent with them, and told if refused. An untouched one leaves the queue
        (the task on screen stays until the person moves on: see :meth:`rank_task`)."""
        untouched = 0
        for item in lost:
            made = self._open_comparisons(item.pair.id)
            if not made:
                untouched += 1
                continue
            self._kept.add(item.lease_id)
            self._notices.append(
                f"Your lease on ranking task {item.pair.id} has run out after {made} "
                "comparison(s): the server may give it to someone else. Your comparisons stay "
                "in your journal; finish the ranking and it is saved and sent with them, but "
                "may be refused (you will be told). Skip it to move on; it stays unsent."
            )
        if untouched:
            self._notices.append(
                f"{untouched} leased ranking task(s) ran out before you compared anything in "
                "them and were taken off your queue."
            )

    def _fetch_progress(self) -> None:
        with self._lock:
            done_before = self._session_done
            pending_before = self.session.pending_verdicts()
        data = self.client.progress()
        with self._lock:
            # The server counts what it has acked; verdicts still pending are counted on top,
            # and verdicts made since the request are added as they happen.
            self._server_judged = max(0, int(data.get("judged", 0))) + pending_before
            self._session_done_at_fetch = done_before
            self._server_total = int(data.get("total_pairs", 0)) or None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until everything journaled has been acknowledged (tests, ``sync``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self.session.pending:
                    return True
            self._wake.set()
            time.sleep(0.05)
        return False


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def default_remote_journal(server: str, project: str, annotator: str) -> Path:
    """One journal per (server, project, annotator) under the platformdirs data dir."""
    import platformdirs

    from rankterm.guidelines import slug

    home = platformdirs.user_data_path("rankterm")
    folder = private_dir(home / "journals", owned=home)
    tail = f"--{slug(project)}--{slug(annotator) or 'annotator'}.jsonl"
    # The file name leaves out any user name and password in the URL (file names get shown),
    # unless a journal already lives under the old name: its verdicts must not be orphaned.
    name = f"{slug(display_url(server).split('://', 1)[-1].removeprefix('***@')) or 'server'}{tail}"
    legacy = folder / f"{slug(server.split('://', 1)[-1]) or 'server'}{tail}"
    if legacy.name != name and legacy.exists():
        return legacy
    return folder / name


def _project_settings(client: TaskClient, journal_path: Path, *, online: bool) -> dict:
    """The project's criteria and lease TTL, from the server, or from the copy kept beside the
    journal when starting offline (the annotator must see the same dialog either way)."""
    cache = journal_path.with_name(journal_path.name + ".project.json")
    if online:
        with contextlib.suppress(TaskServerError):
            info = client.project_info()
            settings = {
                "criteria": [str(c) for c in info.get("criteria") or []],
                "lease_ttl": info.get("lease_ttl"),
            }
            with contextlib.suppress(OSError):
                write_private(cache, orjson.dumps(settings))
            return settings
    with contextlib.suppress(OSError, orjson.JSONDecodeError, AttributeError, TypeError):
        cached = orjson.loads(cache.read_bytes())
        return {
            "criteria": [str(c) for c in cached.get("criteria") or []],
            "lease_ttl": cached.get("lease_ttl"),
        }
    return {"criteria": [], "lease_ttl": None}


def renew_interval(lease_ttl: object, default: float = 60.0) -> float:
    """How often to renew leases: a third of the project's TTL, at most ``default``.

    A fixed minute lost every lease of a project whose TTL is shorter than that while the
    annotator was still reading. A third leaves room for one renewal to fail or arrive late.
    """
    if isinstance(lease_ttl, int | float) and lease_ttl > 0:
        return min(default, lease_ttl / 3)
    return default


def open_remote(
    server: str,
    project: str,
    token: str,
    *,
    annotator: str,
    out: Path | None = None,
    batch_size: int = 20,
    guidelines_path: Path | None = None,
) -> tuple[RemoteSource, Guidelines, list[LoadIssue]]:
    """Connect (or start offline from the cache), open the outbox journal, start syncing."""
    from rankterm.guidelines import EMPTY, content_version, load_guidelines, parse_guidelines
    from rankterm.sources.client import RetryPolicy

    client = TaskClient(server, project, token, retry=RetryPolicy(attempts=2), timeout=10.0)
    who = annotator
    guide: Guidelines = EMPTY
    online_error = ""
    try:
        who = str(client.me().get("name") or annotator)
    except TaskServerError as exc:
        online_error = str(exc)
        if getattr(exc, "status", None) in (401, 403, 404):
            client.close()
            raise
    path = out or default_remote_journal(server, project, who)
    cache = path.with_name(path.name + ".guidelines.md")
    if guidelines_path is not None:
        guide = load_guidelines(guidelines_path)
    elif not online_error:
        with contextlib.suppress(TaskServerError):
            text = str(client.guidelines().get("content") or "")
            if text:
                with contextlib.suppress(OSError):
                    write_private(cache, text.encode("utf-8"))
    if guidelines_path is None and cache.exists():
        data = cache.read_bytes()
        guide = parse_guidelines(data.decode("utf-8", "replace"), version=content_version(data))
    try:
        journal = Journal.open(path)
    except BaseException:
        client.close()
        raise
    source = RemoteSource(client, journal, who, batch_size=batch_size)
    settings = _project_settings(client, path, online=not online_error)
    source.criteria = settings["criteria"]
    source.renew_seconds = renew_interval(settings["lease_ttl"])
    if guide.version != "none":
        source.guideline_version = guide.version
    if online_error:
        source.sync = SyncState.OFFLINE
        source.detail = "server unreachable; working from cached leases"
    return source.start(), guide, list(source.journal_issues)
