"""SIGKILL the real TUI in the middle of a ranking: every comparison confirmed on screen is in
the journal, the journal parses, and the restart asks the very question that was next, with
the comparisons made before the kill counted in the ranking that closes the task."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from rankterm.core.model import Comparison, Ranking, candidate_name
from rankterm.sources.local import open_local
from rankterm.sources.ranking import RankSource
from rankterm.storage.journal import read_journal
from tests.tui.ptyrun import PtyApp, annotate_args

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
ANNOTATOR = "rank-killer"


def compared(n: int) -> bytes:
    return f" {n} compared (".encode()


def next_question(pairs: Path, journal: Path) -> tuple[str, int, int, int]:
    """What a fresh ranking source over the journal asks next: task, letters on screen."""
    local, _, _ = open_local(pairs, annotator=ANNOTATOR, out=journal)
    try:
        view = RankSource(local).rank_view()
        return view.task.id, view.left, view.right, view.asked
    finally:
        local.close()


def title(side: str, letter: int) -> bytes:
    return f"{side} · {candidate_name(letter)}".encode()


def confirm(app: PtyApp, key: bytes, n: int, start: int) -> int:
    """Send a verdict key and wait for the strip to count it (the app moved on)."""
    time.sleep(0.35)  # the verdict gate: a key sent at once again reads as a held key
    app.send(key)
    return app.wait_for(compared(n), start=start)


def test_kill_mid_ranking_resumes_at_the_same_question(tmp_path):
    pairs = tmp_path / "rank6.jsonl"
    shutil.copy(SAMPLES / "rank6.jsonl", pairs)
    journal = tmp_path / "journal.jsonl"
    args = annotate_args(pairs, journal, ANNOTATOR)

    app = PtyApp(args, size=(120, 40))
    try:
        at = app.wait_for(compared(0))
        for n, key in enumerate([b"2", b"6", b"2"], start=1):
            at = confirm(app, key, n, at)
        app.send(b"6")  # a fourth, unconfirmed: it may or may not have landed, whole
        app.kill()
    finally:
        app.close()

    entries = list(read_journal(journal))  # parses (a torn tail would be an issue, not raise)
    made = [e for e in entries if isinstance(e, Comparison)]
    assert 3 <= len(made) <= 4 and not [e for e in entries if isinstance(e, Ranking)]
    task, left, right, asked = next_question(pairs, journal)
    assert asked == len(made)

    app = PtyApp(args, size=(120, 40))
    try:
        at = app.wait_for(compared(asked))
        screen = app.snapshot()[at - 4000 if at > 4000 else 0 :]
        assert title("LEFT", left) in app.snapshot() and title("RIGHT ▶", right) in screen
        # Finish the task by comparisons: the ranking holds those made before the kill.
        n = asked
        while not [e for e in read_journal(journal) if isinstance(e, Ranking)]:
            n += 1
            key = b"2" if n % 2 else b"6"
            time.sleep(0.35)
            app.send(key)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if len([e for e in read_journal(journal) if isinstance(e, Comparison)]) >= n:
                    break
                time.sleep(0.05)
            assert n < 20
        app.send(b"q")
        assert app.wait_exit() == 4  # three rankings still to do
    finally:
        app.close()

    entries = list(read_journal(journal))
    ranking = next(e for e in entries if isinstance(e, Ranking))
    assert ranking.pair_id == task
    assert [c.id for c in made] == ranking.comparisons[: len(made)]
    assert json.loads(journal.read_text().splitlines()[-1])["kind"] == "ranking"
