"""Inputs that are not JSON Lines of records: JSON arrays, Git LFS pointers; and format aliases."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from rankterm.core.errors import LoadIssue, UsageError
from rankterm.formats import Imported, ImportReader, ReadOptions, get_format

DATA = Path(__file__).parent / "data"


def read(path, name=None, options=None):
    with ImportReader(path, name, options) as reader:
        items = list(reader)
        fmt = reader.format.name
    return (
        fmt,
        [i for i in items if isinstance(i, Imported)],
        [i for i in items if isinstance(i, LoadIssue)],
    )


def arena_records() -> list[dict]:
    return [orjson.loads(x) for x in (DATA / "arena.jsonl").read_bytes().splitlines() if x.strip()]


def test_a_json_array_arena_dump_is_read_like_its_jsonl(tmp_path):
    records = arena_records()
    # Indented like the Arena's clean_battle_*.json: one record spans many lines.
    path = tmp_path / "battles.json"
    path.write_bytes(orjson.dumps(records, option=orjson.OPT_INDENT_2) + b"\n")
    fmt, good, bad = read(path)
    _, expected, expected_bad = read(DATA / "arena.jsonl")
    assert fmt == "arena"
    assert [b.reason for b in bad] == [b.reason for b in expected_bad]  # the multi-turn one
    assert [i.pair for i in good] == [i.pair for i in expected]
    assert [i.label for i in good] == [i.label for i in expected]
    # Each record's line is where its object starts in the file.
    starts = [n for n, text in enumerate(path.read_text().splitlines(), 1) if text == "  {"]
    assert sorted([i.line for i in good] + [b.line for b in bad]) == starts


def test_a_json_array_with_a_bad_element_reports_its_line(tmp_path):
    records = arena_records()
    records[0]["winner"] = "nobody"
    body = b"[\n" + b",\n".join(orjson.dumps(r) for r in records) + b"\n]\n"
    path = tmp_path / "battles.json.gz"
    path.write_bytes(gzip.compress(body))
    fmt, good, bad = read(path)
    _, expected, expected_bad = read(DATA / "arena.jsonl")
    assert fmt == "arena" and len(good) == len(expected) - 1
    assert [b.line for b in bad] == [2, 1 + expected_bad[0].line]
    assert "winner" in bad[0].reason


def test_a_truncated_json_array_keeps_the_records_before_the_cut(tmp_path):
    records = arena_records()
    body = orjson.dumps(records)
    path = tmp_path / "cut.json"
    path.write_bytes(body[: len(body) - 40])
    _, good, bad = read(path, "arena")
    _, expected, expected_bad = read(DATA / "arena.jsonl")
    # The last record (the fixture's multi-turn one) is cut: it is reported as cut instead.
    assert expected_bad[0].line == len(records)
    assert [i.pair for i in good] == [i.pair for i in expected]
    assert len(bad) == 1 and "ends inside a record (truncated)" in bad[0].reason


def test_a_git_lfs_pointer_is_named_as_such(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    with pytest.raises(UsageError, match="is a Git LFS pointer") as caught:
        read(path)
    assert "git lfs pull" in str(caught.value)
    # A named format reports it as the file's one issue, as it does any bad input.
    _, good, bad = read(path, "trl")
    assert not good and [(b.line, "a Git LFS pointer" in b.reason) for b in bad] == [(1, True)]


def test_hh_is_an_alias_of_hh_rlhf():
    assert get_format("hh").name == "hh-rlhf"
    fmt, good, _ = read(DATA / "hh.jsonl", "hh")
    assert fmt == "hh-rlhf" and len(good) == 4


def test_ultrafeedback_overall_reason_reads_well(tmp_path):
    record = orjson.loads((DATA / "ultrafeedback_raw.jsonl").read_bytes().splitlines()[0])
    record["completions"] = record["completions"][:1]
    path = tmp_path / "uf.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")
    _, _, bad = read(path, "ultrafeedback", ReadOptions(uf_score="overall"))
    assert bad[0].reason == "fewer than two completions with an overall score"


def test_json_array_strings_with_brackets_escapes_and_chunk_boundaries(tmp_path):
    tricky = 'a "quoted" \\ back\\slash }] {[ and \\" an escaped quote'
    records = [
        {"prompt": tricky, "chosen": " one", "rejected": " two"},
        {"prompt": "", "chosen": " long", "rejected": " short"},
        {"prompt": "last", "chosen": " ]", "rejected": " }"},
    ]
    # Pad the second prompt so the escape of '"' is split by the scanner's 1 MiB read.
    head = orjson.dumps(records[:1])[:-1] + b',{"prompt":"'
    big = "x" * ((1 << 20) - 1 - len(head)) + '"}' + "y" * 100
    records[1]["prompt"] = big
    body = orjson.dumps(records)
    assert body[(1 << 20) - 1 : (1 << 20) + 1] == b'\\"'
    path = tmp_path / "trl.json"
    path.write_bytes(body)
    fmt, good, bad = read(path)
    assert fmt == "trl" and not bad
    assert [i.pair.prompt for i in good] == [tricky, big, "last"]
    assert {good[2].pair.response_a, good[2].pair.response_b} == {" ]", " }"}


def test_json_lines_whose_first_line_is_an_array_lose_nothing(tmp_path):
    good = (DATA / "trl_standard.jsonl").read_bytes()
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'[1, "two"]\n' + good)
    _, kept, bad = read(path, "trl")
    assert len(kept) == 3 and [b.line for b in kept] == [2, 3, 4]
    assert [(b.line, b.reason) for b in bad] == [(1, "array element is not an object (a record)")]
    path.write_bytes(b"[]\n")
    assert [b.reason for b in read(path, "trl")[2]] == ["an empty JSON array, no records"]
