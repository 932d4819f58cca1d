"""A verdict survives SIGKILL the moment the next pair is on screen."""

from __future__ import annotations

from rankterm.storage.index import index_pairs
from rankterm.storage.journal import read_journal, replay
from tests.helpers import pair_record, write_pairs
from tests.tui.ptyrun import PtyApp, annotate_args


def test_sigkill_right_after_a_verdict_keeps_it(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(6)])
    journal = tmp_path / "j.jsonl"
    order = [index_pairs(pairs).ids[i] for i in index_pairs(pairs).serving_order()]
    app = PtyApp(annotate_args(pairs, journal), size=(100, 30))
    try:
        app.wait_for(order[0].encode())
        for step in range(3):
            start = len(app.snapshot())
            app.send(b"353"[step : step + 1])  # the same key again at once is a held key
            app.wait_for(order[step + 1].encode(), start=start)
        app.kill()  # SIGKILL: no cleanup, no flush
    finally:
        app.close()
    state = replay(read_journal(journal))
    assert [j.pair_id for j in state.active()] == order[:3]

    # Reopening resumes at the first unjudged pair, and the lock died with the process.
    app = PtyApp(annotate_args(pairs, journal), size=(100, 30))
    try:
        app.wait_for(order[3].encode())
        app.send(b"q")
        assert app.wait_exit() == 4  # quit with pairs left
    finally:
        app.close()
