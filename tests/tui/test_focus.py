"""Which pane the reading keys act on is plain to see, and a new pair starts on the responses."""

from __future__ import annotations

import pytest

from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from tests.helpers import pair_record, write_pairs

LONG = "\n\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(60))
SIZES = [(80, 24), (160, 50)]


def _app(tmp_path, records):
    pairs = write_pairs(tmp_path / "pairs.jsonl", records)
    source, guide, _ = open_local(pairs, annotator="tester")
    return source, make_app(source, Settings(annotator="tester"), guide)


def _title(pane) -> str:
    return str(pane.border_title)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_after_expanding_the_prompt_the_next_pair_reads_from_the_responses(tmp_path, size):
    records = [pair_record(i, response_a=LONG, response_b=LONG) for i in range(3)]
    source, app = _app(tmp_path, records)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("c")  # the whole prompt
        await pilot.pause()
        await pilot.press("c")  # and back
        await pilot.pause()
        await pilot.press("2")  # a verdict: the next pair
        await pilot.pause()
        assert screen.view.pair.id == "pair-001"
        left = screen.query_one("#left")
        assert screen.focused is left
        await pilot.press("j", "space")
        await pilot.pause()
        assert left.scroll_y > 1  # j and space act on the response, not the prompt
        await pilot.press("c", "6")  # a verdict with the prompt still expanded
        await pilot.pause()
        assert screen.maximized is None and screen.focused is left
        await pilot.press("q")
    source.close()


async def test_the_focused_pane_is_marked_in_its_title(tmp_path):
    source, app = _app(tmp_path, [pair_record(0)])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        left, right = screen.query_one("#left"), screen.query_one("#right")
        assert _title(left).startswith("● ") and not _title(right).startswith("● ")
        await pilot.press("tab")
        await pilot.pause()
        assert _title(right).startswith("● ") and not _title(left).startswith("● ")
        assert "LEFT" in _title(left) and "RIGHT" in _title(right)
        await pilot.press("q")
    source.close()
