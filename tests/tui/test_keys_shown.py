"""What the screens say about keys is true: legends, the key bar and help follow the config's
remapped keys, every tag key is on screen at 80x24, and help names each binding's id."""

from __future__ import annotations

import pytest

from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from tests.helpers import pair_record, write_pairs

SIZES = [(80, 24), (160, 50)]


def _text(widget) -> str:
    return str(widget.content)


def _app(tmp_path, keys=None):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    source, guide, _ = open_local(pairs, annotator="tester")
    return source, make_app(source, Settings(annotator="tester", keys=keys or {}), guide)


def _help_text(screen) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(screen.query_one("#help-body").query_one("Static").content)
    return console.export_text()


async def test_legend_key_bar_and_help_follow_remapped_keys(tmp_path):
    source, app = _app(tmp_path, {"verdict.tie": "t", "skip": "minus", "undo": "backspace"})
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        legend = _text(screen.query_one("#legend"))
        assert " t tie" in legend and "4 tie" not in legend
        keys = _text(screen.query_one("#keys"))
        assert "- skip" in keys and "s skip" not in keys
        assert "⌫ undo" in keys and "z undo" not in keys
        await pilot.press("t")  # the remapped key works too
        await pilot.pause()
        assert screen.view.pair.id == "pair-001"
        await pilot.press("question_mark")
        await pilot.pause()
        shown = _help_text(app.screen)
        tie_row = next(line for line in shown.splitlines() if line.rstrip().endswith("verdict.tie"))
        assert tie_row.split()[0] == "t"
        assert "stats" in shown and "question_mark" not in shown
        for binding_id in ("verdict.left_much", "skip", "undo", "guidelines", "help", "quit"):
            assert binding_id in shown
        await pilot.press("escape", "q")
    source.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_essential_key_is_on_screen_in_full(tmp_path, size):
    source, app = _app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        shown = _text(screen.query_one("#legend")) + " " + _text(screen.query_one("#keys"))
        assert "…" not in shown
        for key_and_word in (
            "1 L≫",
            "4 tie",
            "7 R≫",
            "0 both bad",
            "s skip",
            "z undo",
            "! flag",
            "? help",
            "g guide",
        ):
            assert key_and_word in shown, key_and_word
        assert "r why" in shown or "r rationale" in shown
        for tag in app.settings.tags:
            assert f" {tag.key} " in f" {shown} ", tag.key
        width = size[0]
        assert len(_text(screen.query_one("#legend"))) <= width
        assert len(_text(screen.query_one("#keys"))) <= width
        await pilot.press("q")
    source.close()


async def test_the_all_done_screen_names_the_keys_as_remapped(tmp_path):
    keys = {"undo": "backspace", "prev": "comma", "quit": "Q"}
    source, app = _app(tmp_path, keys)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # Three different keys: the same verdict key at once again would be a held key.
        await pilot.press("1", "2", "3")
        await pilot.pause()
        done = app.screen.query_one("#context").text
        assert "All done" in done
        assert "⌫ undo" in done and ", review" in done and "Q quit" in done
        assert "z undo" not in done and "q quit" not in done
        await pilot.press("Q")
    source.close()


async def test_the_raw_key_is_in_the_wide_key_line_as_remapped(tmp_path):
    """The raw/rendered toggle is not essential: shown where the line has room (160
    columns), under the key it is remapped to, and that key flips the pane."""
    source, app = _app(tmp_path, {"raw": "ctrl+r"})
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        keys = _text(screen.query_one("#keys"))
        assert "^r raw" in keys and "t raw" not in keys
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "raw" in str(screen.query_one("#left").border_title)
        await pilot.press("q")
    source.close()
