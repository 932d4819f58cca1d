"""Local mode over a pairs file checked in the background (issue 6): a record found bad late is
never shown or judged, totals leave it out, and its issue is handed out once, with file and
line. Validation is either left to its thread or not started at all, so that every record is
first met by the source itself."""

from __future__ import annotations

import orjson
import pytest

import rankterm.sources.local as local_module
from rankterm.core.model import Choice
from rankterm.sources.base import Draft
from rankterm.sources.local import open_local
from rankterm.storage.index import PairIndex
from tests.helpers import pair_record, write_pairs

N = 30
#: 0-based line -> raw record: bad in the middle and at the end.
BAD = {
    10: b'{"id": "bad-mid", "prompt": "p", "response_a": "a"}',  # no response_b: model says no
    14: orjson.dumps(pair_record(3, prompt="a second pair-003")),  # duplicate of a valid one
    N + 2: b'{"id": "bad-end", "prompt": "p", "response_b": "b"}',
    N + 3: orjson.dumps(pair_record(0, prompt="a second pair-000")),
}
BAD_LINES = {k + 1 for k in BAD}


@pytest.fixture
def pairs_file(tmp_path, monkeypatch):
    monkeypatch.setattr(local_module, "EAGER_BELOW_BYTES", 0)  # background even when small
    monkeypatch.setattr(local_module, "HEAD_RECORDS", 0)  # the whole index at once
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(N)], raw_lines=BAD)


@pytest.fixture(params=["thread", "no-thread"])
def validation(request, monkeypatch):
    if request.param == "no-thread":
        monkeypatch.setattr(PairIndex, "_background", lambda self, save_first: None)
    return request.param


def judge_all(source, seen, late, stop_after=None):
    count = 0
    while (view := source.current()) is not None:
        seen.append(view.pair.id)
        ahead = source.peek_next()
        if ahead is not None:
            seen.append(ahead.pair.id)
        source.record(Choice.A, 2, Draft(), 1000)
        late.extend(source.take_new_issues())
        count += 1
        if count == stop_after:
            break


def test_bad_records_are_never_shown_and_issues_come_once(pairs_file, tmp_path, validation):
    source, _guide, early = open_local(pairs_file, annotator="ann")
    assert not source.validated or validation == "thread"
    late = list(source.take_new_issues())
    seen: list[str] = []
    judge_all(source, seen, late)
    source.pairs.validate_all()
    late.extend(source.take_new_issues())
    assert source.take_new_issues() == []

    assert not {"bad-mid", "bad-end"} & set(seen)
    journal = [orjson.loads(x) for x in (tmp_path / "pairs.judgments.jsonl").read_bytes().split()]
    judged = [j["pair_id"] for j in journal]
    assert sorted(judged) == sorted(f"pair-{i:03d}" for i in range(N))  # each good pair once
    progress = source.progress()
    assert (progress.done, progress.total) == (N, N)

    reported = [(i.path, i.line) for i in [*early, *late]]
    assert sorted(line for _, line in reported) == sorted(BAD_LINES)
    assert len(reported) == len(set(reported)), "an issue was reported twice"
    assert all(i.path.endswith("pairs.jsonl") for i in [*early, *late])
    reasons = {i.line: i.reason for i in [*early, *late]}
    assert "response_b" in reasons[11] and "duplicate id 'pair-003'" in reasons[15]
    assert "response_a" in reasons[N + 3] and "duplicate id 'pair-000'" in reasons[N + 4]
    source.close()


def test_totals_drop_bad_records_once_known_and_resume_works(pairs_file, validation):
    source, _guide, _early = open_local(pairs_file, annotator="ann")
    seen: list[str] = []
    judge_all(source, seen, [], stop_after=12)  # past the bad record in the middle
    done_before = source.progress().done
    assert done_before == 12
    assert source.progress().total <= N + len(BAD)
    source.close()

    # Resume: the next pair is the first unjudged good one, counts carry over.
    source, _guide, _early = open_local(pairs_file, annotator="ann")
    view = source.current()
    assert view is not None and view.pair.id == "pair-012"
    assert source.progress().done == 12
    source.pairs.validate_all()
    assert source.progress().total == N
    # Moving back and forth only lands on good pairs.
    for delta in (-1, -1, -1, 1, 1, 1, 1, 5, -20, 100):
        source.move(delta)
        current = source.current()
        assert current is not None and current.pair.id.startswith("pair-")
    source.close()


def test_a_journal_verdict_on_a_record_now_bad_is_not_counted(pairs_file, tmp_path, validation):
    # An earlier session judged "bad-mid" (say the file was fixed, then broken again).
    journal = tmp_path / "pairs.judgments.jsonl"
    source, _guide, _early = open_local(pairs_file, annotator="ann")
    source.close()
    from rankterm.core.model import Judgment
    from rankterm.storage.journal import Journal

    with Journal.open(journal) as handle:
        handle.append(Judgment(pair_id="bad-mid", annotator="ann", choice=Choice.TIE))
        handle.append(Judgment(pair_id="pair-001", annotator="ann", choice=Choice.TIE))
    source, _guide, _early = open_local(pairs_file, annotator="ann")
    source.pairs.validate_all()
    progress = source.progress()
    assert (progress.done, progress.total) == (1, N)
    source.close()


def test_the_cli_lists_bad_lines_found_late_after_the_tui(tmp_path):
    """A file big enough to be checked in the background: the bad lines the check finds while
    the TUI runs (or after it, waiting) are listed on stderr after quitting, exit code kept."""
    from tests.tui.ptyrun import PtyApp, annotate_args

    filler = "word " * 300
    records = [pair_record(i, response_a=filler) for i in range(6000)]
    raw = {
        3000: b'{"id": "bad-mid", "prompt": "p", "response_a": "a"}',
        6001: orjson.dumps(pair_record(7, response_a="dup")),
    }
    pairs = write_pairs(tmp_path / "big.jsonl", records, raw_lines=raw)
    assert pairs.stat().st_size >= local_module.EAGER_BELOW_BYTES
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "RANKTERM_CONFIG": str(tmp_path / "c.toml")}
    app = PtyApp(annotate_args(pairs, tmp_path / "j.jsonl"), size=(100, 30), env=env)
    try:
        app.wait_for(b"pair-000", timeout=60)
        app.send(b"q")
        assert app.wait_exit(timeout=120) == 4  # quit with pairs left, as before
    finally:
        app.close()
    text = app.snapshot().decode("utf-8", "replace")
    assert "big.jsonl:3001: response_b: Field required" in text
    assert "big.jsonl:6002: duplicate id 'pair-007' (first seen on line 8)" in text
    assert text.count("big.jsonl:3001:") == 1
    # The finished check was cached: the next open knows both bad lines at once.
    from rankterm.storage.index import index_pairs

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
        with index_pairs(pairs, validate="background") as warm:
            assert warm.validated and {i.line for i in warm.issues} == {3001, 6002}
