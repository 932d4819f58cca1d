"""Pairs files: a byte-offset index over JSONL, so huge files open fast and stay small in memory.

The index keeps only what ordering and resuming need (offset, id, priority); a full
:class:`~rankterm.model.Pair` is parsed from disk when it is about to be shown. Every line is
still validated once while indexing, so that bad records are reported up front as
``file:line: reason`` and never surprise the annotator halfway through a session.
"""

from __future__ import annotations

import os
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import orjson
from pydantic import ValidationError

from rankterm.errors import LoadIssue, RanktermError, describe_validation_error, display_path
from rankterm.model import Pair

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes read, total bytes) while indexing a large file."""


class PairsFileError(RanktermError):
    """The pairs file cannot be read at all (missing, a directory, no permission)."""


def parse_pair_line(raw: bytes) -> Pair:
    """Parse and validate one JSONL line; raises ValueError with a one-line reason."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return Pair.model_validate(data)
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc)) from None
    except RecursionError:
        raise ValueError("record is nested too deeply") from None


class PairIndex:
    """Random access to the valid records of one pairs file, in file order."""

    def __init__(self, path: Path, *, cache_size: int = 64) -> None:
        self.path = path
        self.offsets = array("q")
        self.lengths = array("q")
        self.line_numbers = array("q")
        self.priorities = array("d")
        self.ids: list[str] = []
        self.issues: list[LoadIssue] = []
        self._positions: dict[str, int] = {}
        self._cache: OrderedDict[int, Pair] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._fd: int | None = None

    # -- building -----------------------------------------------------------------------------

    def _add(self, offset: int, length: int, line_no: int, pair: Pair) -> None:
        self._positions[pair.id] = len(self.ids)
        self.ids.append(pair.id)
        self.offsets.append(offset)
        self.lengths.append(length)
        self.line_numbers.append(line_no)
        self.priorities.append(float(pair.priority))

    # -- access -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, pair_id: object) -> bool:
        return pair_id in self._positions

    def position(self, pair_id: str) -> int | None:
        """Index of a pair id in file order, or None when the file has no such pair."""
        return self._positions.get(pair_id)

    def get(self, i: int) -> Pair:
        """The i-th valid pair, read from disk on demand (thread-safe, small LRU cache)."""
        with self._lock:
            cached = self._cache.get(i)
            if cached is not None:
                self._cache.move_to_end(i)
                return cached
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY)
            raw = os.pread(self._fd, self.lengths[i], self.offsets[i])
        pair = parse_pair_line(raw)
        with self._lock:
            self._cache[i] = pair
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return pair

    def by_id(self, pair_id: str) -> Pair:
        pos = self._positions.get(pair_id)
        if pos is None:
            raise KeyError(pair_id)
        return self.get(pos)

    def serving_order(self) -> list[int]:
        """Indices by priority (highest first), then file order: the order pairs are served."""
        priorities = self.priorities
        if not any(priorities):
            return list(range(len(self.ids)))
        return sorted(range(len(self.ids)), key=lambda i: -priorities[i])

    def iter_pairs(self):
        """Every valid pair in file order (parses each one; for exports and reports)."""
        for i in range(len(self.ids)):
            yield self.get(i)

    def close(self) -> None:
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
        text = f"{len(self)} pairs loaded from {display_path(self.path)}"
        if self.issues:
            text += f", {len(self.issues)} bad line{'s' if len(self.issues) != 1 else ''} skipped"
        return text


def index_pairs(
    path: Path | str,
    *,
    progress: ProgressCallback | None = None,
    max_issues: int = 10_000,
) -> PairIndex:
    """Index a JSONL pairs file, validating every line and collecting the bad ones.

    Duplicate ids are reported and the later record skipped: a judgment names its pair by id,
    so two records with one id would make the journal ambiguous.
    """
    path = Path(path)
    shown = display_path(path)
    if not path.exists():
        raise PairsFileError(f"{shown}: no such file")
    if path.is_dir():
        raise PairsFileError(f"{shown}: is a directory, expected a JSONL file of pairs")
    index = PairIndex(path)
    total = path.stat().st_size
    issue_count = 0

    def report(line_no: int, reason: str) -> None:
        nonlocal issue_count
        issue_count += 1
        if len(index.issues) < max_issues:
            index.issues.append(LoadIssue(shown, line_no, reason))

    try:
        handle = path.open("rb")
    except OSError as exc:
        raise PairsFileError(f"{shown}: cannot read ({exc.strerror})") from None
    with handle:
        offset = 0
        next_progress = 1 << 24
        for line_no, raw in enumerate(handle, start=1):
            length = len(raw)
            stripped = raw.strip()
            if stripped:
                try:
                    pair = parse_pair_line(stripped)
                except ValueError as exc:
                    report(line_no, str(exc))
                else:
                    if pair.id in index._positions:
                        first = index.line_numbers[index._positions[pair.id]]
                        report(line_no, f"duplicate id {pair.id!r} (first seen on line {first})")
                    else:
                        index._add(offset, length, line_no, pair)
            offset += length
            if progress is not None and offset >= next_progress:
                progress(offset, total)
                next_progress = offset + (1 << 24)
    if progress is not None:
        progress(total, total)
    if issue_count > len(index.issues):
        index.issues.append(
            LoadIssue(shown, 0, f"... and {issue_count - len(index.issues)} more bad lines")
        )
    return index
