"""The ranking screen through Textual's Pilot: comparisons by the pairwise verdict keys, the
strip, undo (u / z), the typed-order dialog, the re-ask of a contradiction, and a file with
pairs and rankings going from one screen to the other. Snapshots at 80x24 and 160x50."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rankterm.config import Settings
from rankterm.core.model import Comparison, Ranking, Retraction
from rankterm.sources.local import open_local
from rankterm.sources.ranking import RankSource
from rankterm.storage.journal import read_journal
from rankterm.tui.app import make_app
from rankterm.tui.verdict_gate import HOLD_DELAY

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
SIZES = [(80, 24), (160, 50)]


@pytest.fixture
def opened(tmp_path):
    made = []

    def build(name: str = "rank4.jsonl", records: list | None = None):
        path = tmp_path / name
        if records is None:
            shutil.copy(SAMPLES / name, path)
        else:
            path.write_text("".join(json.dumps(r) + "\n" for r in records))
        local, guide, _issues = open_local(path, annotator="snapshot")
        made.append(local)
        rank = RankSource(local) if local.pairs.rank_positions() else None
        app = make_app(local, Settings(annotator="snapshot"), guide, rank_source=rank)
        return app, local, rank

    yield build
    for local in made:
        local.close()


async def settle(pilot, app) -> None:
    """Let the question on screen be painted (verdict keys count only once it is)."""
    await pilot.pause()
    for _ in range(40):
        screen = app.screen
        gate = getattr(screen, "gate", None)
        if gate is None or gate.painted_at is not None:
            break
        await pilot.pause(0.05)
    await pilot.pause()


_last: list[str] = [""]


async def press(pilot, app, *keys: str) -> None:
    for key in keys:
        if key == _last[0] and key.isdigit():
            await pilot.pause(HOLD_DELAY)  # the same key again at once would be a held key
        if key.isdigit():
            _last[0] = key
        await pilot.press(key)
        await settle(pilot, app)


def journal(local) -> list:
    return list(read_journal(local.journal.path))


async def test_a_full_ranking_by_verdict_keys(opened):
    app, local, rank = opened()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert type(app.screen).__name__ == "RankScreen"
        first = rank.rank_view().task.id
        keys = 0
        while rank.rank_view() is not None and rank.rank_view().task.id == first:
            await press(pilot, app, "2")
            keys += 1
        assert keys <= 5
    rankings = [e for e in journal(local) if isinstance(e, Ranking)]
    assert len(rankings) == 1 and rankings[0].pair_id == first
    assert len(rankings[0].comparisons) == keys


async def test_undo_keys_and_both_bad_refused(opened):
    app, local, rank = opened()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        first = rank.rank_view().question
        await press(pilot, app, "6")
        assert rank.rank_view().asked == 1
        await press(pilot, app, "u")
        assert rank.rank_view().asked == 0 and rank.rank_view().question == first
        await press(pilot, app, "6", "z")
        assert rank.rank_view().asked == 0
        await press(pilot, app, "0")  # both bad: refused, nothing journaled
        assert rank.rank_view().asked == 0
        assert "unsafe_advice" not in app.screen.draft.tags  # u undoes, not the tag
    kinds = [type(e) for e in journal(local)]
    assert kinds == [Comparison, Retraction, Comparison, Retraction]


async def test_typed_order_hint_wraps_inside_the_dialog_at_80x24(opened):
    """The hint ("... Enter to check it against your comparisons, escape to cancel.") is
    longer than the dialog is wide at 80 columns: it wraps instead of being cut."""
    app, _, _ = opened()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "o")
        dialog = app.screen
        assert type(dialog).__name__ == "TypedOrderDialog"
        hint = dialog.query_one(".hint")
        box = hint.parent.content_region
        assert hint.region.right <= box.right and hint.region.x >= box.x
        assert hint.region.height >= 2
        lines = hint.render_lines(hint.region.reset_offset)
        shown = " ".join("".join(seg.text for seg in line).strip() for line in lines)
        assert "escape to cancel." in " ".join(shown.split())
        order = dialog.query_one("#order")
        assert order.region.y >= hint.region.bottom  # the input is below the whole hint


async def test_typed_order_that_agrees_finishes_the_task(opened):
    app, local, rank = opened()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        first = rank.rank_view().task.id
        await press(pilot, app, "o")
        assert type(app.screen).__name__ == "TypedOrderDialog"
        await press(pilot, app, "A", "B", "enter")  # not a full order: the dialog stays
        assert type(app.screen).__name__ == "TypedOrderDialog"
        assert "leaves out" in str(app.screen.query_one("#problem").render())
        await press(pilot, app, *["ctrl+u"], "3", "1", "=", "4", "2", "enter")
        assert type(app.screen).__name__ == "RankScreen"
        assert rank.rank_view().task.id != first
    ranking = next(e for e in journal(local) if isinstance(e, Ranking))
    assert ranking.typed and ranking.order == [[2], [0, 3], [1]]


async def reask_state(pilot, app, rank) -> None:
    """Two comparisons, then a typed order that reverses them: a re-ask is on screen."""
    await settle(pilot, app)
    await press(pilot, app, "2", "6")
    placed = rank.rank_view().placement.tiers
    reverse = "".join(chr(65 + t[0]) for t in reversed(placed))
    rest = [chr(65 + i) for i in range(4) if chr(65 + i) not in reverse]
    await press(pilot, app, "o", *reverse, *rest, "enter")


async def test_contradiction_is_reasked_side_by_side(opened):
    app, local, rank = opened()
    async with app.run_test(size=(120, 40)) as pilot:
        await reask_state(pilot, app, rank)
        view = rank.rank_view()
        assert view.question.recheck
        strip = str(app.screen.query_one("#strip").render())
        assert "AGAIN" in strip and "typed order says" in strip
        left = str(app.screen.query_one("#left").border_title)
        assert left.endswith(chr(65 + view.left))
        # siding with the comparisons sets the typed order aside
        implied_left = view.question.implied.value == ("A" if view.left == view.question.a else "B")
        await press(pilot, app, "2" if implied_left else "6")
        assert not rank.rank_view().question.recheck
    rechecks = [e for e in journal(local) if isinstance(e, Comparison) and e.recheck]
    assert len(rechecks) == 1


async def test_mixed_file_ranks_first_then_pairs(opened):
    records = [
        {"id": "p1", "prompt": "p", "response_a": "a", "response_b": "b"},
        {"id": "t1", "prompt": "q", "responses": ["x", "y", "z"]},
    ]
    app, local, _rank = opened("mixed.jsonl", records)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert type(app.screen).__name__ == "RankScreen"
        await press(pilot, app, "o", "C", "B", "A", "enter")
        await settle(pilot, app)
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "AnnotateScreen"
        assert app.screen.view.pair.id == "p1"
        await press(pilot, app, "2")
    kinds = [type(e).__name__ for e in journal(local)]
    assert kinds == ["Ranking", "Judgment"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_strip(snap_compare, opened, size):
    app, _, _rank = opened("rank6.jsonl")

    async def two(pilot):
        await settle(pilot, app)
        await press(pilot, app, "2", "6")

    assert snap_compare(app, terminal_size=size, run_before=two)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_reask(snap_compare, opened, size):
    app, _, rank = opened()

    async def reask(pilot):
        await reask_state(pilot, app, rank)

    assert snap_compare(app, terminal_size=size, run_before=reask)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_typed_order_dialog(snap_compare, opened, size):
    app, _, _ = opened()

    async def typed(pilot):
        await settle(pilot, app)
        await press(pilot, app, "o", "C", "A", "=", "enter")

    assert snap_compare(app, terminal_size=size, run_before=typed)


async def test_help_lists_the_ranking_keys(opened):
    app, _, _ = opened()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "question_mark")
        assert type(app.screen).__name__ == "HelpDialog"
        from rankterm.tui.dialogs.help import help_table

        listed = {b.id for b in app.screen._binding_list}
        assert {"rank.typed", "rank.undo", "verdict.tie"} <= listed
        assert "verdict.both_bad" not in listed
        help_table({}, [], app.screen._binding_list)  # renders
