"""Adjudication reads a pair the way annotation does (issue 14): ``t`` flips the focused pane
between rendered and raw text, and a multi-turn prompt opens at the turn being answered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rankterm.config import Settings
from rankterm.core.model import Choice, Judgment
from rankterm.guidelines import find_guidelines
from rankterm.sources.adjudication import open_local_desk
from rankterm.storage.journal import Journal
from rankterm.tui.app import make_adjudicate_app
from tests.helpers import pair_record, write_pairs

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "pairs.jsonl"
SIZES = [(80, 24), (160, 50)]
MULTI = [
    {"role": "system", "content": "You are a tutor.\n" + "Be kind.\n" * 12},
    {"role": "user", "content": "First question?"},
    {"role": "assistant", "content": "First answer.\n" * 10},
    {"role": "user", "content": "FINAL QUESTION: can you just tell me?"},
]


def contested(tmp_path: Path, records: list[dict]) -> tuple[Path, list[Path]]:
    """A pairs file and two journals that disagree on every pair."""
    pairs = write_pairs(tmp_path / "pairs.jsonl", records)
    journals = []
    for who, choice in (("ana", "A"), ("ben", "B")):
        path = tmp_path / f"{who}.jsonl"
        with Journal.open(path) as journal:
            for record in records:
                journal.append(
                    Judgment(
                        pair_id=record["id"],
                        annotator=who,
                        choice=Choice(choice),
                        strength=2,
                        rationale=f"{who} prefers {choice}.",
                    )
                )
        journals.append(path)
    return pairs, journals


def open_app(pairs: Path, journals: list[Path]):
    desk = open_local_desk(pairs, journals, adjudicator="expert")
    app = make_adjudicate_app(desk, Settings(annotator="expert"), find_guidelines(None, pairs))
    return desk, app


def pane_lines(pane) -> list[str]:
    return [line.rstrip() for line in pane.text.splitlines()]


async def test_t_flips_the_focused_pane_and_keeps_the_rationale(tmp_path):
    text = "# Title\n\nSome **bold** text"
    pairs, journals = contested(tmp_path, [pair_record(0, response_a=text, response_b=text)])
    desk, app = open_app(pairs, journals)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        left, right = screen.query_one("#left"), screen.query_one("#right")
        assert "**bold**" not in left.text
        await pilot.press("r", *"A is right", "ctrl+s")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert "# Title" in pane_lines(left) and "Some **bold** text" in pane_lines(left)
        assert "**bold**" not in right.text  # only the focused pane flipped
        assert "raw" in str(left.border_title) and "raw" not in str(right.border_title)
        assert screen.rationale == "A is right"  # painting raw is not a new case
        assert "A is right" in str(screen.query_one("#info").content)
        await pilot.press("tab", "t")
        await pilot.pause()
        assert "Some **bold** text" in pane_lines(right)
        await pilot.press("shift+tab", "t")  # back on A: rendered again
        await pilot.pause()
        assert "**bold**" not in left.text and "raw" not in str(left.border_title)
        # The decision still goes through, with the rationale written before the flips.
        await pilot.press("1")
        await pilot.pause()
        assert screen.case is None
        await pilot.press("q")
    desk.close()


async def test_raw_key_is_remappable_and_in_help(tmp_path):
    from rankterm.tui.keymap import ADJUDICATE_BINDINGS, binding_ids

    assert "adjudicate.raw" in binding_ids()
    assert any(b.id == "adjudicate.raw" for b in ADJUDICATE_BINDINGS)
    pairs, journals = contested(tmp_path, [pair_record(0, response_a="Some **bold** text")])
    desk = open_local_desk(pairs, journals, adjudicator="expert")
    settings = Settings(annotator="expert", keys={"adjudicate.raw": "ctrl+r"})
    app = make_adjudicate_app(desk, settings, find_guidelines(None, pairs))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.3)
        left = app.screen.query_one("#left")
        await pilot.press("t")
        await pilot.pause()
        assert "**bold**" not in left.text
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "Some **bold** text" in pane_lines(left)
        await pilot.press("q")
    desk.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_multi_turn_prompt_opens_at_the_last_user_turn(tmp_path, size):
    record = pair_record(0, messages=MULTI)
    del record["prompt"]
    pairs, journals = contested(tmp_path, [record])
    desk, app = open_app(pairs, journals)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.3)
        await pilot.pause(0.6)  # the title is marked once the pane is laid out
        screen = app.screen
        context = screen.query_one("#context")
        visible = context.scrollable_content_region.height
        rows = context.text.splitlines()
        top = int(context.scroll_y)
        shown = rows[top : top + visible]
        assert top > 0
        assert any("USER · turn 4" in row for row in shown), shown
        assert any("FINAL QUESTION" in row for row in shown), shown
        assert "earlier turns" in str(context.border_title)
        # Earlier turns are above: k scrolls up to them.
        context.focus()
        await pilot.press("k")
        assert context.scroll_y < top
        # Raw, the prompt still opens at the last user turn.
        await pilot.press("t")
        await pilot.pause(0.6)
        assert "raw" in str(context.border_title)
        top = int(context.scroll_y)
        shown = context.text.splitlines()[top : top + visible]
        assert any("FINAL QUESTION" in row for row in shown), shown
        await pilot.press("q")
    desk.close()


def sample(pair_id: str) -> dict:
    for line in SAMPLE.open(encoding="utf-8"):
        record = json.loads(line)
        if record["id"] == pair_id:
            record["priority"] = 0
            return record
    raise KeyError(pair_id)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_multi_turn_case_snapshot(snap_compare, tmp_path, size):
    pairs, journals = contested(tmp_path, [sample("mt-001")])
    desk, app = open_app(pairs, journals)

    async def settle(pilot):
        await pilot.pause(0.9)

    try:
        assert snap_compare(app, terminal_size=size, run_before=settle)
    finally:
        desk.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_raw_view_snapshot(snap_compare, tmp_path, size):
    pairs, journals = contested(tmp_path, [sample("code-001")])
    desk, app = open_app(pairs, journals)

    async def raw(pilot):
        await pilot.pause(0.3)
        await pilot.press("t")
        await pilot.pause(0.3)

    try:
        assert snap_compare(app, terminal_size=size, run_before=raw)
    finally:
        desk.close()
