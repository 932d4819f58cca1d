"""Every scrollable view scrolls from the keyboard, at 80x24 and 160x50, with no resize first.

A pane whose lines are swapped in without a layout (the reader, a response after a short one)
kept Textual's "nothing to scroll" flag from before: j, k, space and the arrows did nothing
until the terminal was resized once. Each test here opens a view as a person would and presses
the keys its footer or the help promises.
"""

from __future__ import annotations

import pytest

from rankterm.config import Settings
from rankterm.guidelines import parse_guidelines
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from tests.helpers import pair_record, write_pairs

SIZES = [(80, 24), (160, 50)]
LONG = "\n\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(60))


def _app(tmp_path, records, guidelines_text: str | None = None, criteria=()):
    pairs = write_pairs(tmp_path / "pairs.jsonl", records)
    if guidelines_text is not None:
        (tmp_path / "guidelines.md").write_text(guidelines_text)
    source, guide, _ = open_local(pairs, annotator="tester")
    settings = Settings(annotator="tester", criteria=list(criteria))
    return source, guide, make_app(source, settings, guide)


def _long_guidelines() -> str:
    sections = [f"## Section {i}\ntags: s{i}\n\n" + "Rule text. " * 60 for i in range(30)]
    return "# Long guidelines\n\nRead all of this.\n\n" + "\n\n".join(sections)


async def _settle(pilot):
    await pilot.pause()
    await pilot.pause(0.05)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_guidelines_reader_scrolls_with_every_key_it_names(tmp_path, size):
    source, _, app = _app(tmp_path, [pair_record(0)], _long_guidelines())
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        await pilot.press("g")
        await _settle(pilot)
        pane = app.screen.query_one("#reader")
        assert pane.max_scroll_y > 0
        await pilot.press("j", "j", "j")
        await pilot.pause()
        assert pane.scroll_y == 3
        await pilot.press("k")
        await pilot.pause()
        assert pane.scroll_y == 2
        await pilot.press("down")
        await pilot.pause()
        assert pane.scroll_y == 3
        await pilot.press("up")
        await pilot.pause()
        assert pane.scroll_y == 2
        await pilot.press("space")
        await pilot.pause()
        paged = pane.scroll_y
        assert paged > 2 + pane.scrollable_content_region.height // 2
        await pilot.press("pagedown")
        await pilot.pause()
        assert pane.scroll_y > paged
        await pilot.press("pageup")
        await pilot.pause()
        assert pane.scroll_y == paged
        await pilot.press("end")
        await pilot.pause()
        assert pane.scroll_y == pane.max_scroll_y
        await pilot.press("home")
        await pilot.pause()
        assert pane.scroll_y == 0
        await pilot.press("escape", "q")
    source.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_long_response_after_a_short_one_scrolls(tmp_path, size):
    # Same prompt, short responses, then long ones: the second pair's lines arrive without a
    # layout (the prompt pane keeps its height), which is what left the pane unscrollable.
    records = [pair_record(0), pair_record(1, response_a=LONG, response_b=LONG)]
    source, _, app = _app(tmp_path, records)
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        await pilot.press("s")  # skip: the long pair comes up
        await _settle(pilot)
        assert app.screen.view.pair.id == "pair-001"
        left = app.screen.query_one("#left")
        right = app.screen.query_one("#right")
        await pilot.press("j", "j")
        await pilot.pause()
        assert left.scroll_y == 2
        await pilot.press("space")
        await pilot.pause()
        assert left.scroll_y > 2
        await pilot.press("tab")
        await pilot.press("j")
        await pilot.pause()
        assert app.screen.focused is right and right.scroll_y == 1
        await pilot.press("q")
    source.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_diff_view_scrolls(tmp_path, size):
    records = [pair_record(0, response_a=LONG, response_b=LONG.replace("Paragraph 3", "Part 3"))]
    source, _, app = _app(tmp_path, records)
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        await pilot.press("d")
        await _settle(pilot)
        left = app.screen.query_one("#left")
        await pilot.press("j", "j", "space")
        await pilot.pause()
        assert left.scroll_y > 2
        await pilot.press("q")
    source.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_help_scrolls(tmp_path, size):
    source, _, app = _app(tmp_path, [pair_record(0)])
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        await pilot.press("question_mark")
        await _settle(pilot)
        scroll = app.screen.query_one("#help-body")
        assert scroll.max_scroll_y > 0
        await pilot.press("j", "j")
        await pilot.pause()
        assert scroll.scroll_y == 2
        await pilot.press("k")
        await pilot.pause()
        assert scroll.scroll_y == 1
        await pilot.press("space")
        await pilot.pause()
        assert scroll.scroll_y > 1
        await pilot.press("home", "down")
        await pilot.pause()
        assert scroll.scroll_y == 1
        await pilot.press("escape", "q")
    source.close()


async def test_stats_scroll_at_80x24(tmp_path):
    records = [pair_record(i, gold={"choice": "A", "strength": 2}) for i in range(3)]
    source, _, app = _app(tmp_path, records)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("1", "2", "S")  # two keys: one key twice at once is a held key
        for _ in range(200):
            if app.screen.tables is not None:
                break
            await pilot.pause(0.05)
        await _settle(pilot)
        scroll = app.screen.query_one("#stats-body")
        assert scroll.max_scroll_y > 0
        await pilot.press("j")
        await pilot.pause()
        assert scroll.scroll_y == 1
        await pilot.press("k")
        await pilot.pause()
        assert scroll.scroll_y == 0
        await pilot.press("space")
        await pilot.pause()
        assert scroll.scroll_y > 0
        await pilot.press("escape", "q")
    source.close()


async def test_criteria_dialog_keeps_the_selected_row_on_screen(tmp_path):
    criteria = [f"criterion_{i:02d}" for i in range(30)]
    source, _, app = _app(tmp_path, [pair_record(0)], criteria=criteria)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("v")
        await _settle(pilot)
        body = app.screen.query_one("#criteria-body")
        assert body.max_scroll_y > 0
        for _ in range(25):
            await pilot.press("j")
        await _settle(pilot)
        # The selected row (the 26th) is inside the visible window of the scrolling body.
        table = app.screen.query_one("#criteria-table")
        row_y = table.region.y + 25 - body.scroll_offset.y
        assert body.scroll_y > 0
        assert body.region.y <= row_y < body.region.bottom
        await pilot.press("escape", "q")
    source.close()


def test_guidelines_fixture_is_long_enough():
    guide = parse_guidelines(_long_guidelines(), version="t")
    assert len(guide.sections) == 30


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_g_opens_the_guidelines_at_the_section_for_this_pair(tmp_path, size):
    # At 80x24 the guideline strip is folded away: g is the one-key peek at the section that
    # matches the pair, inside the whole document (home goes to the top).
    source, _, app = _app(tmp_path, [pair_record(0, tags=["s12"])], _long_guidelines())
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        await pilot.press("g")
        await _settle(pilot)
        pane = app.screen.query_one("#reader")
        top = pane.text.splitlines()[int(pane.scroll_y)]
        assert top.strip() == "Section 12"
        await pilot.press("home")
        await pilot.pause()
        assert pane.scroll_y == 0
        await pilot.press("escape", "q")
    source.close()
