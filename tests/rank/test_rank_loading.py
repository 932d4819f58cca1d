"""Pairs files holding K-way ranking records: indexed like pairs, bad ones named by file and
line, kept apart from pairs for the pairwise screen and its readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rankterm.core.model import Choice, Pair, RankTask
from rankterm.sources.base import Draft
from rankterm.sources.local import open_local
from rankterm.storage import sidecar
from rankterm.storage.index import index_pairs
from rankterm.storage.scan import parse_pair_line

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def rank(pid: str, k: int = 4, **extra) -> dict:
    return {"id": pid, "prompt": f"q {pid}", "responses": [f"r{i}" for i in range(k)], **extra}


def pair(pid: str, **extra) -> dict:
    return {"id": pid, "prompt": "p", "response_a": "a", "response_b": "b", **extra}


def write(path: Path, records: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_sample_files_hold_4_and_6_way_records():
    for name, k in (("rank4.jsonl", 4), ("rank6.jsonl", 6)):
        with index_pairs(SAMPLES / name) as index:
            tasks = list(index.iter_tasks())
            assert not index.issues
            assert tasks and all(isinstance(t, RankTask) and t.k == k for t in tasks)
            assert any(t.gold is not None for t in tasks)
            assert list(index.iter_pairs()) == []


@pytest.mark.parametrize("validate", ["eager", "background"])
def test_mixed_file_serves_both_kinds_and_names_bad_lines(tmp_path, validate):
    path = write(
        tmp_path / "mixed.jsonl",
        [
            pair("p1"),
            rank("r1", priority=2, tags=["code"], gold="CADB", metadata={"x": 1}),
            rank("r2", k=2),  # two responses: a pair, not a ranking
            rank("r3", k=10),
            rank("r4", gold="ABC"),  # gold leaves D out
            pair("p2"),
            rank("r5", k=6),
            rank("r1"),  # duplicate id
        ],
    )
    index = index_pairs(path, validate=validate, cache=False)
    issues = index.validate_all()
    by_line = {i.line: i.reason for i in issues}
    assert set(by_line) == {3, 4, 5, 8}
    assert "3 to 9 responses, not 2" in by_line[3]
    assert "not 10" in by_line[4]
    assert "leaves out D" in by_line[5]
    assert "duplicate id 'r1'" in by_line[8]
    assert all(i.path.endswith("mixed.jsonl") for i in issues)
    assert [t.id for t in index.iter_tasks()] == ["p1", "r1", "p2", "r5"]
    assert [p.id for p in index.iter_pairs()] == ["p1", "p2"]
    assert {index.ids[i] for i in index.rank_positions()} == {"r1", "r5"}
    r1 = index.by_id("r1")
    assert isinstance(r1, RankTask)
    assert r1.priority == 2 and r1.tags == ["code"] and r1.metadata == {"x": 1}
    assert r1.gold.order == [[2], [0], [3], [1]]
    assert index.ids[index.serving_order()[0]] == "r1"  # priority serves first
    index.close()


def test_sidecar_keeps_the_ranking_positions(tmp_path, monkeypatch):
    monkeypatch.setattr(sidecar, "CACHE_MIN_BYTES", 0)
    path = write(tmp_path / "m.jsonl", [pair("p1"), "{bad", rank("r1"), pair("p2"), rank("r2")])
    with index_pairs(path) as first:
        expected = {first.ids[i] for i in first.rank_positions()}
    with index_pairs(path) as again:  # from the sidecar (the bad line left out)
        assert again.issues and {again.ids[i] for i in again.rank_positions()} == expected
        assert expected == {"r1", "r2"}


def test_pair_readers_get_a_clear_error_for_a_ranking_line():
    with pytest.raises(ValueError, match="ranking record"):
        parse_pair_line(json.dumps(rank("r")).encode())
    assert isinstance(parse_pair_line(json.dumps(pair("p")).encode()), Pair)


def test_pairwise_source_leaves_rankings_out(tmp_path):
    path = write(tmp_path / "mixed.jsonl", [rank("r0"), pair("p1"), rank("r1"), pair("p2")])
    source, _, issues = open_local(path, annotator="ann")
    try:
        assert not issues
        seen = []
        while (view := source.current()) is not None:
            seen.append(view.pair.id)
            source.record(Choice.TIE, None, Draft(), 1)
        assert seen == ["p1", "p2"]
        progress = source.progress()
        assert (progress.done, progress.total) == (2, 2)
    finally:
        source.close()
