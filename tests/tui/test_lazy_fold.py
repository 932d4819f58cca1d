"""The lazy fold of a huge text: any window of rows is the same slice of folding it whole.

The reference is the fold done all at once, as the raw view did before it became lazy: Rich's
``chop_cells`` for a line holding wide or combining characters, ``word_starts`` for a line of
one-cell characters. Rows are asked for in random order (as scrolling and jumping would), so
the index is built in different steps each time; the row count is an estimate until the index
is complete, and exact after.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len, chop_cells

from rankterm.core.sanitize import inert
from rankterm.tui.raw_lines import _NOT_NARROW, RawLines, word_starts


def reference_rows(text: str, width: int) -> list[str]:
    """Every row of ``text`` folded whole at ``width``, unpadded."""
    rows: list[str] = []
    for line in inert(text).expandtabs(4).split("\n"):
        if line.isascii() or not _NOT_NARROW.search(line):
            if len(line) <= width:
                rows.append(line)
                continue
            starts = word_starts(line, width)
            ends = [*starts[1:], len(line)]
            rows.extend(line[a:b] for a, b in zip(starts, ends, strict=True))
        elif cell_len(line) <= width:
            rows.append(line)
        else:
            rows.extend(chop_cells(line, width))
    return rows


def shown(lines: RawLines, index: int) -> str:
    text = "".join(segment.text for segment in lines[index])
    if text.startswith("\u2066") and text.endswith("\u2069"):
        text = text[1:-1]  # the isolate of a right-to-left row
    return text


def unpadded(row: str, expected: str) -> str:
    assert row.startswith(expected)
    assert set(row[len(expected) :]) <= {" "}
    return expected


PIECES = st.sampled_from(
    [
        "日本語",  # two cells each
        "中文字符串很长",
        "한국어",
        "abc",
        " ",
        "word ",
        "e\u0301",  # a combining accent: no cell of its own
        "\u0301",  # a combining mark alone (at the start of a line too)
        "\u200b",  # zero width space: shown as <U+200B>
        "\u2060",  # word joiner: shown as <U+2060>
        "\ufe0f",  # variation selector 16 (widens the character before it)
        "\u2764\ufe0f",  # a heart that becomes two cells
        "#\ufe0f",
        "\x1b[31m",  # an escape: shown as a control picture
        "\t",
        "\n",
        "ё",
        "שלום",
        "😀",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    pieces=st.lists(PIECES, max_size=400),
    width=st.integers(10, 41),
    probes=st.lists(st.floats(0, 1), min_size=1, max_size=8),
    step=st.sampled_from([1, 7, 64, 1 << 16]),
)
def test_any_window_equals_the_slice_of_the_whole_fold(pieces, width, probes, step):
    text = "".join(pieces)
    expected = reference_rows(text, width)
    lines = RawLines(text, width)
    lines.STEP = step  # index in small steps, so windows are asked for mid-index
    for probe in probes:
        first = int(probe * (len(expected) - 1))
        for index in range(first, min(first + 5, len(expected))):
            row = shown(lines, index)
            assert cell_len(row) == width
            unpadded(row, expected[index])
    while not lines.advance(step):
        pass
    assert len(lines) == len(expected)
    assert [shown(lines, i).rstrip(" ") for i in range(len(lines))] == [
        row.rstrip(" ") for row in expected
    ]


@settings(max_examples=60, deadline=None)
@given(
    run=st.text(
        alphabet=st.sampled_from("日本語中文한국あいうabc \u0301\ufe0f\u2764"), max_size=3000
    ),
    width=st.integers(10, 90),
)
def test_one_long_line_folds_like_chop_cells(run, width):
    lines = RawLines(run, width)
    while not lines.advance(97):
        pass
    assert [shown(lines, i) for i in range(len(lines))] == [
        row + " " * (width - cell_len(row)) for row in reference_rows(run, width)
    ]


def test_a_4mb_cjk_line_is_indexed_fast_and_its_ends_are_exact():
    text = "".join(chr(0x4E00 + i % 20_000) for i in range(1_400_000)) + "終わり"
    lines = RawLines(text, 78)
    # One run of two-cell characters, folded by arithmetic a budget at a time: the first
    # screen indexes 64k characters, the rest comes in a few steps.
    assert not lines.complete
    steps = 0
    while not lines.advance():
        steps += 1
    assert steps < 10
    assert len(lines) == -(-len(text) // 39)
    assert shown(lines, 0) == text[:39]
    assert shown(lines, len(lines) - 1).rstrip().endswith("終わり")


def test_a_9mb_ascii_line_is_indexed_lazily_with_a_growing_estimate():
    text = "abcdefghij " * 850_000 + "THE END"
    lines = RawLines(text, 75)
    assert not lines.complete  # the first paint indexed only the first rows
    estimate = len(lines)
    assert shown(lines, 0) == "abcdefghij " * 6 + " " * 9
    while not lines.advance():
        pass
    exact = reference_rows(text, 75)
    assert len(lines) == len(exact)
    assert abs(estimate - len(exact)) < len(exact) * 0.01
    assert shown(lines, len(lines) - 1).rstrip() == exact[-1].rstrip()
    assert exact[-1].rstrip().endswith("THE END")


def test_a_long_narrow_line_with_a_combining_mark_is_indexed_lazily():
    """One combining mark makes a line of ASCII words fold by cells. The first screen must
    not scan the whole line: a 9 MB line is one run of one-cell characters, and matching it
    whole took a minute at first paint (then with a control character, folded so too)."""
    text = "abcdefghij " * 100_000 + "cafe\u0301"
    lines = RawLines(text, 40)
    assert not lines.complete  # only the first screen's rows were worked out
    assert shown(lines, 0) == "abcdefghij abcdefghij abcdefghij abcdefg"
    while not lines.advance():
        pass
    expected = reference_rows(text, 40)
    assert len(lines) == len(expected)
    for index, row in enumerate(expected):
        unpadded(shown(lines, index), row)
