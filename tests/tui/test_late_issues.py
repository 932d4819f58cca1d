"""A big pairs file is checked while the annotator works: records found bad late are skipped
on screen and reported in a notification, and the status bar says the check is running."""

from __future__ import annotations

import orjson

import rankterm.sources.local as local_module
from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.storage.index import PairIndex
from rankterm.tui.app import make_app
from tests.helpers import pair_record, write_pairs

BAD = {
    3: b'{"id": "bad-mid", "prompt": "p", "response_a": "a"}',
    5: orjson.dumps(pair_record(1, prompt="a second pair-001")),
}


async def test_late_bad_records_are_skipped_and_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(local_module, "EAGER_BELOW_BYTES", 0)  # background even when small
    monkeypatch.setattr(local_module, "HEAD_RECORDS", 0)  # the whole index at once
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # No validation thread: every record is first met by the source, as at the start of a
    # huge file, so the issues are found while the annotator is judging.
    monkeypatch.setattr(PairIndex, "_background", lambda self, save_first: None)
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(8)], raw_lines=BAD)
    source, guide, issues = open_local(pairs, annotator="tester")
    assert issues == []
    app = make_app(source, Settings(annotator="tester"), guide, load_issues=issues)
    shown: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "checking file" in str(app.screen.query_one("#status").render())
        while app.screen.view is not None:
            shown.append(app.screen.view.pair.id)
            await pilot.press("40"[len(shown) % 2])  # alternate: a repeated key is a held key
            await pilot.pause()
        for _ in range(3):  # the IssuesFound messages (no poll: nothing waits a second)
            await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        await pilot.press("q")
    source.close()
    assert "bad-mid" not in shown
    assert sorted(shown) == sorted(set(shown)) and len(shown) == 8
    late = [m for m in messages if "more bad line(s) found and skipped" in m]
    assert late, messages
    assert "pairs.jsonl:4: response_b" in late[0]
    # (The repeated pair-001 on line 6 is never shown either: its id is already judged. Without
    # the validation thread nothing reads it; the CLI finishes the check and lists it at exit.)
