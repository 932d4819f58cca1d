"""Huge single-line responses open at once, scroll to their last characters, and flip raw.

A 4 MB line of CJK (two cells a character, no space) and a 9 MB line of ASCII: the raw view
folds them lazily (see rankterm.tui.raw_lines); what is on screen must still be exactly what the
model wrote, from the first row to the last, at 80x24 and 160x50, driven by the keys a person
would press.
"""

from __future__ import annotations

import asyncio

import pytest

from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from tests.helpers import pair_record, write_pairs

CJK_END = "完\u200bわり"  # the zero width space is shown as a marker at the very end too
CJK = "".join(chr(0x4E00 + i % 20_000) for i in range(1_400_000)) + CJK_END
ASCII_END = "THE LAST WORDS\x1b[0m"
ASCII = "abcdefghij " * 857_000 + ASCII_END


def screen_rows(pane) -> list[str]:
    """The text rows the pane draws now (scroll bar column cut off)."""
    height = pane.scrollable_content_region.height
    rows = []
    for y in range(height):
        text = "".join(segment.text for segment in pane.render_line(y))
        rows.append(text[: -pane.BAR_CELLS].replace("\u2066", "").replace("\u2069", ""))
    return rows


def tail(rows: list[str]) -> str:
    """The last rows' text run together (a row wraps after a space, kept at its end)."""
    return "".join(rows[-3:]).replace(" ", "")


async def settle(pilot, pane, timeout: float = 60) -> None:
    """Until the pane's row index is complete (it is built between frames)."""
    for _ in range(int(timeout * 20)):
        await pilot.pause()
        if getattr(pane._lines, "complete", True) and pane._indexing is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the row index never completed")


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        (CJK, CJK[:20], "完<U+200B>わり"),
        (ASCII, "abcdefghij abcdefghij", "THE LAST WORDS␛[0m"),
    ],
    ids=["cjk-4mb", "ascii-9mb"],
)
async def test_a_huge_single_line_opens_scrolls_to_its_end_and_flips(
    tmp_path, size, text, start, end
):
    pairs = write_pairs(
        tmp_path / "pairs.jsonl",
        [pair_record(0, response_a=text, response_b="A short answer."), pair_record(1)],
    )
    source, guide, issues = open_local(pairs, annotator="tester")
    app = make_app(source, Settings(annotator="tester"), guide, load_issues=issues)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        view = app.screen.view
        pane = app.screen.query_one("#right" if view.swapped else "#left")
        # First screen: the size notice and the control-character warning, then the text
        # from its first character.
        rows = screen_rows(pane)
        assert "too long to render" in rows[0] and "invisible or control" in " ".join(rows[:4])
        first = next(n for n, row in enumerate(rows) if row.startswith(start[:3]))
        body = "".join(row.rstrip() for row in rows[first:])
        assert body.replace(" ", "").startswith(start.replace(" ", ""))
        await settle(pilot, pane)
        pane.focus()
        await pilot.press("end")
        await settle(pilot, pane)
        for _ in range(40):
            await pilot.pause()
            if pane.scroll_y >= pane.max_scroll_y:
                break
            await asyncio.sleep(0.05)
        assert pane.scroll_y == pane.max_scroll_y > 0
        rows = [row.rstrip() for row in screen_rows(pane) if row.strip()]
        assert tail(rows).endswith(end.replace(" ", "")), rows[-3:]
        # t flips the pane (a text this size stays raw either way) and keeps the place: the
        # end, once the new fold's estimated height is corrected.
        for title_says_raw in (True, False):
            await pilot.press("t")
            await settle(pilot, pane)
            assert ("raw" in str(pane.border_title)) is title_says_raw
            assert pane.scroll_y == pane.max_scroll_y
            rows = [row.rstrip() for row in screen_rows(pane) if row.strip()]
            assert tail(rows).endswith(end.replace(" ", "")), rows[-3:]
        await pilot.press("home")
        await pilot.pause()
        assert "too long to render" in screen_rows(pane)[0]
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.view.pair.id == "pair-001"
        await pilot.press("q")
    source.close()
