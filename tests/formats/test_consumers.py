"""Exports loaded by the consumers people train with (needs the interop extra).

``datasets.load_dataset("json")`` infers one Arrow schema per file and stops at a column whose
type changes between rows; pair metadata is free-form, so every export is loaded here from pairs
whose metadata values change type from row to row.
"""

from __future__ import annotations

import io

import orjson
import pytest

from rankterm.core.model import Choice, Judgment, Message, Pair
from rankterm.formats import FORMATS, Imported, ImportReader
from rankterm.formats.transfer import run_export
from rankterm.labels import Keep, LabelOptions, LabelPolicy
from rankterm.storage.journal import replay

pytestmark = pytest.mark.interop

#: datasets parses a JSON file in 10 MiB chunks and fixes the schema from the first: a response
#: longer than that puts the next record, and its other-typed metadata, in a later chunk.
LONG = "I don't know. " * ((11 << 20) // 14)

PAIRS = [
    Pair(id="m1", prompt="How do you", response_a=LONG, response_b="Like so.",
         model_a="x", model_b="y", metadata={"question_id": 17, "score": 1.5, "extra": [1, 2]}),
    Pair(id="m2", prompt="Capital of Chad?", response_a="N'Djamena", response_b="Lagos",
         model_a="y", model_b="x",
         metadata={"question_id": "58210e39b3fd4441", "score": "high", "extra": {"a": None}}),
    Pair(id="m3", messages=[Message(role="system", content="Be terse."),
                            Message(role="user", content="2+2?")],
         response_a="4", response_b="5", metadata={"question_id": None, "score": True},
         tags=["math"]),
]  # fmt: skip
JUDGMENTS = [
    Judgment(pair_id="m1", annotator="alice", choice=Choice.A, strength=3, rationale="direct"),
    Judgment(pair_id="m2", annotator="alice", choice=Choice.B, strength=1, tags=["geo"]),
    Judgment(pair_id="m3", annotator="bob", choice=Choice.TIE, ideal_response="4."),
]
WRITABLE = [n for n, f in FORMATS.items() if f.writable and n not in ("csv", "rankterm")]


def export(name: str) -> bytes:
    fmt = FORMATS[name]
    options = LabelOptions(
        ties=Keep.KEEP if fmt.ties else Keep.DROP,
        both_bad=Keep.KEEP if fmt.both_bad else Keep.DROP,
    )
    out = io.BytesIO()
    run_export(fmt, iter(PAIRS), LabelPolicy(replay(JUDGMENTS), options), out)
    return out.getvalue()


@pytest.mark.parametrize("name", WRITABLE)
def test_every_export_loads_with_datasets_despite_mixed_metadata(name, tmp_path):
    datasets = pytest.importorskip("datasets")
    blob = export(name)
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(blob)
    if blob.startswith(b"["):  # label-studio: a JSON array of tasks
        rows = orjson.loads(blob)
    else:
        rows = [orjson.loads(line) for line in blob.splitlines()]
    assert rows, "nothing written"
    loaded = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert loaded.num_rows == len(rows)
    if "id" in rows[0]:
        assert loaded["id"] == [r["id"] for r in rows]


@pytest.mark.parametrize("name", ["trl", "trl-standard", "trl-conversational", "arena", "hh-rlhf"])
def test_mixed_metadata_round_trips_exactly(name, tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(export(name))
    with ImportReader(path, name) as reader:
        back = [i for i in reader if isinstance(i, Imported)]
    originals = {p.id: p for p in PAIRS}
    assert back
    for item in back:
        assert item.pair.metadata == originals[item.pair.id].metadata
