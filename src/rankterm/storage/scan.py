"""The line scanner of a pairs file: one pass that turns JSONL into index columns.

Most lines give their id without a JSON parse (a plain string ``id`` first, no ``priority``);
the rest go through orjson, and anything unusual to the model. See :mod:`rankterm.storage.index`
for why the index is built this way.
"""

from __future__ import annotations

import re
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from itertools import accumulate, compress, count, islice, repeat
from operator import add, eq, lshift, or_, rshift
from pathlib import Path

import orjson
from pydantic import ValidationError

from rankterm.core.errors import RanktermError, describe_validation_error, display_path
from rankterm.core.model import Pair, RankTask, Task, parse_task

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes read, total bytes) while indexing a large file."""

BLOCK = 1 << 20
LOW = (1 << 32) - 1
"""The position half of a lookup key (``crc32 << 32 | position``)."""


class PairsFileError(RanktermError):
    """The pairs file cannot be read at all (missing, a directory, no permission)."""


def parse_pair_line(raw: bytes) -> Pair:
    """Parse and validate one JSONL line as a pair; raises ValueError with a one-line reason.

    For readers that take pairs only (a ranking record is reported as not a pair); the pairs
    index reads both kinds with :func:`parse_task_line`."""
    task = parse_task_line(raw)
    if isinstance(task, RankTask):
        raise ValueError("a K-way ranking record (responses), where a pair was expected")
    return task


def parse_task_line(raw: bytes) -> Task:
    """Parse and validate one JSONL line, a pair or a K-way ranking task (``responses``)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg})") from None
    return _validated(data)


def _validated(data: object) -> Task:
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return parse_task(data)
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc)) from None
    except RecursionError:
        raise ValueError("record is nested too deeply") from None


def encode(text: str) -> bytes:
    """An id as stored in the index (lone surrogates kept, as JSON allows them)."""
    return text.encode("utf-8", "surrogatepass")


_QUICK = re.compile(rb'\{"id": ?"([\x20\x21\x23-\x5b\x5d-\x7e]+)"')
"""A line that starts with a plain printable-ASCII string id (no escapes)."""
_PRIORITY = b'"priority"'
_ID_KEY = b'"id"'
_ESCAPE = b"\\u00"
_ESCAPED_LETTER = re.compile(rb"\\u00[67]")
"""``\\u0060``-``\\u007f``: how a key could spell ``id`` or ``priority`` without those bytes."""


def _quick_key(body: bytes) -> bytes | None:
    """The id of ``{"id": "<plain>", ...}`` without parsing, when no priority is named.

    ``"priority"`` anywhere in the line, a second ``"id"``, or an escaped ASCII letter (a key
    could spell either with escapes) sends it to the parser; false alarms (the words inside a
    string) only cost a parse. So the quick id is the model's id whenever the record is valid;
    validation still re-checks every id against the model.
    """
    match = _QUICK.match(body)
    if match is None or not body.endswith(b"}") or _PRIORITY in body:
        return None
    if body.count(_ID_KEY) != 1 or (_ESCAPE in body and _ESCAPED_LETTER.search(body)):
        return None
    return match.group(1)


