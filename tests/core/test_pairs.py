from __future__ import annotations

import orjson

from rankterm.pairs import index_pairs
from tests.helpers import pair_record, write_pairs


def test_bad_lines_are_reported_by_file_and_line_and_the_rest_loads(tmp_path):
    path = write_pairs(
        tmp_path / "pairs.jsonl",
        [pair_record(i) for i in range(5)],
        raw_lines={
            1: b"{not json",
            3: b'{"id": "x", "prompt": "p", "response_a": "a"}',
            4: b"[1, 2]",
            5: b'{"id": "y", "response_a": "a", "response_b": "b"}',
            6: b"\xff\xfe bad utf-8",
        },
    )
    index = index_pairs(path)
    assert len(index) == 5
    reasons = {issue.line: issue.reason for issue in index.issues}
    assert set(reasons) == {2, 4, 5, 6, 7}
    assert "invalid JSON" in reasons[2]
    assert "response_b" in reasons[4] and "Field required" in reasons[4]
    assert "expected a JSON object" in reasons[5]
    assert "prompt" in reasons[6]
    assert str(index.issues[0]).startswith(f"{index.issues[0].path}:2: ")
    assert "5 pairs loaded" in index.summary() and "5 bad lines skipped" in index.summary()


def test_duplicate_ids_keep_the_first(tmp_path):
    path = write_pairs(tmp_path / "p.jsonl", [pair_record(1), pair_record(1, prompt="other")])
    index = index_pairs(path)
    assert len(index) == 1
    assert "duplicate id 'pair-001' (first seen on line 1)" in index.issues[0].reason
    assert index.get(0).prompt.startswith("Question 1")


def test_unknown_fields_survive_a_round_trip(tmp_path):
    record = pair_record(1, source_row=1234, extra={"nested": [1, 2]})
    path = write_pairs(tmp_path / "p.jsonl", [record])
    pair = index_pairs(path).get(0)
    out = pair.to_json_dict()
    assert out["source_row"] == 1234 and out["extra"] == {"nested": [1, 2]}
    assert orjson.loads(orjson.dumps(out))["id"] == "pair-001"


def test_serving_order_is_priority_then_file_order(tmp_path):
    records = [pair_record(i, priority=p) for i, p in enumerate([0, 2, 0, 5, 2])]
    index = index_pairs(write_pairs(tmp_path / "p.jsonl", records))
    assert [index.ids[i] for i in index.serving_order()] == [
        "pair-003",
        "pair-001",
        "pair-004",
        "pair-000",
        "pair-002",
    ]


def test_messages_instead_of_prompt_and_gold_shorthand(tmp_path):
    record = pair_record(1, prompt=None, gold="B")
    del record["prompt"]
    record["messages"] = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "and?"},
    ]
    pair = index_pairs(write_pairs(tmp_path / "p.jsonl", [record])).get(0)
    assert pair.last_user_text == "and?"
    assert pair.gold is not None and pair.gold.choice.value == "B"


def test_missing_file_and_directory_are_clear_errors(tmp_path):
    import pytest

    from rankterm.pairs import PairsFileError

    with pytest.raises(PairsFileError, match="no such file"):
        index_pairs(tmp_path / "nope.jsonl")
    with pytest.raises(PairsFileError, match="is a directory"):
        index_pairs(tmp_path)
