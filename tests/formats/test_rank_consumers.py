"""Ranking exports loaded by ``datasets`` (one Arrow schema per file, as trainers read them)."""

from __future__ import annotations

import io

import pytest

from rankterm.formats.rank_data import read_rank_records, read_rank_tasks
from rankterm.formats.rank_export import RANK_FORMATS, run_rank_export
from tests.formats.rank_fixtures import ranking_records, write_journal, write_pairs

pytestmark = pytest.mark.interop


@pytest.mark.parametrize("name", list(RANK_FORMATS))
def test_ranking_exports_load_with_datasets(name, tmp_path):
    datasets = pytest.importorskip("datasets")
    pairs = write_pairs(tmp_path / "pairs.jsonl")  # t1 metadata {source: 1}, t2 {source: "x"}
    journal = write_journal(
        tmp_path / "j.jsonl",
        ranking_records("t1", "a", "CADB", 4, [(0, 2), (0, 3)])
        + ranking_records("t2", "b", "B>A=C>D>E>F", 6)
        + ranking_records("t2", "c", "ABCDEF", 6, flagged=True),
    )
    out = io.BytesIO()
    summary = run_rank_export(
        name,
        read_rank_tasks(pairs).tasks,
        read_rank_records([journal]),
        out,
        keep_flagged=True,
    )
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(out.getvalue())
    ds = datasets.load_dataset("json", data_files=str(path), split="train")
    assert len(ds) == summary.records > 0
    if name in ("ranking-pairs", "ranking-dpo"):
        assert {"prompt", "chosen", "rejected", "direct"} <= set(ds.column_names)
        assert set(ds["direct"]) <= {True, False}
    if name == "ranking-kto":
        assert set(ds["label"]) == {True, False}
    if name == "ranking-full":
        ranks = [[r["rank"] for r in row] for row in ds["ranking"]]
        assert [2, 1, 2, 4, 5, 6] in ranks
