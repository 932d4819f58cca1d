"""Text that reaches the app in one burst (a paste, keys batched by SSH) and ends with ctrl+s
is saved whole, in every editor: rationale, U note and comment when adjudicating.

The keys are posted to the app all at once, as the driver does when it reads a burst from the
terminal; ``pilot.press`` would wait for the app to go idle after each key and hide the race.
"""

from __future__ import annotations

from textual import events

from rankterm.storage.journal import read_journal, replay
from tests.helpers import pair_record, write_pairs
from tests.tui.test_adjudicate import desk_files, open_app  # noqa: F401  (fixture)
from tests.tui.test_annotate import open_app as open_annotate_app

TEXT = "the second response invents a citation and the first one does not " * 6


def burst(app, text: str) -> None:
    """Every character, then ctrl+s, queued in one go as the driver queues a burst."""
    for char in text:
        key = "space" if char == " " else char
        app.post_message(events.Key(key, char))
    app.post_message(events.Key("ctrl+s", None))


async def test_rationale_typed_in_one_burst_is_saved_whole(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(2)])
    source, app = open_annotate_app(pairs)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        burst(app, TEXT)
        await pilot.pause(0.5)
        assert app.screen.draft.rationale == TEXT.strip()
        await pilot.press("q")
    source.close()


async def test_unclear_note_and_comment_typed_in_one_burst_are_saved_whole(desk_files):  # noqa: F811
    tui_data, journals = desk_files
    desk, app = open_app(tui_data, journals)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("U")
        await pilot.pause()
        burst(app, TEXT)
        await pilot.pause(0.5)
        await pilot.press("c")
        await pilot.pause()
        burst(app, TEXT[::-1].strip())
        await pilot.pause(0.5)
        await pilot.press("q")
    desk.close()
    state = replay(read_journal(tui_data / "pairs.adjudications.jsonl"))
    [unclear] = [r for r in state.resolutions if r.guideline_unclear]
    assert unclear.note == TEXT.strip()
    assert state.comments[0].text == TEXT[::-1].strip()
