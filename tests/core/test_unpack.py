"""A server export unpacks into the files every local command reads."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from rankterm.commands.cli import _register_commands, app
from rankterm.core.model import Choice, Judgment, Retraction
from rankterm.storage.index import index_pairs
from rankterm.storage.journal import encode, read_journal, replay
from tests.helpers import pair_record


def test_unpack_splits_pairs_and_journal(tmp_path):
    kept = Judgment(pair_id="pair-000", annotator="ana", choice=Choice.A, strength=2)
    undone = Judgment(pair_id="pair-001", annotator="ana", choice=Choice.TIE)
    lines = [
        orjson.dumps({"kind": "project", "name": "demo"}),
        orjson.dumps({"kind": "guidelines", "version": "v", "content": "# G"}),
        *(orjson.dumps({"kind": "pair", "pair": pair_record(i), "status": {}}) for i in range(2)),
        encode(kept).strip(),
        encode(undone).strip(),
        encode(Retraction(retracts=undone.id, pair_id="pair-001", annotator="ana")).strip(),
        b'{"kind": "judgment", "pair_id": "x"}',
    ]
    dump = tmp_path / "dump.ndjson"
    dump.write_bytes(b"\n".join(lines) + b"\n")
    _register_commands()
    result = CliRunner().invoke(app, ["unpack", str(dump), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "dump.ndjson:8:" in result.output  # the broken record is named, the rest kept
    assert list(index_pairs(tmp_path / "out" / "pairs.jsonl").ids) == ["pair-000", "pair-001"]
    state = replay(read_journal(tmp_path / "out" / "judgments.jsonl"))
    assert [j.pair_id for j in state.active()] == ["pair-000"]
