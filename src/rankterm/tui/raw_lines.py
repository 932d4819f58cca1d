"""A text shown exactly as written, folded to the pane's width, made one row at a time.

Why: the raw view must show every line break, space and marker of what the model wrote, and a
response of 100,000 lines or 9 MB must open at once. Rendering such a text up front (Markdown,
or even Rich's plain-text wrapping) took 17-23 s and up to a gigabyte. Here the text is split
into its lines once, each line's row count is worked out (a C-level ``isascii`` check and a
length for almost every line), and the segments of a row are made only when the pane draws
that row. :class:`RawLines` behaves as the list of rendered lines the pane expects (``len``,
indexing), so the pane needs no second code path.

Even one pass over the text is too slow for a first paint: folding a 4 MB single line of CJK
by cells took 8 s, the line index of a 9 MB text 0.2 s. So the index is built lazily: as far as
the rows asked for (the first screen), the rest in slices (:meth:`RawLines.advance`, which the
pane calls between frames). Until it is done, ``len()`` is an estimate of the rows still to
come; the rows worked out are exact and never move, so only the scroll bar adjusts. A long line
is folded by runs (a run of two-cell characters is folded by arithmetic, at C speed), giving
the same rows as :func:`rich.cells.chop_cells` (tested against it).

A long line wraps after its last space that fits (the space stays at the end of its row) or
is cut where a word is longer than the row; lines of wide characters (CJK) are folded by cells.
No character is dropped, added or moved, which is what a raw view is for.
"""

from __future__ import annotations

import re
import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from functools import cache

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style

from rankterm.core.sanitize import inert
from rankterm.tui.internals import cell_table

Line = list[Segment]

#: Strong right-to-left letters (Hebrew, Arabic, Syriac, Thaana, NKo, ..., their presentation
#: forms and the RTL planes). A row holding one is isolated (see :func:`isolate`).
_RTL = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
#: First strong isolate ... pop directional isolate: emitted by us, balanced, one row each.
_LRI, _PDI = "\u2066", "\u2069"
TAB_SIZE = 4


def isolate(line: Line) -> Line:
    """Wrap a row that holds right-to-left text in a left-to-right isolate.

    A terminal that applies the bidi algorithm treats a whole screen row as one paragraph: an
    Arabic or Hebrew run at the end of the left pane could pull digits and punctuation from
    the right pane (or the border) into its run and show them in the wrong place. Inside an
    isolate the run is reordered on its own and nothing outside it moves. Both characters are
    zero-width for Rich, Textual and wcwidth, so the layout is unchanged where they are ignored.
    """
    if not line or not any(_RTL.search(segment.text) for segment in line):
        return line
    first, last = line[0], line[-1]
    if len(line) == 1:
        return [Segment(_LRI + first.text + _PDI, first.style, first.control)]
    return [
        Segment(_LRI + first.text, first.style, first.control),
        *line[1:-1],
        Segment(last.text + _PDI, last.style, last.control),
    ]


#: Characters outside Latin, Greek and Cyrillic (whose letters all take one cell) and the
#: one-cell symbols below: a line with one of these is folded by cells (CJK takes two,
#: combining marks none); other lines wrap after a space.
_NARROW = (
    "[\x20-\x7e\u00a0-\u02ff\u0370-\u0482\u048a-\u052f"
    # General punctuation (dashes, curly quotes, bullets, ellipsis; not the zero-width and
    # bidi controls), currency, arrows, the control pictures ``inert`` shows controls as, and
    # box drawing: LLM text is full of them, and a line holding one was cut mid-word.
    "\u2010-\u2027\u2030-\u205e\u20a0-\u20c0\u2190-\u21ff\u2400-\u2426\u2500-\u257f]"
)
_NOT_NARROW = re.compile("[^" + _NARROW[1:])


def word_starts(line: str, width: int) -> list[int]:
    """Where each row of a one-cell-per-character ``line`` starts: wrapped after the last
    space that fits (the space stays, at the end of its row), or cut at ``width`` when a
    word is longer than the row. Nothing is dropped or added."""
    starts = [0]
    start, end = 0, len(line)
    while end - start > width:
        cut = line.rfind(" ", start, start + width)
        start = cut + 1 if cut > start else start + width
        starts.append(start)
    return starts


#: Cell widths as Rich measures them (``rich.cells.get_character_cell_size``), as character
#: classes: two cells, no cell (combining marks, controls, variation selectors), one cell.
def _cell_classes() -> tuple[str, str]:
    table = cell_table()
    wide = [(a, b) for a, b, w in table.widths if w == 2]
    zero = [(a, b) for a, b, w in table.widths if w == 0]
    zero += [(0x00, 0x1F), (0x7F, 0x9F)]

    def klass(ranges: list[tuple[int, int]]) -> str:
        return "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in sorted(ranges))

    return klass(wide), klass(zero)


