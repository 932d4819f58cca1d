"""Per-criterion verdicts from the annotation screen (key v), driven through Pilot."""

from __future__ import annotations

import orjson

from rankterm.config import Settings
from rankterm.core.model import Choice, criteria_from_screen, criteria_on_screen
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from rankterm.tui.dialogs.criteria import CriteriaDialog
from tests.helpers import pair_record, write_pairs

CRITERIA = ["helpfulness", "harmlessness", "honesty"]


def test_screen_marks_convert_to_data_terms_both_ways():
    marks = {"helpfulness": "left", "harmlessness": "right", "honesty": "tie"}
    assert criteria_from_screen(marks, swapped=False) == {
        "helpfulness": Choice.A,
        "harmlessness": Choice.B,
        "honesty": Choice.TIE,
    }
    swapped = criteria_from_screen(marks, swapped=True)
    assert swapped == {"helpfulness": Choice.B, "harmlessness": Choice.A, "honesty": Choice.TIE}
    for flag in (False, True):
        assert criteria_on_screen(criteria_from_screen(marks, flag), flag) == marks


def judgments(path):
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return [r for r in rows if r.get("kind", "judgment") == "judgment" and "choice" in r]


async def test_criteria_marks_are_saved_in_data_terms_with_the_verdict(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(6)])
    journal = tmp_path / "pairs.judgments.jsonl"
    source, guide, issues = open_local(pairs, annotator="tester")
    settings = Settings(annotator="tester", criteria=CRITERIA)
    app = make_app(source, settings, guide, load_issues=issues)
    expected = {}
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for _ in range(3):  # enough pairs that both side orders come up
            view = app.screen.view
            await pilot.press("v")
            assert isinstance(app.screen, CriteriaDialog)
            # Row by row: left better, right better, both bad; then keep.
            await pilot.press("left", "6", "0", "enter")
            assert not isinstance(app.screen, CriteriaDialog)
            info = str(app.screen.query_one("#info").render())
            assert "criteria 3/3" in info
            a_side = "right" if view.swapped else "left"
            expected[view.pair.id] = {
                "helpfulness": "A" if a_side == "left" else "B",
                "harmlessness": "B" if a_side == "left" else "A",
                "honesty": "both_bad",
            }
            await pilot.press("4")
            await pilot.pause()
        # A new pair starts with no marks; esc cancels without keeping anything.
        assert "criteria 0/3" in str(app.screen.query_one("#info").render())
        await pilot.press("v", "right", "escape")
        assert "criteria 0/3" in str(app.screen.query_one("#info").render())
        await pilot.press("q")
    source.close()
    saved = {row["pair_id"]: row["criteria"] for row in judgments(journal)}
    assert saved == expected


async def test_without_criteria_the_key_explains_how_to_set_them(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(2)])
    source, guide, issues = open_local(pairs, annotator="tester")
    app = make_app(source, Settings(annotator="tester"), guide, load_issues=issues)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        assert not isinstance(app.screen, CriteriaDialog)
        assert any("No criteria" in str(n.message) for n in app._notifications)
        await pilot.press("q")
    source.close()
