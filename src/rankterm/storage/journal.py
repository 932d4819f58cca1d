"""The journal: an append-only JSONL file of judgments, retractions, resolutions and acks.

It is the durable record of everything a person decided. Each append is written with one
``write`` and fsynced before it returns, so a verdict that the UI has moved past is on disk.
Nothing is ever rewritten in place: undo appends a :class:`~rankterm.core.model.Retraction`, and in
remote mode the server's receipts are appended as :class:`~rankterm.core.model.Ack` records, which
makes the same file the outbox.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from pydantic import TypeAdapter, ValidationError

from rankterm.core.errors import LoadIssue, RanktermError, describe_validation_error, display_path
from rankterm.core.exits import ExitCode
from rankterm.core.model import (
    Ack,
    Comment,
    Comparison,
    JournalEntry,
    Judgment,
    Ranking,
    Resolution,
    Retraction,
)
from rankterm.storage.no_links import open_nofollow

_ENTRY = TypeAdapter(JournalEntry)

#: Refuse to start a session with less free space than this: fail before the first verdict.
MIN_FREE_BYTES = 1 << 20


class JournalError(RanktermError):
    """The journal cannot be opened or written."""


class JournalLocked(JournalError):
    """Another process has the journal open for writing."""

    exit_code = ExitCode.JOURNAL_IN_USE


class JournalRefused(JournalError):
    """The path names something rankterm must not append to: a link, another user's file, a
    file that is not a journal. A usage problem (exit 2): the person picks another path."""

    exit_code = ExitCode.USAGE


#: Journals hold verdicts and rationales: private to their owner (blinding on a shared host).
JOURNAL_MODE = 0o600


def encode(entry: JournalEntry) -> bytes:
    """One journal line, newline included."""
    return orjson.dumps(entry.model_dump(mode="json")) + b"\n"


def decode(raw: bytes | str | dict) -> JournalEntry:
    """Parse one journal line or dict; records without ``kind`` are judgments (schema 0)."""
    data = orjson.loads(raw) if isinstance(raw, bytes | str) else raw
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    data.setdefault("kind", "judgment")
    # Every record carries its own id and time: filling them in on read would give the same
    # line a new identity on every replay, so retractions and acks could never name it.
    missing = [name for name in ("id", "created_at") if name not in data]
    if missing:
        raise ValueError(f"{', '.join(missing)}: missing (journal records carry their own)")
    return _ENTRY.validate_python(data)


class Journal:
    """An open, exclusively locked journal file that appends durably."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        # The UI thread appends verdicts while the sync thread appends acks.
        self._write_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str) -> Journal:
        """Open (creating if needed) and lock a journal, checking it can really be written.

        Problems a person can fix (read-only directory, full disk, another rankterm on the same
        file) are raised here as :class:`JournalError`, before any verdict is made.
        """
        path = Path(path)
        shown = display_path(path)
        if not path.parent.exists():
            raise JournalError(f"{shown}: directory {display_path(path.parent)} does not exist")
        created = not os.path.lexists(path)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
        try:
            # No link followed: a link planted where a journal is expected (a shared folder)
            # must not make rankterm append JSON into whatever it points at.
            fd = open_nofollow(
                path,
                flags,
                JOURNAL_MODE,
                refused=JournalRefused,
                hint="pass --out with the real path, or remove the link",
            )
        except OSError as exc:
            raise JournalError(
                f"{shown}: cannot open journal for writing ({exc.strerror})"
            ) from None
        try:
            _check_ownership(fd, shown)
        except BaseException:
            os.close(fd)
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JournalLocked(
                f"{shown} is open in another rankterm process; close that one first, "
                "or pass --out to write a separate journal"
            ) from None
        journal = cls(path, fd)
        try:
            journal._preflight(created)
        except BaseException:
            journal.close()
            raise
        return journal

    def _preflight(self, created: bool) -> None:
        shown = display_path(self.path)
        stats = os.fstatvfs(self._fd)
        if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
            raise JournalError(f"{shown}: the disk is full (less than 1 MiB free)")
        size = os.fstat(self._fd).st_size
        if size and not created:
            _check_is_journal(self._fd, shown)
        if size:
            last = os.pread(self._fd, 1, size - 1)
            if last != b"\n":
                # A crash tore the last line. End it, so the next record starts on its own line;
                # the torn fragment is then reported and ignored by replay.
                self._write(b"\n")
        if created:
            # The new directory entry must survive a crash too, not only the file's contents.
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            self._write_locked(data)

    def _write_locked(self, data: bytes) -> None:
        start = os.fstat(self._fd).st_size
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)
        except OSError as exc:
            # A short write (disk full mid-record) would leave a fragment that the next record
            # lands on: cut the file back so the journal stays one whole record per line.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
                os.fsync(self._fd)
            reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror
            raise JournalError(f"{display_path(self.path)}: could not save ({reason})") from None

    def append(self, entry: JournalEntry) -> None:
        """Append one record and fsync: when this returns, the record survives a crash."""
        self._write(encode(entry))

    def append_many(self, entries: Iterable[JournalEntry]) -> None:
        """Append several records with one write and one fsync."""
        data = b"".join(encode(e) for e in entries)
        if data:
            self._write(data)

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def close(self) -> None:
        if self._fd >= 0:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_ownership(fd: int, shown: str) -> None:
    """Refuse what is not the user's own regular file: appending verdicts into another
    person's file (or a device, a FIFO) is never what was meant."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise JournalRefused(f"{shown} is not a regular file; pass --out with a journal path")
    if info.st_uid != os.geteuid():
        raise JournalRefused(
            f"{shown} belongs to another user (uid {info.st_uid}); rankterm only appends to "
            "your own journal. Pass --out with a path of yours"
        )


def _check_is_journal(fd: int, shown: str) -> None:
    """An existing, non-empty file must already hold a journal record: otherwise --out (or
    the default path) names some other file -- the pairs file, a config, a shell rc -- and
    verdicts would be appended into it. Reads up to the first valid record (line 1 of any
    real journal)."""
    with os.fdopen(os.dup(fd), "rb") as handle:
        handle.seek(0)
        blank = True
        for raw in handle:
            if not raw.strip():
                continue
            blank = False
            try:
                decode(raw)
            except (ValueError, ValidationError):  # orjson.JSONDecodeError is a ValueError
                continue
            return
    if blank:
        return
    raise JournalRefused(
        f"{shown} exists but holds no journal record; rankterm will not append verdicts to "
        "it. Pass --out with a new file or an existing journal"
    )


def read_journal(path: Path | str, issues: list[LoadIssue] | None = None) -> Iterator[JournalEntry]:
    """Every valid record of a journal in order; bad or torn lines go to ``issues``.

    A missing file reads as empty: a session that has not judged anything has no journal yet.
    """
    path = Path(path)
    if not path.exists():
        return
    shown = display_path(path)
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield decode(raw)
            except orjson.JSONDecodeError as exc:
                torn = "" if raw.endswith(b"\n") else " (torn write, ignored)"
                if issues is not None:
                    issues.append(LoadIssue(shown, line_no, f"invalid JSON ({exc.msg}){torn}"))
            except ValidationError as exc:
                if issues is not None:
                    issues.append(LoadIssue(shown, line_no, describe_validation_error(exc)))
            except ValueError as exc:
                if issues is not None:
                    issues.append(LoadIssue(shown, line_no, str(exc)))


@dataclass
class JournalState:
    """What a journal says once replayed: which judgments stand, which were undone, acks."""

    judgments: dict[uuid.UUID, Judgment] = field(default_factory=dict)
    retracted: set[uuid.UUID] = field(default_factory=set)
    retractions: list[Retraction] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    acks: dict[uuid.UUID, Ack] = field(default_factory=dict)
    #: K-way ranking: each comparison as made (fsynced one by one) and each finished order.
    comparisons: dict[uuid.UUID, Comparison] = field(default_factory=dict)
    rankings: dict[uuid.UUID, Ranking] = field(default_factory=dict)

    def apply(self, entry: JournalEntry) -> None:
        """Fold one record in; the same function serves replay and live updates."""
        match entry:
            case Judgment():
                self.judgments.setdefault(entry.id, entry)
            case Comparison():
                self.comparisons.setdefault(entry.id, entry)
            case Ranking():
                self.rankings.setdefault(entry.id, entry)
            case Retraction():
                self.retracted.add(entry.retracts)
                self.retractions.append(entry)
            case Resolution():
                self.resolutions.append(entry)
            case Comment():
                self.comments.append(entry)
            case Ack():
                self.acks[entry.judgment_id] = entry

    def active(self, annotator: str | None = None) -> list[Judgment]:
        """Judgments not retracted, in journal order, optionally for one annotator."""
        return [
            j
            for j in self.judgments.values()
            if j.id not in self.retracted and (annotator is None or j.annotator == annotator)
        ]

    def active_rankings(self, annotator: str | None = None) -> list[Ranking]:
        """Finished rankings not retracted, in journal order, optionally for one annotator."""
        return [
            r
            for r in self.rankings.values()
            if r.id not in self.retracted and (annotator is None or r.annotator == annotator)
        ]

    def open_comparisons(self, ranking_id: uuid.UUID) -> list[Comparison]:
        """The standing comparisons of one ranking attempt, in the order they were made."""
        return [
            c
            for c in self.comparisons.values()
            if c.ranking_id == ranking_id and c.id not in self.retracted
        ]

    def latest_by_pair(self, annotator: str | None = None) -> dict[str, Judgment]:
        """The standing judgment per pair (the latest one if a pair was re-judged)."""
        return {j.pair_id: j for j in self.active(annotator)}

    def unacked(self) -> list[Judgment | Retraction]:
        """Outbox: judgments and retractions the server has not acknowledged yet."""
        pending: list[Judgment | Retraction] = [
            j for j in self.judgments.values() if j.id not in self.acks
        ]
        pending += [r for r in self.retractions if r.id not in self.acks]
        return pending

    def latest_resolutions(self) -> dict[str, Resolution]:
        """The adjudicated label of record per pair (the latest resolution wins)."""
        return {r.pair_id: r for r in self.resolutions}


def replay(entries: Iterable[JournalEntry]) -> JournalState:
    """Build a :class:`JournalState` from records in journal order."""
    state = JournalState()
    for entry in entries:
        state.apply(entry)
    return state


def load_journals(
    paths: Iterable[Path | str], issues: list[LoadIssue] | None = None
) -> JournalState:
    """Replay several journals (e.g. one per annotator) into one state; ids dedupe overlaps."""
    state = JournalState()
    for path in paths:
        for entry in read_journal(path, issues):
            state.apply(entry)
    return state
