"""A huge text's row index is not built while a verdict is between its key and its frame.

The raw view of a huge single line indexes its rows in slices between frames (see
``RenderedPane._index_more``). A slice that runs while the verdict is being saved holds the
event loop and the GIL: the journal thread waits for it at every step back into Python, and the
next pair waits for both. That made "next pair after a 9 MB single-line response" 2-4x slower
than before the fold became lazy. The slices wait until the frame showing the next pair, and
the index is finished once the huge pair is back on screen.
"""

from __future__ import annotations

import asyncio
import threading
import time

from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from rankterm.tui.raw_lines import RawLines
from tests.helpers import pair_record, write_pairs
from tests.tui.test_huge_lines import screen_rows, settle, tail

HUGE = "abcdefghij " * 857_000 + "THE END"  # 9 MB on one line, folded by words


async def test_no_index_slice_runs_while_a_verdict_is_saved(tmp_path, monkeypatch):
    pairs = write_pairs(
        tmp_path / "pairs.jsonl",
        [
            pair_record(0, response_a=HUGE, response_b="A short answer."),
            pair_record(1),
            pair_record(2),
        ],
    )
    source, guide, issues = open_local(pairs, annotator="tester", out=tmp_path / "j.jsonl")
    loop_thread = threading.get_ident()
    advances: list[float] = []
    advance = RawLines.advance

    def counted(self, budget=1 << 18):
        if threading.get_ident() == loop_thread:
            advances.append(time.perf_counter())
        return advance(self, budget)

    monkeypatch.setattr(RawLines, "advance", counted)
    saving: list[tuple[float, float]] = []
    record = source.record

    def slow_record(*args, **kwargs):
        started = time.perf_counter()
        time.sleep(0.25)  # a slow disk's fsync: index slices would run all through it
        try:
            return record(*args, **kwargs)
        finally:
            saving.append((started, time.perf_counter()))

    source.record = slow_record  # type: ignore[method-assign]
    app = make_app(source, Settings(annotator="tester"), guide, load_issues=issues)
    async with app.run_test(size=(80, 24)) as pilot:
        # Straight after the first paint (``pilot.pause`` would wait for the whole index).
        for _ in range(2000):
            view = app.screen.view
            if view is not None and app.screen.gate.painted_at is not None:
                break
            await asyncio.sleep(0.005)
        pane = app.screen.query_one("#right" if view.swapped else "#left")
        lines = pane._lines
        assert isinstance(lines, RawLines) and not lines.complete  # still being indexed
        await pilot.press("4")
        for _ in range(100):
            await pilot.pause()
            if saving and app.screen.view.pair.id == "pair-001":
                break
        assert app.screen.view.pair.id == "pair-001"
        ((started, ended),) = saving
        during = [t for t in advances if started <= t <= ended]
        assert during == [], f"{len(during)} index slices ran while the verdict was saved"
        # Back on the huge pair, its index is finished between frames as before.
        source.record = record  # type: ignore[method-assign]
        await pilot.press("z")
        for _ in range(100):
            await pilot.pause()
            if app.screen.view.pair.id == "pair-000":
                break
        await settle(pilot, pane)
        assert pane._lines is lines and lines.complete
        await pilot.press("q")
    source.close()


async def test_end_and_t_before_the_index_is_done_stay_at_the_very_end(tmp_path):
    """``end`` (and ``t`` at the end) pressed while the row index is still an estimate: the
    pane follows the end as the index grows, also when a row drawn meanwhile completed the
    index (the last slice then found nothing left to do and left the pane's height at the
    estimate: the view stopped short of the last words)."""
    pairs = write_pairs(
        tmp_path / "pairs.jsonl",
        [pair_record(0, response_a=HUGE, response_b="A short answer."), pair_record(1)],
    )
    source, guide, issues = open_local(pairs, annotator="tester", out=tmp_path / "j.jsonl")
    app = make_app(source, Settings(annotator="tester"), guide, load_issues=issues)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(2000):
            if app.screen.view is not None and app.screen.gate.painted_at is not None:
                break
            await asyncio.sleep(0.005)
        view = app.screen.view
        pane = app.screen.query_one("#right" if view.swapped else "#left")
        pane.focus()
        for key in ("end", "t"):
            await pilot.press(key)
            await settle(pilot, pane)
            await pilot.pause()
            assert pane.virtual_size.height == len(pane._lines), key
            assert pane.scroll_y == pane.max_scroll_y > 0, key
            rows = [row.rstrip() for row in screen_rows(pane) if row.strip()]
            assert tail(rows).endswith("THEEND"), (key, rows[-3:])
        await pilot.press("q")
    source.close()