@cache
def _runs() -> tuple[re.Pattern[str], frozenset[str] | set[str]]:
    """One run of characters of the same width (two cells, none, or one), and the narrow
    characters a variation selector widens. Built on first use, not at import: loading Rich's
    width table and compiling the classes cost ~30 ms of every start, huge text or not."""
    wide, zero = _cell_classes()
    # The common one-cell characters first, as a class of four ranges: the catch-all class
    # of one-cell characters is the complement of hundreds of ranges, which ``re`` scans
    # per character (5 us: a 9 MB line with one control character in it took a minute).
    run = re.compile(f"({_NARROW}+)|([{wide}]+)|([{zero}]+)|([^{wide}{zero}]+)")
    return run, cell_table().narrow_to_wide


_VS16, _ZWJ = "\ufe0f", "\u200d"


class _Fold:
    """Where each row of one long line starts, worked out as far as asked.

    ``by_cells``: folded by cells like :func:`rich.cells.chop_cells` (a row ends before the
    grapheme that would overflow it); else wrapped like :func:`word_starts`."""

    __slots__ = ("by_cells", "done", "line", "pos", "starts", "used", "width")

    def __init__(self, line: str, width: int, by_cells: bool) -> None:
        self.line = line
        self.width = width
        self.by_cells = by_cells
        self.starts = array("q", [0])
        self.pos = 0  # scanned up to here (folding by cells)
        self.used = 0  # cells used in the row being filled
        self.done = False
        if by_cells and _ZWJ in line:
            # A joiner glues graphemes (never in inert text, which marks it): fold it whole.
            rows = chop_cells(line, width)
            for row in rows[:-1]:
                self.starts.append(self.starts[-1] + len(row))
            self.done = True

    @property
    def rows(self) -> int:
        """Rows known to be complete (all of them once ``done``)."""
        return len(self.starts) if self.done else len(self.starts) - 1

    def scanned(self) -> int:
        return len(self.line) if self.done else (self.pos if self.by_cells else self.starts[-1])

    def advance(self, budget: int) -> int:
        """Work on about ``budget`` characters; return how many were scanned."""
        if self.done:
            return 0
        before = self.scanned()
        if self.by_cells:
            self._advance_cells(budget)
        else:
            self._advance_words(budget)
        return self.scanned() - before

    def _advance_words(self, budget: int) -> None:
        line, width, starts = self.line, self.width, self.starts
        start, end = starts[-1], len(line)
        stop = start + budget
        while end - start > width and start < stop:
            cut = line.rfind(" ", start, start + width)
            start = cut + 1 if cut > start else start + width
            starts.append(start)
        self.done = end - start <= width

    def _place(self, start: int, count: int, cells: int) -> None:
        """Put ``count`` graphemes of ``cells`` cells each, from ``start``, into rows."""
        width, used = self.width, self.used
        fit = (width - used) // cells
        if count <= fit:
            self.used = used + count * cells
            return
        per = width // cells
        first = start + fit
        rest = count - fit
        full = (rest - 1) // per  # rows after the first break that are filled
        self.starts.extend(range(first, first + (full + 1) * per, per))
        self.used = (rest - full * per) * cells

    def _advance_cells(self, budget: int) -> None:
        line, end = self.line, len(self.line)
        pos = self.pos
        stop = pos + budget
        run, narrow_to_wide = _runs()
        match = run.match
        while pos < end and pos < stop:
            # Bounded: a run never takes more than the budget (a 9 MB line is one run).
            found = match(line, pos, min(end, stop))
            assert found is not None  # the classes cover every character
            after = found.end()
            _, wide, zero, _ = found.groups()
            if zero is not None:
                pos = after  # zero-width characters join the grapheme before them
                continue
            count = after - pos
            cells = 2 if wide is not None else 1
            if cells == 1 and after < end:
                # A variation selector after it makes a narrow-to-wide character two cells.
                nxt = match(line, after)
                if (
                    nxt is not None
                    and nxt.group(3) is not None
                    and _VS16 in nxt.group(3)
                    and line[after - 1] in narrow_to_wide
                ):
                    self._place(pos, count - 1, 1)
                    self._place(after - 1, 1, 2)
                    pos = after
                    continue
            self._place(pos, count, cells)
            pos = after
        self.pos = pos
        self.done = pos >= end

    def row(self, part: int) -> str:
        starts = self.starts
        start = starts[part]
        end = starts[part + 1] if part + 1 < len(starts) else len(self.line)
        return self.line[start:end]