def _parsed_key(body: bytes) -> tuple[bytes, float]:
    """Id and priority via orjson; the model decides whenever a value is not plain."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg})") from None
    if isinstance(data, dict):
        pid, priority = data.get("id"), data.get("priority", 0)
        if type(pid) is str and pid and type(priority) in (int, float):
            return encode(pid), float(priority)
    pair = _validated(data)
    return encode(pair.id), float(pair.priority)


class Columns:
    """The index proper: parallel columns over valid records, as arrays or mmapped views."""

    __slots__ = (
        "complete",
        "id_blob",
        "id_ends",
        "keys",
        "lengths",
        "lines",
        "offsets",
        "order",
        "priorities",
        "ranks",
        "scanned_bytes",
    )

    def __init__(self) -> None:
        self.offsets: Sequence[int] = array("q")
        self.lengths: Sequence[int] = array("q")
        self.lines: Sequence[int] = array("q")
        self.priorities: Sequence[float] = array("d")
        self.id_blob: bytes | bytearray | memoryview = bytearray()
        self.id_ends: Sequence[int] = array("q")
        self.keys: Sequence[int] = array("Q")
        self.order: Sequence[int] | None = None
        #: False for a head index (``index_pairs(head=N)``): the file goes on after it.
        self.complete = True
        self.scanned_bytes = 0
        #: Positions known to hold K-way ranking tasks (found by an exact scan; validation and
        #: the sidecar tell the index of the others).
        self.ranks: set[int] = set()

    def __len__(self) -> int:
        return len(self.offsets)

    def id_bytes(self, i: int) -> bytes:
        start = self.id_ends[i - 1] if i else 0
        return bytes(self.id_blob[start : self.id_ends[i]])

    def finish(self, crcs: Sequence[int] | None = None) -> None:
        """Sorted lookup keys, and the serving order when priorities differ."""
        n = len(self)
        if crcs is None:
            crcs = array("I", map(zlib.crc32, map(self.id_bytes, range(n))))
        self.keys = array("Q", sorted(map(or_, map(lshift, crcs, repeat(32)), range(n))))
        if any(self.priorities):
            prios = self.priorities
            self.order = array("q", sorted(range(n), key=lambda i: -prios[i]))
        else:
            self.priorities = array("d")
            self.order = None

    def duplicates(self) -> list[tuple[int, int]]:
        """(later position, first position) for every id seen before in file order."""
        keys = self.keys
        high = array("Q", map(rshift, keys, repeat(32)))
        found: list[tuple[int, int]] = []
        group_end = -1
        for j in compress(count(), map(eq, high, islice(high, 1, None))):
            if j <= group_end:
                continue
            group_end = j + 1
            while group_end + 1 < len(high) and high[group_end + 1] == high[j]:
                group_end += 1
            first_of: dict[bytes, int] = {}
            for k in range(j, group_end + 1):  # ascending positions within one crc
                pos = keys[k] & LOW
                first = first_of.setdefault(self.id_bytes(pos), pos)
                if first != pos:
                    found.append((pos, first))
        return found

    def without(self, drop: set[int]) -> Columns:
        """A copy without the given positions (duplicates, records found invalid)."""
        keep = bytearray(b"\x01") * len(self)
        for pos in drop:
            keep[pos] = 0
        out = Columns()
        out.complete, out.scanned_bytes = self.complete, self.scanned_bytes
        out.ranks = remap_positions(self.ranks, drop)
        out.offsets = array("q", compress(self.offsets, keep))
        out.lengths = array("q", compress(self.lengths, keep))
        out.lines = array("q", compress(self.lines, keep))
        if len(self.priorities):
            out.priorities = array("d", compress(self.priorities, keep))
        ids = list(compress(map(self.id_bytes, range(len(self))), keep))
        out.id_blob = b"".join(ids)
        out.id_ends = array("q", accumulate(map(len, ids)))
        out.finish()
        return out


def remap_positions(positions: set[int], drop: set[int]) -> set[int]:
    """``positions`` as they are once the ``drop`` positions are taken out of the columns."""
    if not drop:
        return set(positions)
    gone = sorted(drop)
    return {p - bisect_left(gone, p) for p in positions if p not in drop}


def scan(
    path: Path,
    *,
    exact: bool,
    report: Callable[[int, str], None],
    progress: ProgressCallback | None,
    head: int | None = None,
) -> Columns:
    """One pass over the file: every non-blank line becomes a record or an issue. With
    ``head``, stop after the first block that brings the records to at least that many."""
    cols = Columns()
    crcs = array("I")
    blob = cols.id_blob
    assert isinstance(blob, bytearray)
    total = path.stat().st_size
    offset = line_no = 0
    next_progress = BLOCK * 16
    pending: list[bytes] = []
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise PairsFileError(f"{display_path(path)}: cannot read ({exc.strerror})") from None
    with handle:
        first = True
        while True:
            block = handle.read(BLOCK)
            if first:
                first = False
                if block.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark is not data
                    block = block[3:]
                    offset = 3
            lines = block.split(b"\n")
            if block and len(lines) == 1:
                pending.append(block)  # a line longer than a block: join once it ends
                continue
            if pending:
                lines[0] = b"".join([*pending, lines[0]])
            pending = [lines.pop()] if block else []
            if not block and lines == [b""]:
                lines = []
            lengths = array("q", map(len, lines))
            starts = array("q", accumulate(map(add, lengths, repeat(1)), initial=offset))
            ids = None if exact else _block_ids(lines)
            if ids is not None:
                # The common case, all in C: every line has a plain id and no priority.
                cols.offsets.extend(islice(starts, len(lines)))
                cols.lengths.extend(lengths)
                cols.lines.extend(range(line_no + 1, line_no + len(lines) + 1))
                cols.priorities.extend(repeat(0.0, len(lines)))
                cols.id_ends.extend(islice(accumulate(map(len, ids), initial=len(blob)), 1, None))
                blob += b"".join(ids)
                crcs.extend(map(zlib.crc32, ids))
            else:
                for k, line in enumerate(lines):
                    body = line.strip()
                    if not body:
                        continue
                    priority = 0.0
                    pid = None if exact else _quick_key(body)
                    if pid is None:
                        try:
                            if exact:
                                pair = parse_task_line(body)
                                pid, priority = encode(pair.id), float(pair.priority)
                                if isinstance(pair, RankTask):
                                    cols.ranks.add(len(cols.offsets))
                            else:
                                pid, priority = _parsed_key(body)
                        except ValueError as exc:
                            report(line_no + k + 1, str(exc))
                            continue
                    cols.offsets.append(starts[k])
                    cols.lengths.append(lengths[k])
                    cols.lines.append(line_no + k + 1)
                    cols.priorities.append(priority)
                    blob += pid
                    cols.id_ends.append(len(blob))
                    crcs.append(zlib.crc32(pid))
            line_no += len(lines)
            offset = starts[-1]
            if progress is not None and offset >= next_progress:
                progress(min(offset, total), total)
                next_progress = offset + BLOCK * 16
            if not block:
                break
            if head is not None and len(cols) >= head:
                cols.complete = False
                break
    cols.scanned_bytes = offset
    cols.finish(crcs)
    return cols


def _block_ids(lines: list[bytes]) -> list[bytes] | None:
    """The ids of a block when every line takes the quick path, else None."""
    matches = list(map(_QUICK.match, lines))
    if not all(matches) or not all(map(bytes.endswith, lines, repeat(b"}"))):
        return None
    # Whole-block searches (a newline cannot be part of a match): every line starts with an
    # "id" key, so as many "id" as lines means one each.
    joined = b"\n".join(lines)
    if _PRIORITY in joined or joined.count(_ID_KEY) != len(lines):
        return None
    if _ESCAPE in joined and _ESCAPED_LETTER.search(joined):
        return None
    return list(map(re.Match.group, matches, repeat(1)))  # type: ignore[arg-type]
