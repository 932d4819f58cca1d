"""Every benchmark script runs with --quick and prints one JSON line with figures.

No timing is asserted (the machines are small and shared); this only keeps the scripts
working as the code under them changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks():
    names = {p.stem for p in SCRIPTS}
    assert {
        "bench_keypress",
        "bench_startup",
        "bench_analytics",
        "bench_sync",
        "bench_attacks",
    } <= names


@pytest.mark.timeout(900)
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_quick_run_prints_one_json_line(script, tmp_path):
    results = tmp_path / "results.jsonl"
    env = {**os.environ, "RANKTERM_BENCH_RESULTS": str(results)}
    done = subprocess.run(
        [sys.executable, str(script), "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=880,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1, lines
    record = orjson.loads(lines[0])
    assert {"name", "params", "figures", "machine", "ts"} <= set(record)
    assert record["figures"], record
    assert {"cpu_count", "python", "platform", "textual"} <= set(record["machine"])
    assert orjson.loads(results.read_bytes().splitlines()[-1]) == record
