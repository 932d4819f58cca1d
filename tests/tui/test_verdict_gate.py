"""The verdict gate on its own: keys before the paint are refused, a held key judges once."""

from __future__ import annotations

import time

from textual import events

from rankterm.tui.verdict_gate import HOLD_DELAY, REPEAT_GAP, Press, VerdictGate
from tests.tui.test_adjudicate import desk_files  # noqa: F401  (fixture)


def painted_gate(at: float = 10.0) -> VerdictGate:
    gate = VerdictGate()
    gate.shown(at - 0.01)
    gate.painted(at)
    return gate


def test_key_read_before_the_pair_was_painted_is_refused():
    gate = VerdictGate()
    gate.shown(1.0)
    assert gate.admit(Press("4", 1.2)).reason == "unseen"  # shown, not painted yet
    gate.painted(1.5)
    assert gate.admit(Press("6", 1.4)).reason == "unseen"  # read before the frame
    assert gate.admit(Press("6", 1.8)) is None


def test_a_frame_from_before_the_pair_was_shown_does_not_count():
    gate = VerdictGate()
    gate.shown(2.0)
    gate.painted(1.9)  # a Painted message of the previous pair, handled late
    assert gate.painted_at is None
    assert gate.admit(Press("4", 2.5)).reason == "unseen"


def test_burst_of_the_same_key_gives_one_verdict():
    gate = painted_gate(10.0)
    assert gate.admit(Press("4", 11.0)) is None
    gate.shown(11.01)
    gate.painted(11.02)
    first = gate.admit(Press("4", 11.0))
    assert first.reason == "repeat" and first.notice
    second = gate.admit(Press("4", 11.0))
    assert second.reason == "repeat" and second.notice is None  # told once per pair


def test_held_key_auto_repeat_gives_one_verdict():
    """Press, the keyboard's repeat delay (660 ms, X11's default), then 30 repeats a second."""
    gate = painted_gate(0.0)
    t = 1.0
    accepted = 0
    presses = [t] + [t + 0.66 + i / 30 for i in range(60)]
    for at in presses:
        if gate.admit(Press("4", at)) is None:
            accepted += 1
            gate.shown(at + 0.005)  # the next pair is painted long before the next repeat
            gate.painted(at + 0.01)
    assert accepted == 1
    # Released, then pressed again deliberately: it counts.
    assert gate.admit(Press("4", presses[-1] + REPEAT_GAP + 0.2)) is None


def test_same_key_on_the_next_pair_after_a_pause_counts():
    gate = painted_gate(0.0)
    assert gate.admit(Press("4", 1.0)) is None
    gate.shown(1.01)
    gate.painted(1.02)
    assert gate.admit(Press("4", 1.0 + HOLD_DELAY + 0.1)) is None


def test_a_refused_press_can_be_repeated_deliberately():
    gate = painted_gate(0.0)
    assert gate.admit(Press("4", 1.0)) is None
    gate.shown(1.01)
    gate.painted(1.02)
    assert gate.admit(Press("4", 1.3)).reason == "repeat"  # too soon: taken for a held key
    assert gate.admit(Press("4", 1.3 + REPEAT_GAP + 0.05)) is None


def test_actions_run_without_a_key_are_not_gated():
    assert VerdictGate().admit(None) is None


def test_textual_stamps_keys_with_the_clock_the_screen_uses():
    """The screen records 'shown' with time.monotonic; keys carry Textual's Message.time."""
    before = time.monotonic()
    key = events.Key("4", "4")
    after = time.monotonic()
    assert before <= key.time <= after


async def test_a_burst_of_decision_keys_resolves_only_the_case_on_screen(desk_files):  # noqa: F811
    """Adjudication: ``14`` read in one go resolves the case that was showing, not the next
    one, which was never painted when its key came."""
    from rankterm.storage.journal import read_journal, replay
    from tests.tui.test_adjudicate import open_app

    tui_data, journals = desk_files
    desk, app = open_app(tui_data, journals)
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(200):  # until the first case is on screen
            if app.screen.case is not None and app.screen.gate.painted_at is not None:
                break
            await pilot.pause(0.05)
        first = app.screen.case.pair.id
        app.post_message(events.Key("1", "1"))
        app.post_message(events.Key("4", "4"))
        await pilot.pause(0.5)
        await pilot.press("q")
    desk.close()
    settled = replay(read_journal(tui_data / "pairs.adjudications.jsonl")).latest_resolutions()
    assert list(settled) == [first]


def test_retrying_a_verdict_that_could_not_be_saved_is_a_new_press():
    gate = painted_gate(0.0)
    assert gate.admit(Press("1", 1.0)) is None
    gate.not_recorded()  # the disk was full; the pair stays on screen
    assert gate.admit(Press("1", 1.4)) is None


async def test_a_tag_key_read_after_a_verdict_key_does_not_tag_the_judged_pair(tmp_path):
    """``2h`` read in one go: the verdict judges the pair on screen with the tags set before
    it; the ``h`` was pressed after the verdict and tags neither that pair nor the next one
    (never painted when it was read)."""
    from rankterm.config import Settings
    from rankterm.sources.local import open_local
    from rankterm.storage.journal import read_journal
    from rankterm.tui.app import make_app
    from tests.helpers import pair_record, write_pairs

    path = write_pairs(tmp_path / "pairs.jsonl", [pair_record(0), pair_record(1)])
    source, guide, _ = open_local(path, annotator="typist")
    app = make_app(source, Settings(annotator="typist"), guide)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):
            if app.screen.view is not None and app.screen.gate.painted_at is not None:
                break
            await pilot.pause(0.02)
        app.post_message(events.Key("2", "2"))
        app.post_message(events.Key("h", "h"))
        for _ in range(100):
            await pilot.pause(0.02)
            if app.screen.view is not None and app.screen.view.pair.id == "pair-001":
                break
        await pilot.pause(0.2)
        assert "hallucination" not in app.screen.draft.tags
        await pilot.press("q")
    (verdict,) = list(read_journal(source.journal.path))
    source.close()
    assert verdict.pair_id == "pair-000" and verdict.tags == []
