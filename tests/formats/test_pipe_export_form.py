"""``annotate --export trl`` writes what ``rankterm export --to trl`` writes: for chat pairs
(message turns) the conversational form, which the issue made the default (it wrote strings,
dropping multi-turn pairs, when the labels came through the annotate command)."""

from __future__ import annotations

import uuid

import orjson

from rankterm.commands.annotate import _export_journal
from rankterm.core.model import Choice, Judgment
from rankterm.storage.journal import Journal
from tests.helpers import pair_record, write_pairs


def test_annotate_export_trl_writes_chat_pairs_conversational(tmp_path, capsys) -> None:
    turns = [
        {"role": "user", "content": "Hi, can you help with Python?"},
        {"role": "assistant", "content": "Of course."},
        {"role": "user", "content": "How do I reverse a list?"},
    ]
    record = pair_record(0)
    del record["prompt"]
    record["messages"] = turns
    pairs = write_pairs(tmp_path / "pairs.jsonl", [record])
    journal = Journal.open(tmp_path / "pairs.judgments.jsonl")
    journal.append(
        Judgment(id=uuid.uuid4(), pair_id="pair-000", annotator="ann", choice=Choice.A, strength=2)
    )
    journal.close()
    out = tmp_path / "train.jsonl"
    _export_journal("trl", out, journal.path, pairs)
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(rows) == 1
    assert rows[0]["prompt"] == turns
    assert rows[0]["chosen"][0]["role"] == "assistant"
    assert "conversational" in capsys.readouterr().err
