"""Pipe mode for scripts: pairs on stdin, --limit, --export at the end, trustworthy exit codes."""

from __future__ import annotations

from rankterm.storage.index import index_pairs
from tests.helpers import pair_record, read_lines, write_pairs
from tests.tui.ptyrun import PtyApp


def test_pairs_from_stdin_limit_and_export(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(5)])
    order = [index_pairs(pairs).ids[i] for i in index_pairs(pairs).serving_order()]
    journal, exported = tmp_path / "j.jsonl", tmp_path / "trl.jsonl"
    args = ["annotate", "-", "--out", str(journal), "--annotator", "dev", "--limit", "2"]
    args += ["--export", "trl", str(exported)]
    app = PtyApp(args, size=(100, 30), stdin_data=pairs.read_bytes())
    try:
        app.wait_for(order[0].encode())
        start = len(app.snapshot())
        app.send(b"1")
        app.wait_for(order[1].encode(), start=start)
        app.send(b"7")
        code = app.wait_exit()  # the run ends by itself after the second verdict
    finally:
        app.close()
    assert code == 0, app.snapshot()[-600:]
    assert [r["pair_id"] for r in read_lines(journal)] == order[:2]
    rows = read_lines(exported)
    assert len(rows) == 2
    assert all(set(row) >= {"prompt", "chosen", "rejected"} for row in rows)


def test_unknown_export_format_fails_before_the_tui_starts(tmp_path):
    import subprocess
    import sys

    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(0)])
    result = subprocess.run(
        [sys.executable, "-m", "rankterm", "annotate", str(pairs), "--export", "nope", "x"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "unknown format 'nope'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "pairs.judgments.jsonl").exists()


def test_the_readme_pipe_command_works_as_written_and_resumes(tmp_path):
    # README: rankterm annotate - --limit 20 --export trl out.jsonl < candidates.jsonl
    # No --out: the verdicts are journaled beside the export (out.judgments.jsonl), so the
    # same command run again resumes instead of asking for the pairs judged already.
    pairs = write_pairs(tmp_path / "candidates.jsonl", [pair_record(i) for i in range(5)])
    order = [index_pairs(pairs).ids[i] for i in index_pairs(pairs).serving_order()]
    args = ["annotate", "-", "--limit", "2", "--export", "trl", "out.jsonl"]
    env = {"RANKTERM_ANNOTATOR": "dev"}
    app = PtyApp(args, size=(80, 24), stdin_data=pairs.read_bytes(), cwd=tmp_path, env=env)
    try:
        app.wait_for(order[0].encode())
        start = len(app.snapshot())
        app.send(b"1")
        app.wait_for(order[1].encode(), start=start)
        app.send(b"7")
        code = app.wait_exit()
    finally:
        app.close()
    assert code == 0, app.snapshot()[-600:]
    assert len(read_lines(tmp_path / "out.jsonl")) == 2
    journal = tmp_path / "out.judgments.jsonl"
    assert [r["pair_id"] for r in read_lines(journal)] == order[:2]

    # Again, and quit after one verdict: resumed at the third pair, and 4 (pairs left).
    app = PtyApp(args, size=(80, 24), stdin_data=pairs.read_bytes(), cwd=tmp_path, env=env)
    try:
        app.wait_for(order[2].encode())
        start = len(app.snapshot())
        app.send(b"1")
        app.wait_for(order[3].encode(), start=start)
        app.send(b"q")
        code = app.wait_exit()
    finally:
        app.close()
    assert code == 4, app.snapshot()[-600:]
    assert [r["pair_id"] for r in read_lines(journal)] == order[:3]
    assert len(read_lines(tmp_path / "out.jsonl")) == 3


def test_stdin_without_out_or_export_is_a_clear_usage_error(tmp_path):
    import subprocess
    import sys

    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(0)])
    result = subprocess.run(
        [sys.executable, "-m", "rankterm", "annotate", "-"],
        input=pairs.read_bytes(),
        capture_output=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert b"--out JOURNAL" in result.stderr and b"--export" in result.stderr
    assert b"Traceback" not in result.stderr
