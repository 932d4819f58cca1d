"""Tags on one response: a tag's key with shift tags the focused response pane (Tab moves),
stored in A/B terms whichever side the response is shown on; the plain key still tags the pair."""

from __future__ import annotations

import pytest

from rankterm.config import Settings
from rankterm.sources.base import Draft, toggle_tag, toggle_tag_side
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from tests.helpers import pair_record, read_lines, write_pairs

SIZES = [(80, 24), (160, 50)]


def open_app(pairs):
    source, guide, issues = open_local(pairs, annotator="rita")
    return source, make_app(source, Settings(annotator="rita"), guide, load_issues=issues)


def test_toggle_tag_side_cycle() -> None:
    d = toggle_tag_side(Draft(), "toxicity", "A")
    assert d.tags == {"toxicity"} and d.tag_sides == {"toxicity": "A"}
    d = toggle_tag_side(d, "toxicity", "B")
    assert d.tag_sides == {"toxicity": "both"}
    d = toggle_tag_side(d, "toxicity", "A")
    assert d.tag_sides == {"toxicity": "B"}
    d = toggle_tag_side(d, "toxicity", "B")
    assert d.tags == set() and d.tag_sides == {}
    d = toggle_tag_side(toggle_tag(Draft(), "bias"), "bias", "B")  # pair-level -> one side
    assert d.tag_sides == {"bias": "B"}
    d = toggle_tag(d, "bias")  # the plain key takes the tag off, side and all
    assert d.tags == set() and d.tag_sides == {}


async def test_shift_tag_marks_the_focused_response_in_data_terms(tmp_path) -> None:
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(6)])
    source, app = open_app(pairs)
    seen = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for verdict in ("4", "0", "2", "6"):  # one key twice in a row would be a held key
            view = app.screen.view
            # Focus stays on the response pane the last pair ended on: start from the left.
            app.screen.query_one("#left").focus()
            # X on the left pane, Tab to the right pane, P there; h: the pair as a whole.
            await pilot.press("X", "tab", "P", "h")
            await pilot.pause()
            assert "toxicity (left)" in str(app.screen.query_one("#info").render())
            seen.append(view.swapped)
            await pilot.press(verdict)
            for _ in range(50):  # the next pair is up before its keys count
                await pilot.pause(0.05)
                if app.screen.view is not view:
                    break
        await pilot.press("tab", "tab", "X")  # focus on a pane that is not a response
        await pilot.pause()
        assert app.screen.draft.tags == set()
        assert any("Focus a response pane" in n.message for n in app._notifications)
        await pilot.press("q")
    source.close()
    judgments = [
        r for r in read_lines(tmp_path / "pairs.judgments.jsonl") if r["kind"] == "judgment"
    ]
    assert len(judgments) == 4 and set(seen) == {True, False}
    for record, swapped in zip(judgments, seen, strict=True):
        left, right = ("B", "A") if swapped else ("A", "B")
        assert record["tags"] == ["hallucination", "privacy_leak", "toxicity"]
        assert record["tag_sides"] == {"toxicity": left, "privacy_leak": right}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sided_tags_snapshot(snap_compare, tui_data, size) -> None:
    source, guide, issues = open_local(tui_data / "pairs.jsonl", annotator="snapshot")
    try:
        app = make_app(source, Settings(annotator="snapshot"), guide, load_issues=issues)
        assert snap_compare(app, terminal_size=size, press=["X", "tab", "X", "P", "b"])
    finally:
        source.close()
