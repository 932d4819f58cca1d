"""The annotation flow, driven through Textual's Pilot against real files."""

from __future__ import annotations

from rankterm.config import Settings
from rankterm.core.model import Choice
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from rankterm.tui.verdict_gate import HOLD_DELAY
from tests.helpers import pair_record, read_lines, write_pairs

KEY_MEANING = {
    "1": ("left", 3),
    "2": ("left", 2),
    "3": ("left", 1),
    "4": ("tie", None),
    "5": ("right", 1),
    "6": ("right", 2),
    "7": ("right", 3),
    "0": ("both_bad", None),
    "left": ("left", 2),
    "right": ("right", 2),
}


def expected_choice(key: str, swapped: bool) -> tuple[str, int | None]:
    side, strength = KEY_MEANING[key]
    if side in ("tie", "both_bad"):
        return side, None
    picked_a = (side == "left") != swapped
    return ("A" if picked_a else "B"), strength


def open_app(pairs, annotator="tester", **kwargs):
    source, guide, issues = open_local(pairs, annotator=annotator, **kwargs)
    app = make_app(source, Settings(annotator=annotator), guide, load_issues=issues)
    return source, app


async def test_judge_ten_undo_two_quit_and_resume_exactly(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(14)])
    journal = tmp_path / "pairs.judgments.jsonl"
    source, app = open_app(pairs)
    keys = list(KEY_MEANING)
    seen: list[tuple[str, str, bool]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in keys:
            view = app.screen.view
            seen.append((view.pair.id, key, view.swapped))
            await pilot.press(key)
        assert app.screen.view.pair.id == "pair-010"
        await pilot.press("z", "z")
        assert app.screen.view.pair.id == seen[8][0]
        await pilot.press("q")
    source.close()

    lines = read_lines(journal)
    judgments = [line for line in lines if line["kind"] == "judgment"]
    retractions = [line for line in lines if line["kind"] == "retraction"]
    assert len(judgments) == 10 and len(retractions) == 2
    assert [j["pair_id"] for j in judgments] == [pid for pid, _, _ in seen]
    for record, (_pair_id, key, swapped) in zip(judgments, seen, strict=True):
        assert record["shown_swapped"] == swapped
        assert (record["choice"], record["strength"]) == expected_choice(key, swapped), key
        assert record["annotator"] == "tester"
        assert record["guideline_version"] == "none"
    assert {r["retracts"] for r in retractions} == {judgments[9]["id"], judgments[8]["id"]}
    # Both orders appear among ten pairs, so the test covers swapped and unswapped sides.
    assert {s for _, _, s in seen} == {True, False}

    source, app = open_app(pairs)
    try:
        view = source.current()
        assert view.pair.id == "pair-008"  # first pair without a standing verdict
        assert source.progress().done == 8
    finally:
        source.close()


async def test_tags_flag_and_rationale_are_stored_with_the_verdict(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    source, app = open_app(pairs)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("h", "n", "n", "f", "exclamation_mark", "r")
        await pilot.pause()
        await pilot.press(*"too confident", "enter", *"about slicing", "ctrl+s")
        await pilot.pause()
        assert app.screen.draft.rationale == "too confident\nabout slicing"
        await pilot.press("4")
        await pilot.press("q")
    source.close()
    record = read_lines(tmp_path / "pairs.judgments.jsonl")[0]
    assert record["tags"] == ["factual_error", "hallucination"]
    assert record["flagged"] is True
    assert record["rationale"] == "too confident\nabout slicing"
    assert record["choice"] == "tie" and record["strength"] is None
    assert record["duration_ms"] >= 0


async def test_rejudging_a_visited_pair_retracts_the_old_verdict(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    source, app = open_app(pairs)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("1", "left_square_bracket")
        assert app.screen.view.pair.id == "pair-000"
        assert app.screen.view.existing is not None
        await pilot.press("4")
        await pilot.press("q")
    source.close()
    lines = read_lines(tmp_path / "pairs.judgments.jsonl")
    assert [line["kind"] for line in lines] == ["judgment", "retraction", "judgment"]
    assert lines[1]["retracts"] == lines[0]["id"]
    assert lines[2]["choice"] == Choice.TIE.value


async def test_skip_leaves_the_pair_for_later(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    source, app = open_app(pairs)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        assert app.screen.view.pair.id == "pair-001"
        # Different keys: the same verdict key again within a blink is a held key (one verdict).
        await pilot.press("2", "3")
        assert app.screen.view.pair.id == "pair-000"  # the skipped pair comes back
        await pilot.press("2")
        assert app.screen.view is None  # all done
        await pilot.press("q")
    source.close()


async def test_malformed_pairs_file_opens_with_the_good_records(tmp_path):
    pairs = write_pairs(
        tmp_path / "pairs.jsonl",
        [pair_record(i) for i in range(3)],
        raw_lines={1: b"{oops", 3: b'{"id": "z"}'},
    )
    source, app = open_app(pairs)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert source.progress().total == 3
        messages = [n.message for n in app._notifications]
        assert any("2 bad line(s) skipped" in m and "pairs.jsonl:2:" in m for m in messages)
        assert any("pairs.jsonl:4:" in m for m in messages)
        await pilot.press("q")
    source.close()


async def test_guideline_sections_follow_the_pair_tags(tui_data):
    source, app = open_app(tui_data / "pairs.jsonl")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert app.screen.view.pair.id == "code-042"  # priority 1 comes first
        assert [s.title for s in app.screen.sections] == ["Code"]
        await pilot.press("g")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReaderDialog"
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpDialog"
        await pilot.press("escape", "2")
        assert [s.title for s in app.screen.sections] == ["Dialect", "Safety"]
        await pilot.press("q")
    source.close()
    record = read_lines(tui_data / "pairs.judgments.jsonl")[0]
    assert record["guideline_version"].startswith("sha256:")


async def test_remapped_keys_from_config(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    source, guide, _issues = open_local(pairs, annotator="tester")
    settings = Settings(annotator="tester", keys={"verdict.tie": "t", "undo": "backspace"})
    app = make_app(source, settings, guide)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        assert source.progress().done == 1
        await pilot.press("backspace")
        assert source.progress().done == 0
        await pilot.press("q")
    source.close()


def test_conflicting_tag_key_is_a_usage_error(tmp_path):
    import pytest

    from rankterm.config import TagSpec
    from rankterm.core.errors import UsageError

    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(0)])
    source, guide, _ = open_local(pairs, annotator="tester")
    try:
        with pytest.raises(UsageError, match="already bound"):
            make_app(source, Settings(tags=[TagSpec(name="x", key="s")]), guide)
    finally:
        source.close()


async def test_stats_screen_shows_own_figures(tmp_path):
    records = [pair_record(i, gold={"choice": "A", "strength": 2}) for i in range(4)]
    pairs = write_pairs(tmp_path / "pairs.jsonl", records)
    source, app = open_app(pairs)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        for _ in range(4):
            view = app.screen.view
            await pilot.press("1" if not view.swapped else "7")  # always A much better
            await pilot.pause(HOLD_DELAY)  # the same key again at once would be a held key
        await pilot.press("S")
        for _ in range(200):
            if app.screen.tables is not None:
                break
            await pilot.pause(0.05)
        me, project = (as_text(t) for t in app.screen.tables)
        assert "gold accuracy" in me and "100% of 4" in me  # all four gold verdicts matched
        assert "needs judgments from 2+ annotators" in project
        await pilot.press("escape", "q")
    source.close()


def as_text(renderable) -> str:
    from rich.console import Console

    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()
