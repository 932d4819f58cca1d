"""A text shown exactly as written, folded to the pane's width, made one row at a time.

Why: the raw view must show every line break, space and marker of what the model wrote, and a
response of 100,000 lines or 9 MB must open at once. Rendering such a text up front (Markdown,
or even Rich's plain-text wrapping) took 17-23 s and up to a gigabyte. Here the text is split
into its lines once, each line's row count is worked out (a C-level ``isascii`` check and a
length for almost every line), and the segments of a row are made only when the pane draws
that row. :class:`RawLines` behaves as the list of rendered lines the pane expects (``len``,
indexing), so the pane needs no second code path.

A long line wraps after its last space that fits (the space stays at the end of its row) or
is cut where a word is longer than the row; lines of wide characters (CJK) are folded by cells.
No character is dropped, added or moved, which is what a raw view is for.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style

from rankterm.sanitize import inert

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


#: Characters outside Latin, Greek and Cyrillic (whose letters all take one cell): a line with
#: one of these is folded by cells (CJK takes two, combining marks none).
_NOT_NARROW = re.compile("[^\x20-\x7e\u00a0-\u02ff\u0370-\u0482\u048a-\u052f]")


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


class RawLines:
    """The rows of ``text`` folded at ``width`` cells, after ``header`` (pre-rendered rows).

    Supports ``len()``, indexing by row and iteration, like a list of rendered lines."""

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
        if "\t" in safe:
            safe = safe.expandtabs(TAB_SIZE)
        self._source = safe.split("\n")
        width = self.width
        # starts[i]: the first row of source line i (after the header).
        starts = array("q", [0])
        #: Rows of the lines longer than the width: where each row starts (one-cell text),
        #: or the rows themselves (wide characters), by line number.
        self._wrapped: dict[int, list[int] | list[str]] = {}
        total = 0
        for number, line in enumerate(self._source):
            if len(line) <= width and line.isascii():
                total += 1
            else:
                total += self._wrap(number, line)
            starts.append(total)
        self._starts = starts
        self._length = len(self.header) + total

    def _wrap(self, number: int, line: str) -> int:
        width = self.width
        if line.isascii() or not _NOT_NARROW.search(line):
            if len(line) <= width:
                return 1
            starts = word_starts(line, width)
            self._wrapped[number] = starts
            return len(starts)
        if cell_len(line) <= width:
            return 1
        rows = chop_cells(line, width)
        self._wrapped[number] = rows
        return len(rows)

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def __iter__(self) -> Iterator[Line]:
        for index in range(self._length):
            yield self[index]

    def __getitem__(self, index: int) -> Line:  # type: ignore[override]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        if index < len(self.header):
            return self.header[index]
        row = index - len(self.header)
        number = bisect_right(self._starts, row) - 1
        piece = self._piece(number, row - self._starts[number])
        pad = self.width - (len(piece) if piece.isascii() else cell_len(piece))
        return isolate([Segment(piece + " " * pad, self._style)])

    def _piece(self, number: int, part: int) -> str:
        line = self._source[number]
        wrapped = self._wrapped.get(number)
        if wrapped is None:
            return line
        if isinstance(wrapped[0], str):
            return wrapped[part]  # type: ignore[return-value]
        start = wrapped[part]
        end = wrapped[part + 1] if part + 1 < len(wrapped) else len(line)
        return line[start:end]  # type: ignore[misc]

    def row_of_line(self, number: int) -> int:
        """The row where source line ``number`` starts (header included)."""
        return len(self.header) + self._starts[min(max(number, 0), len(self._source))]

    @property
    def source_lines(self) -> int:
        return len(self._source)
