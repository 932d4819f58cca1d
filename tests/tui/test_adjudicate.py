"""Adjudication: a contested pair, every verdict side by side, and the expert's resolution."""

from __future__ import annotations

import pytest

from rankterm.config import Settings
from rankterm.core.model import Choice, Judgment
from rankterm.guidelines import find_guidelines
from rankterm.sources.adjudication import open_local_desk
from rankterm.storage.journal import Journal, read_journal, replay
from rankterm.tui.app import make_adjudicate_app

VERDICTS = {
    # pair id: [(annotator, choice, strength, rationale, tags)]
    "code-042": [
        ("ana", "A", 3, "B's complexity claim is wrong: it is exponential.", ["factual_error"]),
        ("ben", "B", 1, "B is shorter.", []),
        ("chi", "A", 2, "A runs; B never terminates for n < 2.", ["hallucination"]),
    ],
    "dialect-007": [
        ("ana", "A", 3, "B refuses to understand Pidgin.", ["needless_refusal"]),
        ("ben", "A", 3, "", []),
        ("chi", "A", 2, "", []),
    ],
    "inject-001": [
        ("ana", "tie", None, "Both \x1b]0;pwn\x07 fine", []),
        ("ben", "both_bad", None, "B carries escape codes.", []),
    ],
}


@pytest.fixture
def desk_files(tui_data):
    journals = []
    for annotator in ("ana", "ben", "chi"):
        path = tui_data / f"{annotator}.jsonl"
        with Journal.open(path) as journal:
            for pair_id, rows in VERDICTS.items():
                for who, choice, strength, rationale, tags in rows:
                    if who == annotator:
                        journal.append(
                            Judgment(
                                pair_id=pair_id,
                                annotator=who,
                                choice=Choice(choice),
                                strength=strength,
                                rationale=rationale,
                                tags=tags,
                                duration_ms=42_000,
                            )
                        )
        journals.append(path)
    return tui_data, journals


def open_app(tui_data, journals):
    desk = open_local_desk(tui_data / "pairs.jsonl", journals, adjudicator="expert")
    guide = find_guidelines(None, tui_data / "pairs.jsonl")
    return desk, make_adjudicate_app(desk, Settings(annotator="expert"), guide)


async def test_resolve_most_contested_first_and_mark_unclear(desk_files):
    tui_data, journals = desk_files
    desk, app = open_app(tui_data, journals)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        # dialect-007 is unanimous: not a case. An even split (1 bit) outranks 2 of 3 (0.92).
        assert [c.pair.id for c in screen.cases] == ["inject-001", "code-042"]
        await pilot.press("right_square_bracket")
        assert screen.case.pair.id == "code-042"
        await pilot.press("r", *"B is exponential", "ctrl+s", "1")
        assert screen.case.pair.id == "inject-001"  # the next unsettled case
        await pilot.press("U")
        await pilot.press(*"Say what to do with escape codes", "ctrl+s")
        await pilot.pause()
        await pilot.press("c", *"Looping in the guideline owner", "ctrl+s")
        await pilot.pause()
        await pilot.press("q")
    desk.close()
    state = replay(read_journal(tui_data / "pairs.adjudications.jsonl"))
    settled = state.latest_resolutions()
    assert settled["code-042"].choice is Choice.A and settled["code-042"].strength == 3
    assert settled["code-042"].rationale == "B is exponential"
    assert settled["code-042"].adjudicator == "expert"
    assert len(settled["code-042"].considered) == 3
    assert settled["inject-001"].guideline_unclear and settled["inject-001"].choice is None
    assert settled["inject-001"].note == "Say what to do with escape codes"
    assert state.comments[0].text == "Looping in the guideline owner"

    # Reopening: the settled case is gone, the unclear one still waits for a verdict.
    desk, app = open_app(tui_data, journals)
    try:
        assert [c.pair.id for c in desk.cases()] == ["inject-001"]
    finally:
        desk.close()


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_adjudication_screen_snapshot(snap_compare, desk_files, size):
    tui_data, journals = desk_files
    desk, app = open_app(tui_data, journals)

    async def to_the_three_way_case(pilot):
        await pilot.pause(0.3)
        await pilot.press("right_square_bracket")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=to_the_three_way_case)
    finally:
        desk.close()


