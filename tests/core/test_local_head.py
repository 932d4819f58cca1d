"""A big pairs file opened for the first time: the first pairs come from an index of the
file's first blocks while the whole file is indexed in a thread, and the switch to the whole
index loses nothing -- the pair on screen, verdicts given meanwhile, bad lines, totals."""

from __future__ import annotations

import pytest

import rankterm.sources.local as local_module
from rankterm.core.model import Choice
from rankterm.sources.base import Draft
from rankterm.sources.local import LocalSource, open_local
from rankterm.storage import scan, sidecar
from tests.helpers import pair_record, write_pairs

N = 300
BAD_LINE = 251  # 1-based, far beyond the head


@pytest.fixture
def big_file(tmp_path, monkeypatch):
    monkeypatch.setattr(local_module, "EAGER_BELOW_BYTES", 0)  # "big" whatever the size
    monkeypatch.setattr(local_module, "HEAD_RECORDS", 10)
    monkeypatch.setattr(scan, "BLOCK", 4096)  # a head of a few blocks, not the file
    monkeypatch.setattr(sidecar, "CACHE_MIN_BYTES", 0)  # and a sidecar once it is whole
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bad = {BAD_LINE - 1: b'{"id": "bad-late", "prompt": "p", "response_a": "a"}'}
    return write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(N)], raw_lines=bad)


@pytest.fixture
def manual_indexing(monkeypatch):
    """Keep the whole-file index from starting by itself, so the test decides when."""
    started = []
    real = LocalSource.index_rest

    def index_rest(self, *, wait=False):
        if not wait:
            started.append(self)
            return
        real(self, wait=True)

    monkeypatch.setattr(LocalSource, "index_rest", index_rest)
    return started


def test_head_first_then_whole_file_without_losing_anything(big_file, manual_indexing):
    source, _guide, issues = open_local(big_file, annotator="ann")
    try:
        assert issues == [] and manual_indexing == [source]
        assert source.indexing
        head = source.progress()
        assert head.estimated and "indexing" in head.sync_detail
        assert 10 <= len(source.pairs) < N
        assert abs(head.total - N) < N * 0.2  # a guess from the bytes read so far
        judged = []
        for _ in range(3):
            view = source.current()
            judged.append(view.pair.id)
            source.record(Choice.A, 2, Draft(), 1000)
        on_screen = source.current().pair.id

        source.index_rest(wait=True)
        assert source.pairs.wait_validated(30)  # records are then checked in the background

        assert not source.indexing
        whole = source.progress()
        assert not whole.estimated
        assert (whole.done, whole.total) == (3, N)
        assert source.current().pair.id == on_screen  # the same pair stays on screen
        late = source.take_new_issues()
        assert [(i.line, "response_b" in i.reason) for i in late] == [(BAD_LINE, True)]
        assert source.take_new_issues() == []
        seen = set(judged)
        while (view := source.current()) is not None:
            assert view.pair.id not in seen and view.pair.id != "bad-late"
            seen.add(view.pair.id)
            source.record(Choice.B, 1, Draft(), 500)
        assert len(seen) == N
    finally:
        source.close()
    # The next open is warm: the whole index was cached, and no head is needed.
    assert sidecar.sidecar_path(big_file).exists()
    again, _g, _i = open_local(big_file, annotator="ann")
    try:
        assert not again.indexing and again.progress().done == N
    finally:
        again.close()


def test_the_thread_indexes_the_rest_by_itself(big_file):
    source, _guide, _issues = open_local(big_file, annotator="ann")
    try:
        assert source.wait_indexed(30) and source.pairs.wait_validated(30)
        assert source.progress().total == N and not source.progress().estimated
    finally:
        source.close()


def test_priorities_in_the_head_need_the_whole_index(tmp_path, big_file, manual_indexing):
    records = [pair_record(i) for i in range(N)]
    records[5]["priority"] = 3
    path = write_pairs(tmp_path / "prio.jsonl", records)
    source, _guide, _issues = open_local(path, annotator="ann")
    try:
        assert not source.indexing and manual_indexing == []
        assert source.current().pair.id == records[5]["id"]
    finally:
        source.close()


def test_resuming_past_the_head_waits_for_the_whole_index(big_file, manual_indexing):
    first, _g, _i = open_local(big_file, annotator="ann")
    first.index_rest(wait=True)
    for _ in range(60):  # well past the head
        first.record(Choice.A, 2, Draft(), 100)
    first.close()
    sidecar.sidecar_path(big_file).unlink()  # cold again
    source, _guide, _issues = open_local(big_file, annotator="ann")
    try:
        assert not source.indexing  # waited: the head had nothing left to judge
        assert source.progress().done == 60
        assert source.current() is not None
    finally:
        source.close()


def test_priorities_beyond_the_head_take_over_once_the_whole_index_is_in(
    tmp_path, big_file, manual_indexing
):
    records = [pair_record(i) for i in range(N)]
    records[N - 1]["priority"] = 5  # far beyond the head: unseen until the whole index is in
    path = write_pairs(tmp_path / "late-prio.jsonl", records)
    source, _guide, _issues = open_local(path, annotator="ann")
    try:
        assert source.indexing
        on_screen = source.current().pair.id
        assert on_screen == records[0]["id"]  # file order meanwhile
        source.index_rest(wait=True)
        assert not source.indexing
        assert source.current().pair.id == on_screen  # the switch does not move the pair
        source.record(Choice.A, 2, Draft(), 100)
        assert source.current().pair.id == records[N - 1]["id"]  # then priority order
    finally:
        source.close()


def test_skipping_after_the_switch_also_goes_to_the_top_priority(
    tmp_path, big_file, manual_indexing
):
    records = [pair_record(i) for i in range(N)]
    records[N - 1]["priority"] = 5
    path = write_pairs(tmp_path / "late-prio.jsonl", records)
    source, _guide, _issues = open_local(path, annotator="ann")
    try:
        source.index_rest(wait=True)
        assert source.current().pair.id == records[0]["id"]
        source.skip()
        assert source.current().pair.id == records[N - 1]["id"]
        source.record(Choice.B, 1, Draft(), 100)
        # Then on in order, and the skipped pair comes back only when the order wraps.
        assert source.current().pair.id == records[1]["id"]
        seen = []
        for _ in range(N - 2):  # pair-001 .. pair-298
            seen.append(source.current().pair.id)
            source.record(Choice.A, 1, Draft(), 100)
        assert records[0]["id"] not in seen
        assert source.current().pair.id == records[0]["id"]
    finally:
        source.close()
