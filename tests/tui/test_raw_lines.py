"""RawLines: the raw view, folded at the cell width and made row by row, loses nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.text import Text

from rankterm.tui.raw_lines import RawLines, isolate
from rankterm.tui.render import count_words, is_large, response_lines, to_lines


def rows(lines: RawLines) -> list[str]:
    return ["".join(segment.text for segment in line) for line in lines]


def test_every_line_break_and_space_is_kept():
    text = "a  b\n\n  indented\nlast "
    assert [row.rstrip("\u2069") for row in rows(RawLines(text, 20))] == [
        "a  b".ljust(20),
        " " * 20,
        "  indented".ljust(20),
        "last ".ljust(20),
    ]


def test_long_lines_fold_at_the_width_and_wide_characters_never_split():
    lines = RawLines("x" * 25 + "\n" + "日本語" * 5, 10)
    shown = rows(lines)
    assert shown[:3] == ["x" * 10, "x" * 10, "x" * 5 + " " * 5]
    assert "".join(r.strip() for r in shown[3:]) == "日本語" * 5
    assert all(cell_len(row) == 10 for row in shown)
    assert lines.row_of_line(1) == 3


def test_long_lines_wrap_after_a_space_keeping_it():
    shown = rows(RawLines("one two three four five", 10))
    assert shown == ["one two   ", "three     ", "four five "]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cf", "Cc")), max_size=200))
def test_folding_then_joining_gives_the_text_back(text):
    lines = RawLines(text, 12)
    shown = rows(lines)
    assert all(cell_len(row) == 12 for row in shown)
    assert len(shown) == len(lines)
    # Every character of the text is on screen, in order (padding aside).
    assert "".join(shown).replace(" ", "").replace("\u2066", "").replace("\u2069", "") == (
        text.expandtabs(4).replace("\n", "").replace(" ", "")
    )


def test_the_header_comes_first_and_invisibles_are_marked():
    header = to_lines(Text("notice"), 20)
    lines = RawLines("a\u200bb", 20, header=header)
    assert len(lines) == 2 and rows(lines)[0].startswith("notice")
    assert rows(lines)[1].startswith("a<U+200B>b")


def test_a_row_with_right_to_left_text_is_isolated():
    line = to_lines(Text("שלום 123"), 20)[0]
    joined = "".join(segment.text for segment in line)
    assert joined.startswith("\u2066") and joined.endswith("\u2069")
    assert cell_len(joined) == 20  # the isolate takes no cells
    plain = to_lines(Text("hello 123"), 20)[0]
    assert isolate(plain) is plain


def test_huge_texts_are_raw_with_a_notice_and_words_are_counted_in_chunks():
    text = "word " * 300_000
    assert is_large(text)
    lines = response_lines(text, 80)
    assert isinstance(lines, RawLines) and "raw text" in rows(lines)[0]
    assert count_words(text, chunk=1000) == 300_000 == len(text.split())
    assert not is_large("short answer")
    assert not isinstance(response_lines("short **answer**", 80), RawLines)


def test_the_context_opens_at_the_last_user_turn_rendered_and_raw():
    from rankterm.core.model import Pair
    from rankterm.tui.render import conversation_lines

    pair = Pair(
        id="p",
        messages=[
            {"role": "system", "content": "Be brief.\n" * 5},
            {"role": "user", "content": "First?"},
            {"role": "assistant", "content": "Answer.\n" * 4},
            {"role": "user", "content": "Last question?"},
            {"role": "assistant", "content": "A trailing assistant turn (prefill)."},
        ],
        response_a="a",
        response_b="b",
    )
    for raw in (False, True):
        lines, top = conversation_lines(pair, 40, raw)
        shown = rows(lines) if raw else ["".join(s.text for s in line) for line in lines]
        assert shown[top].startswith("USER · turn 4"), (raw, top, shown)
    single = Pair(id="q", prompt="Just one prompt", response_a="a", response_b="b")
    assert conversation_lines(single, 40)[1] == 0


def test_the_size_notice_counts_one_line_as_one_line():
    from rankterm.tui.render import large_notice

    assert "9.0 MB, 1 line: too long" in large_notice("x" * 9 * 2**20).plain
    assert "1.0 MB, 2 lines: too long" in large_notice("x" * (2**20 - 1) + "\n").plain


def test_dashes_quotes_and_control_pictures_wrap_after_a_space_not_mid_word():
    """Em dashes, curly quotes, ellipses and the marker of a control character take one
    cell: a long line holding them wraps after a space like plain ASCII (it was cut by
    cells, mid-word, as if it were CJK)."""
    from rankterm.tui.raw_lines import RawLines

    text = "It’s fine — “quoted” words… and \x1b arrows → here " * 20
    lines = RawLines(text, 30)
    rows = ["".join(segment.text for segment in lines[i]) for i in range(len(lines))]
    assert (
        "".join(row.rstrip(" ") + " " for row in rows).split() == text.replace("\x1b", "␛").split()
    )
    words = set(text.replace("\x1b", "␛").split())
    for row in rows:
        assert all(word in words for word in row.split()), row


def test_every_character_of_the_narrow_class_takes_one_cell():
    """The word wrap counts a character as a cell: the class must hold nothing else."""
    import re

    from rich.cells import cell_len

    from rankterm.tui.raw_lines import _NARROW

    narrow = re.compile(_NARROW)
    assert all(cell_len(chr(c)) == 1 for c in range(0x30000) if narrow.match(chr(c)))
