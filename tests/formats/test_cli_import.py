"""``rankterm import`` and ``rankterm formats`` through the real command functions."""

from __future__ import annotations

import gzip
import subprocess
import sys

import orjson
import pytest

from rankterm.core.model import Judgment
from rankterm.storage.index import index_pairs
from rankterm.storage.journal import read_journal

FIXTURES = [
    ("hh.jsonl", "hh-rlhf", 4),
    ("trl_standard.jsonl", "trl", 3),
    ("trl_conversational.jsonl", "trl", 2),
    ("trl_implicit.jsonl", "trl", 2),
    ("ultrafeedback_raw.jsonl", "ultrafeedback", 2),
    ("ultrafeedback_binarized.jsonl", "ultrafeedback-binarized", 2),
    ("arena.jsonl", "arena", 4),
    ("openai.jsonl", "openai", 2),
    ("native.jsonl", "rankterm", 2),
]


@pytest.mark.parametrize(("fixture", "fmt", "count"), FIXTURES)
def test_import_detects_and_writes_a_valid_pairs_file(cli, data, tmp_path, fixture, fmt, count):
    ran = cli("import", data / fixture, "-o", "pairs.jsonl")
    assert ran.exit_code == 0, ran.stderr
    assert f"as {fmt}" in ran.stderr
    assert f"imported {count} pair" in ran.stderr
    index = index_pairs(tmp_path / "pairs.jsonl")
    assert len(index) == count and not index.issues


def test_summary_names_skipped_lines(cli, data):
    ran = cli("import", data / "arena.jsonl", "-o", "pairs.jsonl")
    assert "skipped 1 record:" in ran.stderr
    assert "arena.jsonl:5: conversation_a and conversation_b diverge at turn 2" in ran.stderr


def test_labels_go_to_a_journal_once(cli, data, tmp_path):
    ran = cli("import", data / "hh.jsonl", "-o", "pairs.jsonl", "--labels", "prior.jsonl")
    assert ran.exit_code == 0
    assert "4 source labels appended to prior.jsonl as annotator 'source'" in ran.stderr
    judgments = [e for e in read_journal(tmp_path / "prior.jsonl") if isinstance(e, Judgment)]
    assert len(judgments) == 4 and {j.annotator for j in judgments} == {"source"}
    pairs = index_pairs(tmp_path / "pairs.jsonl")
    assert {j.pair_id for j in judgments} == set(pairs.ids)
    # Re-importing is idempotent: same ids, nothing appended.
    again = cli(
        "import", data / "hh.jsonl", "-o", "pairs.jsonl", "--labels", "prior.jsonl", "--force"
    )  # replacing the pairs file is asked for
    assert "0 source labels appended" in again.stderr and "(4 already there)" in again.stderr
    assert len(list(read_journal(tmp_path / "prior.jsonl"))) == 4
    assert index_pairs(tmp_path / "pairs.jsonl").ids == pairs.ids
    # Another annotator name is another set of judgments.
    cli("import", data / "hh.jsonl", "-o", "p2.jsonl", "--labels", "prior.jsonl",
        "--labels-annotator", "anthropic")  # fmt: skip
    assert len(list(read_journal(tmp_path / "prior.jsonl"))) == 8


def test_labels_are_placed_on_both_sides(cli, data, tmp_path):
    cli("import", data / "hh.jsonl", "-o", "pairs.jsonl", "--labels", "prior.jsonl")
    choices = {e.choice.value for e in read_journal(tmp_path / "prior.jsonl")}
    assert choices == {"A", "B"}


def test_csv_map_and_gzip_and_stdin(cli, data, tmp_path):
    ran = cli("import", data / "pairs.csv", "-o", "csv.jsonl",
              "--map", "prompt=question,chosen=good answer,rejected=bad answer")  # fmt: skip
    assert ran.exit_code == 0 and "imported 3 pairs" in ran.stderr
    (tmp_path / "hh.jsonl.gz").write_bytes(gzip.compress((data / "hh.jsonl").read_bytes()))
    assert "imported 4 pairs" in cli("import", "hh.jsonl.gz", "-o", "gz.jsonl").stderr
    ran = cli("import", "-", "-o", "-", input=(data / "openai.jsonl").read_bytes())
    assert ran.exit_code == 0
    lines = ran.stdout_bytes.splitlines()
    assert len(lines) == 2 and orjson.loads(lines[0])["id"].startswith("openai-")


