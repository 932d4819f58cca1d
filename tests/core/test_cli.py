"""The command line as scripts see it: help, version, exit codes, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys

from rankterm import __version__
from rankterm.storage.journal import Journal
from tests.helpers import pair_record, write_pairs


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rankterm", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        **kwargs,
    )


def test_help_lists_every_command_and_version():
    result = run("--help")
    assert result.returncode == 0
    for command in ("annotate", "adjudicate", "import", "export", "leaderboard", "serve", "sync"):
        assert command in result.stdout
    assert run("--version").stdout.strip() == f"rankterm {__version__}"
    for command in ("annotate", "adjudicate", "config"):
        assert run(command, "--help").returncode == 0


def test_a_locked_journal_is_refused_with_exit_code_3(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(0)])
    with Journal.open(tmp_path / "pairs.judgments.jsonl"):
        result = run("annotate", str(pairs))
    assert result.returncode == 3
    assert "open in another rankterm process" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_and_empty_pairs_files_are_clear_errors(tmp_path):
    result = run("annotate", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 1 and "no such file" in result.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    result = run("annotate", str(bad))
    assert result.returncode == 2
    assert "bad.jsonl:1: invalid JSON" in result.stderr
    assert "no valid pairs" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_is_reported_with_its_path(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("idle_seconds = 'soon'\n")
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(0)])
    result = run("annotate", str(pairs), env={**_env(), "RANKTERM_CONFIG": str(config)})
    assert result.returncode == 2
    assert "config.toml: idle_seconds" in result.stderr


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
