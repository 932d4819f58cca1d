"""Hostile input never crashes a reader: every bad record is a reported line, the rest import."""

from __future__ import annotations

import gzip
import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rankterm.core.errors import LoadIssue
from rankterm.formats import FORMATS, Imported, ImportReader
from rankterm.formats import io as formats_io

DATA = Path(__file__).parent / "data"
READABLE = [name for name, fmt in FORMATS.items() if fmt.readable]


def hh_line(human: str, chosen: str, rejected: str) -> bytes:
    turn = f"\n\nHuman: {human}\n\nAssistant: "
    return json.dumps({"chosen": turn + chosen, "rejected": turn + rejected}).encode() + b"\n"


GOOD_HH = hh_line("hi", "hello", "go away")


def read_all(path, name=None):
    with ImportReader(path, name) as reader:
        items = list(reader)
    good = [i for i in items if isinstance(i, Imported)]
    bad = [i for i in items if isinstance(i, LoadIssue)]
    return good, bad


def test_bad_lines_are_reported_and_good_ones_kept(tmp_path):
    path = tmp_path / "mixed.jsonl"
    nested = b"[" * 5000 + b"]" * 5000
    path.write_bytes(
        GOOD_HH
        + b'{"chosen": "\\n\\nHuman: \xff\xfe bad utf8", "rejected": "x"}\n'  # invalid UTF-8
        + b'{"chosen": 5, "rejected": ["not", "a", "transcript"]}\n'  # wrong types
        + hh_line("a\x00b", "c", "d")  # NUL inside a string: valid JSON, kept
        + b"\x00\x00\x00\n"  # raw NULs
        + b'{"chosen": '
        + nested
        + b', "rejected": 1}\n'  # deep nesting
        + b"[1, 2, 3]\n"  # not an object
        + hh_line("same", "x", "x")
        + b'{"chosen": "no markers at all", "rejected": "none here either"}\n'
        + GOOD_HH.replace(b"go away", b"bye")
    )
    good, bad = read_all(path, "hh-rlhf")
    assert len(good) == 3  # first, the NUL-in-string one (valid JSON), the last
    assert "a\x00b" in good[1].pair.prompt
    lines = {issue.line: issue.reason for issue in bad}
    assert set(lines) == {2, 3, 5, 6, 7, 8, 9}
    assert "invalid JSON" in lines[2]
    assert "expected a string" in lines[3]
    assert "identical" in lines[8]


def test_an_endless_line_is_skipped_in_bounded_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(formats_io, "MAX_LINE_BYTES", 4096)
    path = tmp_path / "long.jsonl"
    path.write_bytes(GOOD_HH + b'{"chosen": "' + b"x" * 100_000 + b'"}\n' + GOOD_HH)
    good, bad = read_all(path)
    assert len(good) == 2  # the duplicate is the importer's business, not the reader's
    assert bad[0].line == 2 and "longer than 4096 bytes" in bad[0].reason
    # No newline at all at the end of the file.
    path.write_bytes(GOOD_HH + b"y" * 50_000)
    good, bad = read_all(path, "hh-rlhf")
    assert len(good) == 1 and bad[0].line == 2


def test_truncated_gzip_reports_and_keeps_what_was_read(tmp_path):
    whole = gzip.compress(GOOD_HH * 2000)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    good, bad = read_all(path, "hh-rlhf")
    assert good
    assert bad and "truncated" in bad[-1].reason


def test_gzip_cut_before_its_first_line_is_a_clear_error(tmp_path):
    """Cut inside the gzip header or before the first decoded byte: the reader used to raise
    EOFError from its format probe (a traceback); now a named format reports the file, line 1
    and "truncated" as an issue, and detection refuses with the same words."""
    from rankterm.core.errors import UsageError

    whole = gzip.compress(GOOD_HH * 50)
    path = tmp_path / "cut.jsonl.gz"
    for cut in (2, 5, 10, 18):
        path.write_bytes(whole[:cut])
        good, bad = read_all(path, "hh-rlhf")
        assert not good and bad, cut
        assert bad[0].line == 1 and "truncated" in bad[0].reason, (cut, bad)
        with pytest.raises(UsageError, match=r"cut\.jsonl\.gz:1: .*truncated"):
            read_all(path)


def test_csv_with_bad_bytes_and_nul(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(
        b"prompt,response_a,response_b\n"
        b"ok,a,b\n"
        b"bad \xff bytes,a,b\n"
        b"nul \x00 inside,a,b\n"
        b'"unterminated,a,b\n'
    )
    good, bad = read_all(path)
    assert good[0].pair.prompt == "ok"
    assert any(i.line == 3 and "UTF-8" in i.reason for i in bad)


def test_empty_and_blank_files(tmp_path):
    path = tmp_path / "blank.jsonl"
    path.write_text("\n\n   \n")
    for name in READABLE:
        good, _ = read_all(path, name)
        assert not good


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    "id", "prompt", "chosen", "rejected", "response_a", "response_b", "messages", "role",
    "content", "winner", "model_a", "model_b", "conversation_a", "conversation_b", "instruction",
    "completions", "response", "annotations", "overall_score", "fine-grained_score", "input",
    "preferred_output", "non_preferred_output", "score_chosen", "label", "rankterm", "gold",
]  # fmt: skip
records = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8)


FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}


@settings(max_examples=150, **FUZZ)
@given(batch=st.lists(records, min_size=1, max_size=5), name=st.sampled_from(READABLE))
def test_fuzzed_records_never_raise(tmp_path, batch, name):
    path = tmp_path / "fuzz.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in batch))
    good, bad = read_all(path, name)
    assert len(good) + len(bad) >= 1 or name == "csv"


@settings(max_examples=100, **FUZZ)
@given(blob=st.binary(max_size=400) | st.text(string.printable, max_size=400).map(str.encode))
def test_fuzzed_bytes_never_raise(tmp_path, blob):
    path = tmp_path / "fuzz.bin"
    path.write_bytes(blob)
    for name in READABLE:
        read_all(path, name)
