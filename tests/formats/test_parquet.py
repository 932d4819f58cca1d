"""Parquet import and export through the real pyarrow (the interop extra)."""

from __future__ import annotations

import builtins
import io
import sys
from pathlib import Path

import orjson
import pytest

from rankterm.core.errors import LoadIssue, UsageError
from rankterm.core.model import Choice, Judgment, Message, Pair
from rankterm.formats import FORMATS, Imported, ImportReader
from rankterm.formats.transfer import run_export
from rankterm.labels import Keep, LabelOptions, LabelPolicy
from rankterm.storage.journal import replay

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.interop


def read(path, name=None):
    with ImportReader(path, name) as reader:
        items = list(reader)
        fmt = reader.format.name
    return (
        fmt,
        [i for i in items if isinstance(i, Imported)],
        [i for i in items if isinstance(i, LoadIssue)],
    )


def test_a_parquet_file_reads_like_its_json_lines_row_group_by_row_group(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    records = [orjson.loads(x) for x in (DATA / "ultrafeedback_binarized.jsonl").read_bytes()
               .splitlines() if x.strip()]  # fmt: skip
    path = tmp_path / "train_prefs.parquet"
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=1)
    assert pq.ParquetFile(path).num_row_groups == len(records) > 1
    fmt, good, bad = read(path)
    expected_fmt, expected, expected_bad = read(DATA / "ultrafeedback_binarized.jsonl")
    assert fmt == expected_fmt == "ultrafeedback-binarized"
    assert [i.pair for i in good] == [i.pair for i in expected]
    assert [i.label for i in good] == [i.label for i in expected]
    assert [(b.line, b.reason) for b in bad] == [(b.line, b.reason) for b in expected_bad]


def test_a_parquet_row_that_is_not_a_record_is_reported_by_row(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [
        {"prompt": "The sky is", "chosen": " blue.", "rejected": " green."},
        {"prompt": "p", "chosen": None, "rejected": "x"},
    ]
    path = tmp_path / "x.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    fmt, good, bad = read(path)
    assert fmt == "trl" and len(good) == 1
    assert [(b.line, b.reason) for b in bad] == [(2, "chosen: missing")]


PAIRS = [
    Pair(id=f"p{i}", prompt=f"Question {i}?", response_a=f"yes {i}", response_b=f"no {i}",
         model_a="x", model_b="y", metadata={"question_id": i if i % 2 else f"q{i}"})
    for i in range(5)
] + [
    Pair(id="chat", messages=[Message(role="user", content="Hi"),
                              Message(role="assistant", content="Hello."),
                              Message(role="user", content="Bye?")],
         response_a="Bye.", response_b="No.")
]  # fmt: skip
JUDGMENTS = [
    Judgment(pair_id=p.id, annotator="a", choice=Choice.A if n % 3 else Choice.B, strength=2)
    for n, p in enumerate(PAIRS)
] + [Judgment(pair_id="p4", annotator="b", choice=Choice.TIE)]


@pytest.mark.parametrize("name", ["trl-conversational", "trl-standard", "arena", "hh-rlhf"])
def test_parquet_export_round_trips_and_loads_with_datasets(name, tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    datasets = pytest.importorskip("datasets")
    from rankterm.formats import parquet

    monkeypatch.setattr(parquet, "ROW_GROUP", 2)  # several row groups
    fmt = FORMATS[name]
    options = LabelOptions(ties=Keep.KEEP if fmt.ties else Keep.DROP,
                           both_bad=Keep.KEEP if fmt.both_bad else Keep.DROP)  # fmt: skip
    jsonl, pq_out = io.BytesIO(), io.BytesIO()
    run_export(fmt, iter(PAIRS), LabelPolicy(replay(JUDGMENTS), options), jsonl)
    summary = run_export(fmt, iter(PAIRS), LabelPolicy(replay(JUDGMENTS), options), pq_out,
                         parquet=True)  # fmt: skip
    path, lines = tmp_path / "out.parquet", tmp_path / "out.jsonl"
    path.write_bytes(pq_out.getvalue())
    lines.write_bytes(jsonl.getvalue())
    _, from_parquet, bad = read(path, name)
    _, from_jsonl, _ = read(lines, name)
    assert not bad and len(from_parquet) == summary.records
    assert [i.pair for i in from_parquet] == [i.pair for i in from_jsonl]
    assert [i.label for i in from_parquet] == [i.label for i in from_jsonl]
    loaded = datasets.load_dataset("parquet", data_files=str(path), split="train",
                                   cache_dir=str(tmp_path / "cache"))  # fmt: skip
    assert loaded.num_rows == summary.records


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 16 + b"PAR1")
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    for module in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(UsageError, match=r"uv sync --extra interop"):
        read(path)
    with pytest.raises(UsageError, match=r"rankterm\[interop\]"):
        run_export(FORMATS["trl"], iter(PAIRS), LabelPolicy(replay(JUDGMENTS), LabelOptions()),
                   io.BytesIO(), parquet=True)  # fmt: skip