class RawLines:
    """The rows of ``text`` folded at ``width`` cells, after ``header`` (pre-rendered rows).

    Supports ``len()``, indexing by row and iteration, like a list of rendered lines. The row
    index is built as far as the rows asked for; :attr:`complete` says whether it is whole,
    and :meth:`advance` builds more of it (``len()`` is an estimate until then)."""

    #: Characters worked through to index rows asked for beyond the index, per step.
    STEP = 1 << 16

    def __init__(
        self,
        text: str,
        width: int,
        *,
        header: list[Line] | None = None,
        style: Style | None = None,
    ) -> None:
        self.width = max(width, 10)
        self.header: list[Line] = header or []
        self._style = style or Style()
        safe = inert(text)
        #: Whether any character was replaced by a marker (the pane then warns).
        self.marked = safe is not text
        if "\t" in safe:
            safe = safe.expandtabs(TAB_SIZE)
        self._source = safe.split("\n")
        self._chars = len(safe)
        #: starts[i]: the first row of source line i (after the header), for the lines
        #: indexed so far; starts[-1] is the first row of the line being indexed.
        self._starts = array("q", [0])
        #: Folds of the lines longer than the width, by line number.
        self._wrapped: dict[int, _Fold] = {}
        self._scanned = 0  # characters (newlines included) of the lines indexed
        self._lock = threading.RLock()
        self.complete = False
        self._length = 0
        self.advance(self.STEP)

    def set_header(self, header: list[Line]) -> None:
        """Put ``header`` (pre-rendered rows) before the text's rows."""
        with self._lock:
            self._length += len(header) - len(self.header)
            self.header = header

    # -- the index ------------------------------------------------------------------------------

    def advance(self, budget: int = 1 << 18) -> bool:
        """Index about ``budget`` more characters; return whether the index is complete.
        Safe to call from any thread."""
        with self._lock:
            if self.complete:
                return True
            source, width, starts, wrapped = self._source, self.width, self._starts, self._wrapped
            number = len(starts) - 1
            total = starts[-1]
            scanned = self._scanned
            while budget > 0 and number < len(source):
                fold = wrapped.get(number)
                if fold is None:
                    line = source[number]
                    if len(line) <= width and line.isascii():
                        total += 1
                        starts.append(total)
                        scanned += len(line) + 1
                        budget -= len(line) + 1
                        number += 1
                        continue
                    fold = self._fold(line)
                    if fold is None:
                        total += 1
                        starts.append(total)
                        scanned += len(line) + 1
                        budget -= len(line) + 1
                        number += 1
                        continue
                    wrapped[number] = fold
                budget -= fold.advance(budget) + 1
                if fold.done:
                    total += fold.rows
                    starts.append(total)
                    scanned += len(fold.line) + 1
                    number += 1
            self._scanned = scanned
            self.complete = number >= len(source)
            self._length = len(self.header) + (total if self.complete else self._estimate())
            return self.complete

    def _fold(self, line: str) -> _Fold | None:
        """The fold of a line that may be longer than the row, or None if it fits."""
        width = self.width
        if line.isascii() or not _NOT_NARROW.search(line):
            return _Fold(line, width, False) if len(line) > width else None
        if len(line) * 2 <= width or cell_len(line[: width + 1]) <= width >= len(line):
            return None
        return _Fold(line, width, True)

    def _known_rows(self) -> int:
        """Rows (after the header) whose text is known: the indexed lines', and the finished
        rows of the line being indexed."""
        known = self._starts[-1]
        fold = self._wrapped.get(len(self._starts) - 1)
        return known + (fold.rows if fold is not None else 0)

    def _estimate(self) -> int:
        """Rows after the header: those known, plus an estimate for the rest -- a row for
        every line left, and as many more rows per character as so far."""
        known = self._known_rows()
        number = len(self._starts) - 1
        fold = self._wrapped.get(number)
        scanned = self._scanned + (fold.scanned() if fold is not None else 0)
        lines_left = len(self._source) - number - (1 if fold is not None else 0)
        extra = known - number  # rows beyond one per line, so far
        chars_left = max(self._chars - scanned, 0)
        more = round(extra * chars_left / scanned) if scanned else chars_left // self.width
        return known + max(lines_left, 0) + max(more, 0) + (1 if fold is not None else 0)

    def _index_to(self, row: int) -> None:
        """Index until ``row`` (after the header) is known, or everything is."""
        while not self.complete and self._known_rows() <= row:
            self.advance(self.STEP)

    # -- the list of lines ----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def __iter__(self) -> Iterator[Line]:
        while not self.advance():
            pass
        for index in range(self._length):
            yield self[index]

    def __getitem__(self, index: int) -> Line:  # type: ignore[override]
        if index < 0:
            while not self.advance():
                pass
            index += self._length
        if index < 0:
            raise IndexError(index)
        if index < len(self.header):
            return self.header[index]
        row = index - len(self.header)
        with self._lock:
            if not self.complete and self._known_rows() <= row:
                self._index_to(row)
            if row >= self._known_rows():
                raise IndexError(index)
            starts = self._starts
            number = bisect_right(starts, row) - 1
            if number >= len(self._source):
                number = len(self._source) - 1
            piece = self._piece(number, row - starts[number])
        pad = self.width - (len(piece) if piece.isascii() else cell_len(piece))
        return isolate([Segment(piece + " " * pad, self._style)])

    def _piece(self, number: int, part: int) -> str:
        fold = self._wrapped.get(number)
        if fold is None:
            return self._source[number]
        return fold.row(part)

    def row_of_line(self, number: int) -> int:
        """The row where source line ``number`` starts (header included)."""
        number = min(max(number, 0), len(self._source))
        with self._lock:
            while not self.complete and len(self._starts) <= number:
                self.advance(self.STEP)
            return len(self.header) + self._starts[min(number, len(self._starts) - 1)]

    @property
    def source_lines(self) -> int:
        return len(self._source)
