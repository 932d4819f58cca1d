"""SIGKILL the real TUI fifty times over one journal: no confirmed verdict is ever lost, none is
written twice or in part, the journal always parses, and every restart resumes at the first
unjudged pair in serving order.

A verdict is *confirmed* once the next pair's id has appeared on screen after its key was sent:
that is the moment the annotator sees the app move on, so the verdict must be on disk. Keys
sent but not yet confirmed may or may not have landed, but only whole, and only in order.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rankterm.core.errors import LoadIssue
from rankterm.core.model import Choice, Judgment, choice_for_side, shown_swapped
from rankterm.storage.index import index_pairs
from rankterm.storage.journal import read_journal, replay
from tests.helpers import pair_record, write_pairs
from tests.reliability.zygote import ForkedPtyApp, Zygote
from tests.tui.ptyrun import PtyApp, annotate_args

ANNOTATOR = "crash-tester"
KILLS = 50
SEED = 20240607
SIZE = (100, 30)
ID = re.compile(rb"pair-\d{3}")

#: Verdict keys as the default keymap defines them: key -> (screen side, strength).
KEYS = {
    b"1": ("left", 3),
    b"2": ("left", 2),
    b"3": ("left", 1),
    b"4": ("tie", None),
    b"5": ("right", 1),
    b"6": ("right", 2),
    b"7": ("right", 3),
    b"0": ("both_bad", None),
}


def expected_verdict(key: bytes, pair_id: str) -> tuple[Choice, int | None]:
    side, strength = KEYS[key]
    if side == "tie":
        return Choice.TIE, None
    if side == "both_bad":
        return Choice.BOTH_BAD, None
    return choice_for_side(side, Choice.A, shown_swapped(ANNOTATOR, pair_id)), strength


@dataclass
class Ledger:
    """What the test knows was typed, and the journal checks that follow from it."""

    order: list[str]
    keys: dict[str, bytes] = field(default_factory=dict)
    judged: int = 0
    tolerated_lines: set[int] = field(default_factory=set)
    torn_seen: int = 0

    def check_journal(self, journal: Path, confirmed: int, unconfirmed: int) -> None:
        """After a kill: the journal parses and holds a prefix of the typed verdicts."""
        issues: list[LoadIssue] = []
        entries = list(read_journal(journal, issues))
        total_lines = len(journal.read_bytes().splitlines()) if journal.exists() else 0
        for issue in issues:
            if issue.line in self.tolerated_lines:
                continue
            # Only a torn final line (a write cut short) is acceptable; it is repaired on open.
            assert issue.line == total_lines and "torn write" in issue.reason, str(issue)
            self.tolerated_lines.add(issue.line)
            self.torn_seen += 1
        state = replay(entries)
        mine = state.active(ANNOTATOR)
        ids = [j.pair_id for j in mine]
        assert len(ids) == len(set(ids)), f"a pair was judged twice: {ids}"
        low, high = self.judged + confirmed, self.judged + confirmed + unconfirmed
        assert low <= len(ids) <= high, (
            f"journal has {len(ids)} verdicts; expected {low}..{high} "
            f"({confirmed} confirmed, {unconfirmed} unconfirmed this run)"
        )
        assert ids == self.order[: len(ids)], "verdicts are not the served pairs, in order"
        for judgment in mine:
            self._check_judgment(judgment)
        self.judged = len(ids)

    def _check_judgment(self, judgment: Judgment) -> None:
        key = self.keys[judgment.pair_id]
        choice, strength = expected_verdict(key, judgment.pair_id)
        assert (judgment.choice, judgment.strength) == (choice, strength), (
            f"{judgment.pair_id}: key {key!r} saved as {judgment.choice}/{judgment.strength}"
        )
        assert judgment.annotator == ANNOTATOR
        assert judgment.shown_swapped == shown_swapped(ANNOTATOR, judgment.pair_id)


def first_id_on_screen(app: ForkedPtyApp | PtyApp, start: int = 0) -> str | None:
    found = ID.search(app.snapshot(), start)
    return found.group().decode() if found else None


def wait_for_resume(app, expected: str) -> None:
    """The first pair the app shows is the first unjudged one in serving order."""
    app.wait_for(expected.encode())
    assert first_id_on_screen(app) == expected, "resumed at the wrong pair"


def run_cycle(
    zygote: Zygote, args: list[str], ledger: Ledger, rng: random.Random
) -> tuple[str, int, int]:
    """One run of the app ended by SIGKILL; returns (mode, confirmed, unconfirmed)."""
    order = ledger.order
    mode = rng.choice(["startup", "confirmed", "confirmed", "unconfirmed", "right_after"])
    confirmed = unconfirmed = 0
    last: bytes | None = None
    app = ForkedPtyApp(zygote, args, size=SIZE)
    try:
        if mode == "startup":
            # Killed while importing, indexing, opening the journal or painting the first pair.
            time.sleep(rng.uniform(0.0, 1.2))
            app.kill()
            shown = first_id_on_screen(app)
            assert shown in (None, order[ledger.judged]), f"showed {shown} first"
            return mode, 0, 0
        wait_for_resume(app, order[ledger.judged])
        to_confirm = rng.randint(1, 4) if mode == "confirmed" else rng.randint(0, 2)
        for _ in range(to_confirm):
            current = order[ledger.judged + confirmed]
            key = last = rng.choice([k for k in KEYS if k != last])  # the same again is held
            ledger.keys[current] = key
            start = len(app.snapshot())
            app.send(key)
            app.wait_for(order[ledger.judged + confirmed + 1].encode(), start=start)
            confirmed += 1
        if mode == "confirmed":
            # Killed while the next pair is being prerendered, or idle.
            time.sleep(rng.uniform(0.0, 0.3))
        else:
            burst = 1 if mode == "right_after" else rng.randint(1, 3)
            for _ in range(burst):
                current = order[ledger.judged + confirmed + unconfirmed]
                key = last = rng.choice([k for k in KEYS if k != last])
                ledger.keys[current] = key
                app.send(key)
                unconfirmed += 1
            if mode == "unconfirmed":
                # Mid-fsync, mid-render, or just after: somewhere in the first frames.
                time.sleep(rng.uniform(0.0, 0.15))
        app.kill()
        return mode, confirmed, unconfirmed
    finally:
        app.close()


@pytest.mark.stress
def test_fifty_sigkills_lose_no_confirmed_verdict(tmp_path):
    rng = random.Random(SEED)
    records = [pair_record(i, priority=rng.choice([0, 0, 1, 2, 5])) for i in range(300)]
    pairs = write_pairs(tmp_path / "pairs.jsonl", records)
    index = index_pairs(pairs)
    order = [index.ids[i] for i in index.serving_order()]
    index.close()
    assert order != sorted(order), "priorities should make serving order differ from file order"
    journal = tmp_path / "judgments.jsonl"
    args = annotate_args(pairs, journal, ANNOTATOR)
    ledger = Ledger(order)
    modes: dict[str, int] = {}
    sent_unconfirmed = landed_unconfirmed = confirmed_total = 0

    zygote = Zygote()
    try:
        for cycle in range(KILLS):
            before = ledger.judged
            mode, confirmed, unconfirmed = run_cycle(zygote, args, ledger, rng)
            try:
                ledger.check_journal(journal, confirmed, unconfirmed)
            except AssertionError as exc:
                raise AssertionError(f"kill #{cycle + 1} ({mode}): {exc}") from None
            modes[mode] = modes.get(mode, 0) + 1
            confirmed_total += confirmed
            sent_unconfirmed += unconfirmed
            landed_unconfirmed += ledger.judged - before - confirmed
    finally:
        zygote.close()

    # Finally the real console script, started from scratch, resumes at the right pair too.
    app = PtyApp(args, size=SIZE)
    try:
        wait_for_resume(app, order[ledger.judged])
        app.send(b"q")
        assert app.wait_exit() == 4  # quit with pairs left
    finally:
        app.close()
    ledger.check_journal(journal, 0, 0)
    print(
        f"\nkills survived: {KILLS}/{KILLS} {modes}; verdicts confirmed before a kill: "
        f"{confirmed_total}; sent unconfirmed: {sent_unconfirmed} (landed: {landed_unconfirmed}); "
        f"journal verdicts: {ledger.judged}; torn final lines seen: {ledger.torn_seen}"
    )


def test_torn_final_line_is_reported_then_repaired_on_open(tmp_path):
    """A write cut short (power loss rather than SIGKILL) leaves half a line: reading reports
    it and keeps the rest; opening the journal ends it, so the next verdict is a whole line."""
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(4)])
    journal = tmp_path / "judgments.jsonl"
    order = [f"pair-{i:03d}" for i in range(4)]
    args = annotate_args(pairs, journal, ANNOTATOR)
    app = PtyApp(args, size=SIZE)
    try:
        wait_for_resume(app, order[0])
        start = len(app.snapshot())
        app.send(b"1")
        app.wait_for(order[1].encode(), start=start)
        app.kill()
    finally:
        app.close()
    whole = journal.read_bytes()
    journal.write_bytes(whole + whole[: len(whole) // 2])  # half of a second copy, no newline

    issues: list[LoadIssue] = []
    assert [e.pair_id for e in read_journal(journal, issues)] == [order[0]]
    assert len(issues) == 1 and issues[0].line == 2 and "torn write" in issues[0].reason

    app = PtyApp(args, size=SIZE)
    try:
        wait_for_resume(app, order[1])
        start = len(app.snapshot())
        app.send(b"7")
        app.wait_for(order[2].encode(), start=start)
        app.send(b"q")
        assert app.wait_exit() == 4
    finally:
        app.close()
    issues = []
    entries = list(read_journal(journal, issues))
    assert [e.pair_id for e in entries] == order[:2]
    assert [i.line for i in issues] == [2]  # the fragment, now ended, is the only bad line
