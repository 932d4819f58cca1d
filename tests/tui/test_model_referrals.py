"""`rankterm judge --to-adjudication`: pairs a judge and the people disagree on reach the
adjudicator's queue, the judge's verdict beside the human ones, marked as a model's."""

from __future__ import annotations

import html
import re
import subprocess
import sys

import orjson
import pytest

from rankterm.config import Settings
from rankterm.guidelines import find_guidelines
from rankterm.sources.adjudication import open_local_desk
from rankterm.storage.journal import load_journals
from rankterm.tui.app import make_adjudicate_app

from .test_adjudicate import desk_files  # noqa: F401  (fixture)

SIZES = [(80, 24), (160, 50)]
# Human majority: code-042 A (A, B, A), dialect-007 A (unanimous), inject-001 none (tie, both).
JUDGE = {"code-042": "A", "dialect-007": "B", "inject-001": "B"}
RATIONALE = "Quokka: B answers in the user's own dialect \x1b[2J"


def _judge_file(path):
    path.write_bytes(b"".join(
        orjson.dumps({"kind": "model_judgment", "source": "model", "judge": "j1",
                      "pair_id": pid, "order": order, "choice": choice,
                      "strength": 2 if choice in "AB" else None,
                      "rationale": RATIONALE if pid == "dialect-007" else "fine"}) + b"\n"
        for pid, choice in JUDGE.items() for order in ("ab", "ba")))  # fmt: skip


def _refer(data, journals):
    """The real command; every verdict is already in the judge file, so nothing is asked of
    the (absent) model server."""
    _judge_file(data / "judge.jsonl")
    args = [sys.executable, "-m", "rankterm", "judge", str(data / "pairs.jsonl"),
            "-m", "j1=http://127.0.0.1:9/v1#none", "-o", str(data / "judge.jsonl"),
            "--to-adjudication", *[a for j in journals for a in ("--journal", str(j))]]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_disagreements_join_the_queue_and_count_nowhere(desk_files):  # noqa: F811
    data, journals = desk_files
    before = load_journals(journals)
    ran = _refer(data, journals)
    assert ran.returncode == 0, ran.stderr
    assert "1 pairs sent to adjudication" in ran.stderr
    again = _refer(data, journals)  # idempotent: the same referral is not made twice
    assert "0 pairs sent to adjudication" in again.stderr and "(1 sent before)" in again.stderr
    adjudications = data / "pairs.adjudications.jsonl"
    (record,) = [orjson.loads(x) for x in adjudications.read_bytes().splitlines()]
    assert record["kind"] == "comment" and record["source"] == "model"
    assert (record["pair_id"], record["judge"], record["choice"]) == ("dialect-007", "j1", "B")
    assert record["human_majority"] == "A"

    desk = open_local_desk(data / "pairs.jsonl", journals, adjudicator="expert")
    try:
        cases = {c.pair.id: c for c in desk.cases()}
        # dialect-007 was unanimous (no conflict): it is here because the judge disagreed.
        assert set(cases) == {"code-042", "inject-001", "dialect-007"}
        referred = cases["dialect-007"]
        assert [c.text for c in referred.model_verdicts] == [RATIONALE]
        assert referred.discussion == []
        assert cases["code-042"].model_verdicts == []  # agreed with the majority
        # The judge is not a voter: the same human verdicts, the same majority.
        assert len(referred.judgments) == 3
        assert {j.annotator for j in referred.judgments} == {"ana", "ben", "chi"}
        state = desk.state
        assert len(state.active()) == len(before.active())
        assert state.latest_resolutions() == {}
    finally:
        desk.close()


def test_to_adjudication_needs_journals_or_a_server(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"id": "p", "prompt": "?", "response_a": "a", "response_b": "b"}\n')
    ran = subprocess.run(
        [sys.executable, "-m", "rankterm", "judge", str(pairs), "-m", "j=http://127.0.0.1:9#x",
         "-o", str(tmp_path / "o.jsonl"), "--to-adjudication"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ran.returncode == 2 and "--journal" in ran.stderr and "Traceback" not in ran.stderr


async def test_adjudicator_sees_the_judge_marked_as_a_model(desk_files):  # noqa: F811
    data, journals = desk_files
    assert _refer(data, journals).returncode == 0
    desk = open_local_desk(data / "pairs.jsonl", journals, adjudicator="expert")
    guide = find_guidelines(None, data / "pairs.jsonl")
    app = make_adjudicate_app(desk, Settings(annotator="expert"), guide)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(5):
                await pilot.pause()
            screen = app.screen
            position = [c.pair.id for c in screen.cases].index("dialect-007")
            screen.position = position
            screen.show()
            await pilot.pause()
            text = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))
            text = text.replace("\xa0", " ")
            assert "source: model" in text and "judge j1: B better" in text
            assert "Quokka" in text and "people's majority: A" in text
            assert "\x1b[2J" not in text
    finally:
        desk.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_referred_case_snapshot(snap_compare, desk_files, size):  # noqa: F811
    data, journals = desk_files
    assert _refer(data, journals).returncode == 0
    desk = open_local_desk(data / "pairs.jsonl", journals, adjudicator="expert")
    guide = find_guidelines(None, data / "pairs.jsonl")
    app = make_adjudicate_app(desk, Settings(annotator="expert"), guide)
    # The referred pair comes after the people's conflicts: two cases on.
    try:
        assert snap_compare(app, terminal_size=size, press=["right_square_bracket"] * 2)
    finally:
        desk.close()
