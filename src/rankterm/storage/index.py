"""Pairs files: a compact byte-offset index over JSONL, so huge files open fast and stay small.

The index keeps only what ordering and resuming need (offset, length, line, id, priority); a
full :class:`~rankterm.core.model.Pair` is parsed from disk when it is about to be shown.

Why it is built the way it is (a million 1.5 KB records is the design point):

- One pass reads the file in large blocks and splits lines in C. A line whose first key is a
  plain string ``id`` and which names no ``priority`` gives its id without a JSON parse; any
  other line is parsed with orjson, and anything unusual goes to the model for the verdict.
- Ids live in one UTF-8 blob with an array of end offsets, and lookups by id go through a
  sorted array of ``crc32 << 32 | position`` keys: about 50 bytes a pair instead of the ~200
  of ``str`` objects, a dict and per-pair arrays.
- Validation against the model costs ~10 µs a line. ``validate="eager"`` (the default) does it
  before :func:`index_pairs` returns, so ``issues`` is complete. ``validate="background"``
  does it in a thread, so a TUI can show the first pair at once; ``PairIndex.on_validated``
  and ``PairIndex.validate_all`` give the complete list of bad lines, and
  ``PairIndex.take_late_issues`` the ones found since the last call. Once validation is
  complete, both modes agree exactly: same pairs, same issues, same order. For that, the quick
  id is only trusted when it must be the model's id (no second ``"id"`` key, no escaped ASCII
  letter that could spell one), and duplicate ids are decided in file order among *valid*
  records, as the eager scan does: a later record with the quick id of an earlier one stays
  in the index as a suspect until the earlier ones are known valid or not.
- Files of ``CACHE_MIN_BYTES`` and more get a sidecar under the user cache dir, keyed by path,
  size, mtime, ctime and inode, holding the index and the validation results. The next open
  memory-maps it: milliseconds and a few MB, whatever the size of the file.
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Literal

from rankterm.core.errors import LoadIssue, display_path
from rankterm.core.model import Pair, RankTask, Task
from rankterm.storage import sidecar
from rankterm.storage.scan import (
    LOW,
    Columns,
    PairsFileError,
    ProgressCallback,
    encode,
    parse_task_line,
    scan,
)
from rankterm.storage.sidecar import identity, read_sidecar, sidecar_path, write_sidecar

Validate = Literal["eager", "background"]


class BadPairError(ValueError):
    """A record turned out invalid when read (background validation, or the file changed)."""

    def __init__(self, issue: LoadIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


class IdList(Sequence[str]):
    """The ids in file order, decoded from the blob on access (no per-id objects kept)."""

    __slots__ = ("_index",)

    def __init__(self, index: PairIndex) -> None:
        self._index = index

    def __len__(self) -> int:
        return len(self._index._cols)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("pair index out of range")
        return self._index._cols.id_bytes(i).decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self[i]

    def __contains__(self, pair_id: object) -> bool:
        return self._index.position(pair_id) is not None  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = ", ".join(repr(x) for x in islice(self, 5))
        return f"IdList([{head}{', ...' if len(self) > 5 else ''}], n={len(self)})"


class PairIndex:
    """Random access to the valid records of one pairs file, in file order.

    With background validation, records found invalid after :func:`index_pairs` returned stay
    in the index (positions never shift under a running session); :meth:`is_bad` says which,
    and :meth:`get` raises :class:`BadPairError` for them. So do later records whose id turns
    out to repeat the id of an earlier valid one: :meth:`get` settles that before it returns.
    """

    def __init__(self, path: Path, *, cache_size: int = 64, max_issues: int = 10_000) -> None:
        self.path = path
        self.shown = display_path(path)
        self._cols = Columns()
        self.ids = IdList(self)
        self.issues: list[LoadIssue] = []
        self._issue_count = 0
        self._max_issues = max_issues
        self._bad: dict[int, str] = {}
        self._cache: OrderedDict[int, Task] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._validated = threading.Event()
        self._checked = 0
        self._listeners: list[Callable[[list[LoadIssue]], None]] = []
        #: See :meth:`watch`: told of late issues and of validation's progress.
        self._watchers: list[Callable[[str], None]] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._sidecar: Path | None = None
        self._sidecar_key: dict | None = None
        #: Background mode: position -> first position with the same indexed id. Kept in the
        #: index until validation (or ``get``) knows whether an earlier one is valid.
        self._suspects: dict[int, int] = {}
        self._groups: dict[int, list[int]] = {}
        self._late: list[LoadIssue] = []
        self._late_dropped = 0
        self._pace = True

    @property
    def complete(self) -> bool:
        """False for a head index: records beyond ``scanned_bytes`` were not looked at."""
        return self._cols.complete

    @property
    def scanned_bytes(self) -> int:
        return self._cols.scanned_bytes

    # -- columns kept for callers of the old attributes ---------------------------------------

    @property
    def offsets(self) -> Sequence[int]:
        return self._cols.offsets

    @property
    def lengths(self) -> Sequence[int]:
        return self._cols.lengths

    @property
    def line_numbers(self) -> Sequence[int]:
        return self._cols.lines

    # -- access -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._cols)

    def __contains__(self, pair_id: object) -> bool:
        return self.position(pair_id) is not None  # type: ignore[arg-type]

    def position(self, pair_id: str) -> int | None:
        """Index of a pair id in file order, or None when the file has no such pair."""
        if not isinstance(pair_id, str):
            return None
        raw = encode(pair_id)
        crc = zlib.crc32(raw)
        cols = self._cols
        keys = cols.keys
        j = bisect_left(keys, crc << 32)
        while j < len(keys):
            key = keys[j]
            if key >> 32 != crc:
                break
            pos = key & LOW
            if pos not in self._bad and cols.id_bytes(pos) == raw:
                return pos  # the first one not known bad (a duplicate's first may be invalid)
            j += 1
        return None

    def get(self, i: int) -> Task:
        """The i-th record (a pair or a K-way ranking task), read and validated from disk on
        demand (thread-safe, small LRU).

        Raises BadPairError when the record is invalid (found by background validation or
        now), or no longer the record that was indexed because the file changed.
        """
        if i < 0:
            i += len(self)
        with self._lock:
            cached = self._cache.get(i)
            if cached is not None:
                self._cache.move_to_end(i)
                return cached
            if i in self._bad:
                raise BadPairError(self._issue_at(i, self._bad[i]))
        raw = self._read(i)
        try:
            pair = self._check(i, raw)
        except ValueError as exc:
            raise BadPairError(self._mark_bad(i, str(exc))) from None
        if i in self._suspects:
            reason = self._duplicate_reason(i)
            if reason is not None:
                raise BadPairError(self._mark_bad(i, reason))
        with self._lock:
            self._cache[i] = pair
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return pair

    def _read(self, i: int) -> bytes:
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY)
            return os.pread(self._fd, self._cols.lengths[i], self._cols.offsets[i])

    def _known_valid(self, k: int) -> bool:
        """Whether record k is valid, checking it now when validation has not reached it."""
        if k in self._bad:
            return False
        if k < self._checked:
            return True
        try:
            self._check(k, self._read(k))
        except ValueError as exc:
            self._mark_bad(k, str(exc))
            return False
        return True

    def _duplicate_reason(self, i: int) -> str | None:
        """For a valid suspect: the eager scan's duplicate message when an earlier record with
        its id is valid (the first such one is the one named), else None: it is kept."""
        first = self._suspects[i]
        for k in (first, *self._groups.get(first, ())):
            if k >= i:
                break
            if self._known_valid(k):
                pid = self._cols.id_bytes(i).decode("utf-8", "surrogatepass")
                return f"duplicate id {pid!r} (first seen on line {self._cols.lines[k]})"
        return None

    def _check(self, i: int, raw: bytes) -> Task:
        pair = parse_task_line(raw)
        cols = self._cols
        priority = cols.priorities[i] if len(cols.priorities) else 0.0
        if encode(pair.id) != cols.id_bytes(i) or float(pair.priority) != priority:
            raise ValueError(
                "id or priority differ from the indexed ones "
                "(a duplicate key in the record, or the file changed while open)"
            )
        if isinstance(pair, RankTask):
            cols.ranks.add(i)
        return pair

    def by_id(self, pair_id: str) -> Task:
        pos = self.position(pair_id)
        if pos is None:
            raise KeyError(pair_id)
        return self.get(pos)

    def serving_order(self) -> Sequence[int]:
        """Indices by priority (highest first), then file order: the order pairs are served.

        A ``range`` when no pair has a priority (constant memory for a million pairs), else
        an ``array('q')``; both support ``len``, indexing, ``in`` and ``.index``.
        """
        order = self._cols.order
        if order is None:
            return range(len(self))
        out = array("q")
        out.frombytes(memoryview(order).cast("B"))
        return out

    def iter_pairs(self) -> Iterator[Pair]:
        """Every valid pair in file order (skipping, and reporting, any found invalid now).

        Pairs only: K-way ranking tasks are left out (:meth:`iter_tasks` has both), so a
        reader of pairs never meets a record it cannot use."""
        for task in self.iter_tasks():
            if isinstance(task, Pair):
                yield task

    def iter_tasks(self) -> Iterator[Task]:
        """Every valid record in file order, pairs and K-way ranking tasks alike."""
        for i in range(len(self)):
            try:
                yield self.get(i)
            except BadPairError:
                continue

    def rank_positions(self) -> frozenset[int]:
        """Positions of the K-way ranking tasks known so far (all of them once validated),
        bad ones left out."""
        with self._lock:
            return frozenset(self._cols.ranks - self._bad.keys())

    @property
    def rank_count(self) -> int:
        """How many positions are known to hold ranking tasks (a cheap "anything new?")."""
        return len(self._cols.ranks)

    def is_rank(self, i: int) -> bool:
        """Whether position i is known to hold a K-way ranking task."""
        return i in self._cols.ranks

    def is_bad(self, i: int) -> bool:
        """True when the record at position i was found invalid after indexing."""
        return i in self._bad

    def bad_positions(self) -> frozenset[int]:
        """Positions found invalid after indexing (background validation, or ``get``)."""
        with self._lock:
            return frozenset(self._bad)

    # -- validation ---------------------------------------------------------------------------

    @property
    def validated(self) -> bool:
        """True once every record has been checked against the model; ``issues`` is final."""
        return self._validated.is_set()

    def validation_progress(self) -> tuple[int, int]:
        """(records checked, records) for a progress display."""
        return (len(self) if self.validated else self._checked), len(self)

    def wait_validated(self, timeout: float | None = None) -> bool:
        return self._validated.wait(timeout)

    def validate_all(self) -> list[LoadIssue]:
        """The complete list of bad lines: waits for background validation, or runs it here."""
        self._pace = False
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        if not self.validated:  # never started, or stopped by close()
            self._stop.clear()
            self._validate(pace=False)
        return list(self.issues)

    def hurry(self) -> None:
        """Let background validation run flat out (no UI left to leave the GIL to)."""
        self._pace = False

    @property
    def bad_count(self) -> int:
        """How many positions are known bad (a cheap test for "anything new?")."""
        return len(self._bad)

    def issues_so_far(self) -> list[LoadIssue]:
        """The issues found until now; :meth:`take_late_issues` then returns only later ones."""
        with self._lock:
            self._late, self._late_dropped = [], 0
            return list(self.issues)

    def take_late_issues(self) -> list[LoadIssue]:
        """Issues found after :func:`index_pairs` returned (by background validation, or by
        ``get`` on a changed file) and not yet taken: each is returned once. Thread-safe, never
        blocks on validation."""
        with self._lock:
            taken, self._late = self._late, []
            dropped, self._late_dropped = self._late_dropped, 0
        if dropped:
            taken.append(LoadIssue(self.shown, 0, f"... and {dropped} more bad lines"))
        return taken

    def on_validated(self, callback: Callable[[list[LoadIssue]], None]) -> None:
        """Call ``callback(issues)`` once validation is complete: now if it already is,
        otherwise from the validating thread (so a UI must hop threads, e.g. with
        ``App.call_from_thread``). The callback must not raise."""
        with self._lock:
            if not self.validated:
                self._listeners.append(callback)
                return
        callback(list(self.issues))

    def watch(self, callback: Callable[[str], None]) -> None:
        """Call ``callback("issue")`` whenever a record is found bad after :func:`index_pairs`
        returned (``take_late_issues`` has it), and ``callback("progress")`` as background
        validation advances (each percent) and when it completes: so a UI is told, instead of
        asking. Called from the thread that noticed (the validating one, or a ``get``'s
        caller) without the index's lock held; it must not block or raise."""
        self._watchers.append(callback)

    def _tell(self, what: str) -> None:
        for callback in list(self._watchers):
            callback(what)

    def _report(self, line: int, reason: str) -> LoadIssue:
        """Count an issue; ``issues`` ends up with the ``max_issues`` lowest lines, whatever
        order they were found in (so both validation modes keep the same ones)."""
        issue = LoadIssue(self.shown, line, reason)
        self._issue_count += 1
        self.issues.append(issue)
        if len(self.issues) >= 2 * self._max_issues:
            self.issues[:] = self._lowest()
        return issue

    def _lowest(self) -> list[LoadIssue]:
        by_line = sorted((x for x in self.issues if x.line), key=lambda x: x.line)
        return by_line[: self._max_issues]

    def _issue_at(self, i: int, reason: str) -> LoadIssue:
        return LoadIssue(self.shown, self._cols.lines[i], reason)

    def _mark_bad(self, i: int, reason: str) -> LoadIssue:
        with self._lock:
            if i in self._bad:
                return self._issue_at(i, reason)
            self._bad[i] = reason
            issue = self._report(self._cols.lines[i], reason)
            if len(self._late) < self._max_issues:
                self._late.append(issue)
            else:
                self._late_dropped += 1
        if self._watchers:
            self._tell("issue")
        return issue

    def _finish_issues(self) -> None:
        with self._lock:
            kept = self._lowest()
            if self._issue_count > len(kept):
                more = self._issue_count - len(kept)
                kept.append(LoadIssue(self.shown, 0, f"... and {more} more bad lines"))
            self.issues[:] = kept  # one atomic swap: readers never see a half-sorted list

    def _validate(self, *, pace: bool) -> None:
        """Check every record against the model, in file order (so a duplicate id is decided
        against the first *valid* record, as the eager scan does); pace=True leaves the GIL to
        a UI often, until :meth:`hurry`."""
        cols = self._cols
        suspects = self._suspects
        self._pace = self._pace and pace
        fd = os.open(self.path, os.O_RDONLY)
        step = max(1, len(cols) // 100)
        told = self._checked
        try:
            started = time.perf_counter()
            for i in range(self._checked, len(cols)):  # those before were checked by a thread
                if self._stop.is_set():
                    return
                if i not in self._bad:
                    raw = os.pread(fd, cols.lengths[i], cols.offsets[i])
                    try:
                        self._check(i, raw)
                    except ValueError as exc:
                        self._mark_bad(i, str(exc))
                    else:
                        if i in suspects:
                            reason = self._duplicate_reason(i)
                            if reason is not None:
                                self._mark_bad(i, reason)
                self._checked = i + 1
                if i - told >= step and self._watchers:
                    told = i
                    self._tell("progress")
                if self._pace and not i & 15 and time.perf_counter() - started > 0.004:
                    time.sleep(0.002)
                    started = time.perf_counter()
        finally:
            os.close(fd)
        self._finish_issues()
        self._save_sidecar(validated=True)
        with self._lock:
            self._validated.set()
            listeners, self._listeners = self._listeners, []
        for callback in listeners:
            callback(list(self.issues))
        if self._watchers:
            self._tell("progress")

    def _background(self, save_first: bool) -> None:
        if save_first:
            self._save_sidecar(validated=False)
        self._validate(pace=True)

    # -- the sidecar --------------------------------------------------------------------------

    def _save_sidecar(self, *, validated: bool) -> None:
        """Write the index (without records found bad) for the next open; best effort."""
        if self._sidecar is None or self._sidecar_key is None:
            return
        if validated:
            # Every suspect is settled (kept, or bad as a duplicate): what is left is exactly
            # what an eager scan keeps.
            cols = self._cols.without(set(self._bad)) if self._bad else self._cols
            suspects: list[list[int]] = []
        else:  # written before validation starts: nothing is bad yet
            cols = self._cols
            suspects = [[later, first] for later, first in sorted(self._suspects.items())]
        header = {
            "key": self._sidecar_key,
            "validated": validated,
            "issues": [[x.line, x.reason] for x in self.issues if x.line],
            "issue_count": self._issue_count,
            "suspects": suspects,
            "ranks": sorted(cols.ranks),
        }
        write_sidecar(self._sidecar, header, cols)

    # -- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop background validation (finishing a sidecar write in progress) and the file."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> PairIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def summary(self) -> str:
        """``40 pairs loaded, 2 lines skipped`` — the line shown after loading."""
        text = f"{len(self)} pairs loaded from {self.shown}"
        if self._issue_count:
            count = self._issue_count
            text += f", {count} bad line{'s' if count != 1 else ''} skipped"
        if not self.validated:
            text += " (checking the rest in the background)"
        return text


def index_pairs(
    path: Path | str,
    *,
    progress: ProgressCallback | None = None,
    max_issues: int = 10_000,
    validate: Validate = "eager",
    cache: bool = True,
    head: int | None = None,
) -> PairIndex:
    """Index a JSONL pairs file, collecting bad lines as ``file:line: reason``.

    ``head=N``: when no sidecar describes the file, index (and validate, eagerly) only its
    first blocks, at least ``N`` records: ``PairIndex.complete`` is then False and the rest of
    the file is not looked at. That puts a first pair on screen at once while the whole file
    is indexed in a thread (``rankterm.sources.local``). A fresh sidecar gives the whole index
    as usual.

    ``validate="eager"``: every record is checked against the model before this returns, so
    ``issues`` is complete. ``validate="background"``: lines that are not even JSON are
    reported now, the model check runs in a daemon thread; see ``PairIndex.on_validated``.
    Either way, a file of ``CACHE_MIN_BYTES`` or more leaves a sidecar that makes the next
    open of the unchanged file near-instant, validation results included.

    Duplicate ids are reported and the later record skipped: a judgment names its pair by id,
    so two records with one id would make the journal ambiguous. Only valid records count: a
    record repeating the id of an invalid one is kept. In background mode the later record
    stays in the index until that is known, then is marked bad (``is_bad``) if it is a
    duplicate; once validation is complete the good records, the issues and the order are
    exactly the eager ones.
    """
    path = Path(path)
    shown = display_path(path)
    if not path.exists():
        raise PairsFileError(f"{shown}: no such file")
    if path.is_dir():
        raise PairsFileError(f"{shown}: is a directory, expected a JSONL file of pairs")
    try:
        st = path.stat()
    except OSError as exc:
        raise PairsFileError(f"{shown}: cannot read ({exc.strerror})") from None
    index = PairIndex(path, max_issues=max_issues)
    if cache and st.st_size >= sidecar.CACHE_MIN_BYTES:
        index._sidecar = sidecar_path(path)
        index._sidecar_key = identity(path, st)
        loaded = read_sidecar(index._sidecar, index._sidecar_key)
        if loaded is not None and _set_suspects(index, loaded[1]["suspects"], len(loaded[0])):
            cols, header = loaded
            cols.ranks = set(header.get("ranks", ()))
            index._cols = cols
            index.issues = [LoadIssue(shown, line, reason) for line, reason in header["issues"]]
            index._issue_count = header["issue_count"]
            if progress is not None:
                progress(st.st_size, st.st_size)
            if header["validated"]:
                index._finish_issues()
                index._validated.set()
            else:
                _start_validation(index, validate, save_first=False)
            return index
    if head is not None:
        validate = "eager"  # a head is small: check it all now, so it is exact
    eager = validate == "eager"
    cols = scan(path, exact=eager, report=index._report, progress=progress, head=head)
    duplicates = cols.duplicates()
    if eager:  # exact ids of valid records: the later ones are duplicates for sure
        for later, first in duplicates:
            pid = cols.id_bytes(later).decode("utf-8", "surrogatepass")
            reason = f"duplicate id {pid!r} (first seen on line {cols.lines[first]})"
            index._report(cols.lines[later], reason)
        index._cols = cols.without({later for later, _ in duplicates}) if duplicates else cols
    else:  # the first may turn out invalid: validation decides, in file order
        index._cols = cols
        _set_suspects(index, duplicates, len(cols))
    if progress is not None:
        progress(st.st_size, st.st_size)
    if validate == "eager":
        index._finish_issues()
        index._validated.set()
        if cols.complete:
            index._save_sidecar(validated=True)
    else:
        _start_validation(index, validate, save_first=True)
    return index


def _set_suspects(index: PairIndex, pairs: Sequence[Sequence[int]], n: int) -> bool:
    """Record (later, first) positions sharing an indexed id; False when they make no sense."""
    suspects: dict[int, int] = {}
    groups: dict[int, list[int]] = {}
    for item in pairs:
        if len(item) != 2 or not all(type(x) is int and 0 <= x < n for x in item):
            return False
        later, first = item
        if first >= later:
            return False
        suspects[later] = first
        groups.setdefault(first, []).append(later)
    for laters in groups.values():
        laters.sort()
    index._suspects, index._groups = suspects, groups
    return True


def _start_validation(index: PairIndex, validate: Validate, *, save_first: bool) -> None:
    if validate == "eager":
        index._validate(pace=False)
        return
    index._thread = threading.Thread(
        target=index._background, args=(save_first,), name="rankterm-validate", daemon=True
    )
    index._thread.start()