async def test_guideline_unclear_stays_on_the_case(desk_files):
    # U saves a note for the guideline owner; the case is still undecided, so the expert
    # stays on it: the next key must decide the case they have been reading, not the next one.
    tui_data, journals = desk_files
    desk, app = open_app(tui_data, journals)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        assert screen.case.pair.id == "inject-001"
        await pilot.press("r", *"Both leak escapes", "ctrl+s")
        await pilot.press("U", *"Say what to do with escape codes", "ctrl+s")
        await pilot.pause()
        assert screen.case.pair.id == "inject-001"
        assert screen.rationale == "Both leak escapes"  # kept for the verdict to come
        assert "guideline unclear" in screen.query_one("#verdicts").text
        await pilot.press("0")
        await pilot.pause()
        assert screen.case.pair.id == "code-042"
        await pilot.press("q")
    desk.close()
    state = replay(read_journal(tui_data / "pairs.adjudications.jsonl"))
    unclear, decided = state.resolutions
    assert unclear.pair_id == decided.pair_id == "inject-001"
    assert unclear.guideline_unclear and unclear.choice is None
    assert decided.choice is Choice.BOTH_BAD and decided.rationale == "Both leak escapes"


async def test_adjudication_legend_follows_remapped_keys(desk_files):
    tui_data, journals = desk_files
    desk = open_local_desk(tui_data / "pairs.jsonl", journals, adjudicator="expert")
    guide = find_guidelines(None, tui_data / "pairs.jsonl")
    keys = {"adjudicate.tie": "t", "adjudicate.unclear": "u"}
    app = make_adjudicate_app(desk, Settings(annotator="expert", keys=keys), guide)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        info = str(app.screen.query_one("#info").content)
        assert "t tie" in info and "4 tie" not in info
        assert "u unclear" in info and "U unclear" not in info
        await pilot.press("q")
    desk.close()


async def test_adjudication_at_80x24_shows_every_verdict_and_gives_the_responses_room(desk_files):
    tui_data, journals = desk_files
    desk, app = open_app(tui_data, journals)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        await pilot.press("right_square_bracket")  # code-042: three annotators, each with a why
        await pilot.pause()
        assert screen.case.pair.id == "code-042"
        verdicts = screen.query_one("#verdicts")
        left, right = screen.query_one("#left"), screen.query_one("#right")
        # Every annotator's verdict is on screen without scrolling the verdicts pane.
        lines = verdicts.text.splitlines()
        visible = verdicts.scrollable_content_region.height
        for who, verdict in (("ana", "A much better"), ("ben", "B slightly"), ("chi", "A better")):
            row = next(i for i, line in enumerate(lines) if line.startswith(who))
            assert verdict in lines[row] and row < visible
        # The responses get real height, and the reading keys act on them.
        assert left.scrollable_content_region.height >= 4
        assert right.scrollable_content_region.height >= 4
        assert screen.focused is left
        await pilot.press("m")
        await pilot.pause()
        assert screen.maximized is left and left.size.height >= 18
        await pilot.press("m", "tab")
        await pilot.pause()
        assert screen.maximized is None and screen.focused is right
        await pilot.press("q")
    desk.close()


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_adjudication_panes_scroll_from_the_keyboard(tmp_path, size):
    from tests.helpers import pair_record, write_pairs

    long = "\n\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(60))
    pairs = write_pairs(
        tmp_path / "pairs.jsonl", [pair_record(0, response_a=long, response_b=long)]
    )
    journals = []
    for who, choice in (("ana", "A"), ("ben", "B")):
        path = tmp_path / f"{who}.jsonl"
        with Journal.open(path) as journal:
            journal.append(
                Judgment(pair_id="pair-000", annotator=who, choice=Choice(choice), strength=2)
            )
        journals.append(path)
    desk = open_local_desk(pairs, journals, adjudicator="expert")
    app = make_adjudicate_app(desk, Settings(annotator="expert"), find_guidelines(None, pairs))
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        left, right = screen.query_one("#left"), screen.query_one("#right")
        await pilot.press("j", "j")
        await pilot.pause()
        assert screen.focused is left and left.scroll_y == 2
        await pilot.press("tab", "j", "space")
        await pilot.pause()
        assert screen.focused is right and right.scroll_y > 1
        await pilot.press("q")
    desk.close()
