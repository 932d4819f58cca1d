"""Reading aids: synchronized scrolling, the diff highlight, maximizing a pane."""

from __future__ import annotations

from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from tests.helpers import pair_record, write_pairs

LONG = "\n\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(40))


async def test_synchronized_scrolling_and_diff(tmp_path):
    pairs = write_pairs(
        tmp_path / "pairs.jsonl",
        [pair_record(0, response_a=LONG, response_b=LONG.replace("Paragraph 3:", "Section 3:"))],
    )
    source, guide, _ = open_local(pairs, annotator="tester")
    app = make_app(source, Settings(annotator="tester"), guide)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        left, right = app.screen.query_one("#left"), app.screen.query_one("#right")
        await pilot.press("j", "j", "j")
        await pilot.pause()
        assert left.scroll_y == 3 and right.scroll_y == 0  # independent by default
        await pilot.press("l", "space")
        await pilot.pause()
        assert left.scroll_y > 3
        assert abs(right.scroll_y / right.max_scroll_y - left.scroll_y / left.max_scroll_y) < 0.05
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.diff
        rendered = left.text
        assert "Paragraph 3:" in rendered and "Section 3:" not in rendered
        await pilot.press("m")
        assert app.screen.maximized is left
        await pilot.press("m", "q")
    source.close()