def test_duplicates_are_skipped(cli, data, tmp_path):
    text = (data / "hh.jsonl").read_text()
    (tmp_path / "dup.jsonl").write_text(text + text.splitlines()[0] + "\n")
    ran = cli("import", "dup.jsonl", "-o", "pairs.jsonl")
    assert "imported 4 pairs" in ran.stderr and "dup.jsonl:5: duplicate id" in ran.stderr


def test_no_valid_record_exits_1_and_keeps_the_old_output(cli, tmp_path):
    (tmp_path / "pairs.jsonl").write_text("precious\n")
    (tmp_path / "bad.jsonl").write_text('{"chosen": 1, "rejected": 2}\n{"chosen": []}\n')
    ran = cli("import", "bad.jsonl", "-o", "pairs.jsonl", "--from", "trl", "--force")
    assert ran.exit_code == 1
    assert "no valid record" in ran.stderr and "bad.jsonl:1:" in ran.stderr
    assert (tmp_path / "pairs.jsonl").read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl", "-o", "x.jsonl"], "no such file"),
        (["{data}/hh.jsonl"], "needs -o"),
        (["{data}/hh.jsonl", "-o", "x", "--from", "parquet"], "unknown format"),
        (["{data}/hh.jsonl", "-o", "x", "--from", "kto"], "export-only"),
        (["{data}/pairs.csv", "-o", "x", "--map", "prompt"], "not field=column"),
        (["{data}/pairs.csv", "-o", "x", "--map", "answer=question"], "unknown field"),
        (["{data}/pairs.csv", "-o", "x", "--map", "prompt=nope"], "not in the header"),
        (["{data}/hh.jsonl", "-o", "{data}/hh.jsonl"], "names the input"),
        (["{data}/hh.jsonl", "-o", "x", "--uf-pairing", "some"], "--uf-pairing"),
        (["{data}/hh.jsonl", "-o", "nodir/x.jsonl"], "does not exist"),
        (["{data}/hh.jsonl", "-o", "{data}"], "is a directory"),
        ([], "needs a FILE"),
    ],
)
def test_usage_errors_exit_2(cli, data, args, message):
    ran = cli("import", *[a.format(data=data) for a in args])
    assert ran.exit_code == 2, ran.stderr
    assert message in ran.stderr


def test_formats_listing(cli):
    ran = cli("formats")
    assert ran.exit_code == 0
    lines = ran.stdout.splitlines()
    assert any(line.startswith("hh-rlhf") and "import/export" in line for line in lines)
    assert any(line.startswith("kto ") and "export" in line for line in lines)
    assert cli("import", "--list").stdout == ran.stdout


def test_the_installed_entry_point(data, tmp_path):
    """The real ``rankterm`` process: detection, exit codes, messages without tracebacks."""
    run = [sys.executable, "-m", "rankterm", "import"]
    ok = subprocess.run([*run, data / "arena.jsonl", "-o", tmp_path / "p.jsonl"],
                        capture_output=True, text=True)  # fmt: skip
    assert ok.returncode == 0 and "imported 4 pairs" in ok.stderr
    (tmp_path / "bad.jsonl").write_text("{}\n")
    bad = subprocess.run([*run, tmp_path / "bad.jsonl", "-o", tmp_path / "q.jsonl"],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "cannot tell the format" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_output_gets_an_ordinary_file_mode(cli, data, tmp_path):
    cli("import", data / "hh.jsonl", "-o", "new.jsonl")
    (tmp_path / "plain").write_text("")
    assert (tmp_path / "new.jsonl").stat().st_mode == (tmp_path / "plain").stat().st_mode
