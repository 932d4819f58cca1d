"""The stats screen shows the production monitor's chart when the judged pairs are monitoring
pairs (``rankterm sample``), and nothing of it otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from tests.helpers import pair_record, write_pairs

DEMO = Path(__file__).parents[2] / "sample_data" / "production"
SIZES = [(80, 24), (160, 50)]
JUDGED = 84  # of the demo's 90 pairs: the app opens at a pair still to judge


def _monitoring_app(tmp_path: Path):
    """The demo pairs with the first JUDGED verdicts of the demo journal (annotator ana)."""
    pairs = tmp_path / "pairs.jsonl"
    shutil.copy(DEMO / "pairs.jsonl", pairs)
    lines = (DEMO / "judgments.jsonl").read_bytes().splitlines(keepends=True)
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes(b"".join(lines[:JUDGED]))
    source, guide, issues = open_local(pairs, annotator="ana", out=journal)
    return source, make_app(source, Settings(annotator="ana"), guide, load_issues=issues)


async def _open_stats(pilot) -> None:
    await pilot.pause()
    await pilot.press("S")
    for _ in range(400):
        if getattr(pilot.app.screen, "monitor_lines", None) is not None:
            break
        await pilot.pause(0.05)
    await pilot.pause()


async def test_the_chart_shows_each_window_and_the_drift(tmp_path):
    source, app = _monitoring_app(tmp_path)
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            await _open_stats(pilot)
            lines = app.screen.monitor_lines
            rows = [line for line in lines if line.startswith("2026-W")]
            assert len(rows) == 5
            assert all("n=" in row and "[" in row for row in rows)
            assert any(line.startswith("hallucination") for line in lines)
            assert any(line.startswith("drift: 2 alarm(s)") for line in lines)
            assert all(len(line) <= 100 for line in lines)
            shown = [w for w in app.screen.query(".monitor") if w.display]
            assert len(shown) == 2  # the title and the chart
            await pilot.press("escape")
            assert app.screen.__class__.__name__ != "StatsScreen"
    finally:
        source.close()


async def test_no_monitor_section_for_ordinary_pairs(tmp_path):
    from tests.tui.test_annotate import HOLD_DELAY

    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    source, guide, issues = open_local(pairs, annotator="ana")
    app = make_app(source, Settings(annotator="ana"), guide, load_issues=issues)
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await pilot.press("1")
            await pilot.pause(HOLD_DELAY)
            await _open_stats(pilot)
            assert app.screen.monitor_lines == []
            assert not any(w.display for w in app.screen.query(".monitor"))
    finally:
        source.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_stats_screen_with_the_monitor_chart(snap_compare, tmp_path, size):
    source, app = _monitoring_app(tmp_path)

    async def to_the_chart(pilot) -> None:
        await _open_stats(pilot)
        pilot.app.screen.query_one("#stats-body").scroll_end(animate=False)
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=to_the_chart)
    finally:
        source.close()
