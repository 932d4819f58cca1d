"""What the model wrote, exactly, on the ranking screen: the same inert rendering and lazy
folding as the pairwise screen (tests/tui/test_fidelity.py, test_huge_lines.py), for the
candidates, the task id in the titles, the typed-order dialog's previews and a long
conversation. Driven through Pilot at 80x24 and 160x50."""

from __future__ import annotations

import time

import pytest

from rankterm.config import Settings
from rankterm.core.model import RankTask
from rankterm.sources.local import open_local
from rankterm.sources.ranking import RankSource
from rankterm.tui.app import make_app
from rankterm.tui.dialogs.typed_order import candidate_lines
from tests.helpers import write_pairs

HOSTILE = (
    "start \x1b]52;c;aGFja2Vk\x07 clip \x1b[31mRED\x1b[0m \x9b31m c1 "
    "pass\u200bword \u202eevil\u202c tag\U000e0041 end"
)
HUGE = "abcdefghij " * 857_000 + "THE LAST WORDS\x1b[0m"  # 9.4 MB on one line


def rank_record(task_id: str, responses: list[str], **extra) -> dict:
    return {
        "id": task_id,
        "prompt": "Which answer is best?",
        "responses": [{"content": c, "model": f"m{i}"} for i, c in enumerate(responses)],
        **extra,
    }


def open_rank(tmp_path, records):
    path = write_pairs(tmp_path / "rank.jsonl", records)
    local, guide, _ = open_local(path, annotator="reader")
    rank = RankSource(local)
    app = make_app(local, Settings(annotator="reader"), guide, rank_source=rank)
    return local, rank, app


async def painted(pilot, app, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.05)):
        gate = getattr(app.screen, "gate", None)
        if gate is not None and gate.painted_at is not None:
            return
        await pilot.pause(0.05)
    raise AssertionError("the question was never painted")


def shown(app, side: str) -> str:
    return app.screen.query_one(f"#{side}").text


def _no_raw_controls(text: str) -> None:
    for bad in ("\x1b", "\x9b", "\x07", "\u200b", "\u202e", "\U000e0041"):
        assert bad not in text, f"{bad!r} reached the screen"


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_escape_and_invisible_characters_are_inert_in_every_candidate(tmp_path, size):
    task_id = "t\x1b]0;retitled\x07\u202eid"
    local, rank, app = open_rank(
        tmp_path, [rank_record(task_id, [HOSTILE, HOSTILE + " two", HOSTILE + " three"])]
    )
    async with app.run_test(size=size) as pilot:
        await painted(pilot, app)
        for side in ("left", "right"):
            text = shown(app, side)
            _no_raw_controls(text)
            assert "␛]52;c;aGFja2Vk" in text and "pass<U+200B>word" in text
            assert "<U+202E>evil<U+202C>" in text and "<U+E0041>" in text
        for side in ("context", "left", "right"):
            title = str(app.screen.query_one(f"#{side}").border_title)
            _no_raw_controls(title)
        assert "<U+202E>" in str(app.screen.query_one("#context").border_title)
        await pilot.press("o")  # the typed-order dialog previews every candidate
        await pilot.pause()
        preview = candidate_lines(rank.rank_view().task).plain
        _no_raw_controls(preview)
        assert "␛]52;c;aGFja2Vk" in preview
        await pilot.press("escape", "q")
    local.close()


async def test_a_9mb_candidate_opens_folds_lazily_and_the_ranking_goes_on(tmp_path):
    local, rank, app = open_rank(
        tmp_path, [rank_record("big", [HUGE, HUGE + " two", "A short answer."])]
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await painted(pilot, app)
        view = rank.rank_view()
        sides = {view.left: "left", view.right: "right"}
        huge = [side for i, side in sides.items() if i in (0, 1)]
        assert huge  # two of the three are huge: at least one is on screen
        for side in huge:
            pane = app.screen.query_one(f"#{side}")
            first = "".join(s.text for s in pane._lines[0])
            assert "raw" in first  # the size notice, as on the pairwise screen
        before = view.asked
        await pilot.press("2")
        for _ in range(200):
            if rank.rank_view() is None or rank.rank_view().asked > before:
                break
            await pilot.pause(0.05)
        assert rank.rank_view() is None or rank.rank_view().asked == before + 1
        await pilot.press("q")
    local.close()


def test_the_typed_order_preview_reads_only_the_head_of_each_candidate():
    """Nine 9 MB candidates: the dialog opens on the event loop, so its previews must not
    read (and make inert, and split) 85 MB of text to show 60 characters of each."""
    task = RankTask(id="t", prompt="p", responses=[HUGE] * 9)
    start = time.perf_counter()
    text = candidate_lines(task)
    took = time.perf_counter() - start
    assert text.plain.splitlines()[0] == "A " + ("abcdefghij " * 6)[:60] + "…"
    assert took < 0.1, f"the preview took {took:.2f} s"


def test_the_typed_order_preview_keeps_what_the_head_shows():
    task = RankTask(
        id="t",
        prompt="p",
        responses=["   \n\n  leading blanks\tthen words", "x" * 70, "\x1b[2J" + "y" * 3],
    )
    lines = candidate_lines(task).plain.splitlines()
    assert lines[0] == "A leading blanks then words"
    assert lines[1] == "B " + "x" * 60 + "…"
    assert lines[2] == "C ␛[2Jyyy"


async def test_a_long_conversation_opens_at_the_last_user_turn(tmp_path):
    messages = []
    for turn in range(200):
        messages.append({"role": "user", "content": f"question {turn}\n" + "filler\n" * 5})
        messages.append({"role": "assistant", "content": f"answer {turn}\n" + "more\n" * 5})
    messages.append({"role": "user", "content": "FINAL QUESTION: which is best?"})
    record = rank_record("conv", ["one", "two", "three"], messages=messages)
    del record["prompt"]
    local, _, app = open_rank(tmp_path, [record])
    async with app.run_test(size=(80, 24)) as pilot:
        await painted(pilot, app)
        context = app.screen.query_one("#context")
        visible = context.scrollable_content_region.height
        rows = context.text.splitlines()
        top = int(context.scroll_y)
        assert any("FINAL QUESTION" in row for row in rows[top : top + visible])
        await pilot.press("q")
    local.close()
