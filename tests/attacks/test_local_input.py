"""A fast typist on a real pty: what arrives in one burst is neither cut nor over-counted.

Each test starts the real CLI on a pseudo-terminal and writes a burst with a single ``write``
(what a paste, or keys batched by SSH, look like to the program), then reads the journal.
"""

from __future__ import annotations

import random
import string
import time
from pathlib import Path

import pytest

from rankterm.storage.journal import read_journal, replay
from tests.helpers import pair_record, write_pairs
from tests.tui.ptyrun import PtyApp, annotate_args

SIZE = (120, 40)
ANNOTATOR = "typist"


def burst_text(length: int, seed: int) -> str:
    """Printable text with spaces, starting and ending on a letter (rationales are stripped)."""
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + " .,;:-"
    middle = "".join(rng.choice(alphabet) for _ in range(length - 2))
    return "S" + middle + "E"


def start(tmp_path: Path, count: int = 6) -> tuple[PtyApp, Path]:
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(count)])
    journal = tmp_path / "judgments.jsonl"
    app = PtyApp(annotate_args(pairs, journal, ANNOTATOR), size=SIZE)
    app.wait_for(b"pair-000", timeout=60)
    return app, journal


def judged(journal: Path):
    return replay(read_journal(journal)).active(ANNOTATOR)


def quit_and_wait(app: PtyApp) -> None:
    app.send(b"q")
    app.wait_exit(timeout=30)


def test_text_pasted_and_saved_in_one_write_is_stored_whole(tmp_path):
    app, journal = start(tmp_path)
    try:
        at = len(app.snapshot())
        app.send(b"r")
        app.wait_for(b"Rationale for this verdict", start=at)
        text = burst_text(2000, seed=13)
        at = len(app.snapshot())
        app.send(text.encode() + b"\x13")  # 2,000 characters and ctrl+s in a single write
        app.wait_for("✎ S".encode(), start=at)  # the pair screen shows the saved rationale
        # The verdict key goes in on its own, well after the pair is back on screen.
        app.wait_for(b"pair-000", start=at)
        at = len(app.snapshot())
        app.send(b"4")
        app.wait_for(b"pair-001", start=at)
        quit_and_wait(app)
    finally:
        app.close()
    [judgment] = judged(journal)
    assert judgment.rationale is not None
    assert len(judgment.rationale) == 2000, f"stored {len(judgment.rationale)} of 2000"
    assert judgment.rationale == text


def test_ideal_answer_typed_and_saved_in_one_write_is_stored_whole(tmp_path):
    app, journal = start(tmp_path)
    try:
        at = len(app.snapshot())
        app.send(b"w")
        app.wait_for(b"Write the answer that should have been given", start=at)
        text = burst_text(2000, seed=14)
        at = len(app.snapshot())
        # The editor opens on the response with the cursor at its end: the burst is appended.
        app.send(text.encode() + b"\x13")
        app.wait_for(b"answer written", start=at)
        at = len(app.snapshot())
        app.send(b"0")
        app.wait_for(b"pair-001", start=at)
        quit_and_wait(app)
    finally:
        app.close()
    [judgment] = judged(journal)
    assert judgment.ideal_response is not None
    assert judgment.ideal_response.endswith(text), (
        f"the answer ends {judgment.ideal_response[-40:]!r}; {len(text)} characters were typed"
    )


def test_a_burst_of_one_verdict_key_judges_one_pair(tmp_path):
    app, journal = start(tmp_path)
    try:
        at = len(app.snapshot())
        app.send(b"444")  # one write: the second and third key come before pair-001 is painted
        app.wait_for(b"pair-001", start=at)
        time.sleep(1.0)  # give any further verdict time to land before counting
        quit_and_wait(app)
    finally:
        app.close()
    assert [j.pair_id for j in judged(journal)] == ["pair-000"]


def test_a_burst_of_different_verdict_keys_judges_one_pair(tmp_path):
    app, journal = start(tmp_path)
    try:
        at = len(app.snapshot())
        app.send(b"461")
        app.wait_for(b"pair-001", start=at)
        time.sleep(1.0)
        quit_and_wait(app)
    finally:
        app.close()
    assert [(j.pair_id, j.choice.value) for j in judged(journal)] == [("pair-000", "tie")]


def test_keys_pressed_while_a_huge_pair_loads_do_not_judge_it(tmp_path):
    """A key pressed while pair-001 (a huge pair) is being put on screen, in its own write
    right after the verdict on pair-000, is read before pair-001 is painted and must not
    judge it.

    The key used to go 50 ms after the verdict, when a huge pair took longer than that to
    lay out. Since huge pairs are rendered lazily (#14 item 4) pair-001 is often painted
    within those 50 ms on an idle machine, and then the key rightly judged it (the test
    failed 2 runs in 3 there, seen on this tree and on dbe23e9). Now it goes at once. A run
    where pair-001 was already on the terminal when the key went proves nothing and is
    tried again, up to three times."""
    huge = "\n\n".join(f"Paragraph {i}: " + "a fairly long sentence, " * 40 for i in range(800))
    records = [pair_record(0), pair_record(1, response_a=huge, response_b=huge[::-1])]
    records += [pair_record(i) for i in range(2, 4)]
    pairs = write_pairs(tmp_path / "pairs.jsonl", records)
    for attempt in range(3):
        journal = tmp_path / f"judgments-{attempt}.jsonl"
        app = PtyApp(annotate_args(pairs, journal, ANNOTATOR), size=SIZE)
        try:
            app.wait_for(b"pair-000", timeout=60)
            at = len(app.snapshot())
            sent = time.monotonic()
            app.send(b"4")
            premise = b"pair-001" not in app.snapshot()[at:] and time.monotonic() - sent < 0.05
            app.send(b"6")
            app.wait_for(b"pair-001", start=at, timeout=120)
            time.sleep(1.0)
            quit_and_wait(app)
        finally:
            app.close()
        if premise:
            break
    else:
        pytest.fail("the machine was too loaded to press a key before pair-001 was painted")
    assert [j.pair_id for j in judged(journal)] == ["pair-000"]
