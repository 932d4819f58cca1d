"""Importing a large file runs in bounded memory (a ~50 MB HH-RLHF file, in a fresh process)."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

PROBE = r"""
import resource, sys
from rankterm.commands.cli import main

def run(args):
    try:
        main(args)
    except SystemExit as exc:
        assert not exc.code, exc.code

small, big, out, journal = sys.argv[1:5]
run(["import", small, "-o", out + ".warm", "--labels", journal + ".warm"])  # load every module
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run(["import", big, "-o", out, "--labels", journal])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after)
"""

WORDS = "the of and to in is that for it as with was on be by this are from at or an"
VOCAB = WORDS.split(" ")


def write_hh(path, target_bytes: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    written = records = 0
    with path.open("w") as out:
        while written < target_bytes:
            prompt = " ".join(rng.choices(VOCAB, k=40)) + f" #{records}"
            good = " ".join(rng.choices(VOCAB, k=180))
            bad = " ".join(rng.choices(VOCAB, k=120))
            turn = f"\n\nHuman: {prompt}\n\nAssistant: "
            line = json.dumps({"chosen": turn + good, "rejected": turn + bad}) + "\n"
            out.write(line)
            written += len(line)
            records += 1
    return records


@pytest.mark.stress
def test_a_50_mb_import_keeps_rss_growth_small(tmp_path):
    big = tmp_path / "big.jsonl"
    records = write_hh(big, 50 << 20)
    small = tmp_path / "small.jsonl"
    write_hh(small, 20_000, seed=2)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, small, big, tmp_path / "pairs.jsonl", tmp_path / "j.jsonl"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert probe.returncode == 0, probe.stderr
    before_kb, after_kb = map(int, probe.stdout.split()[-2:])
    growth_mb = (after_kb - before_kb) / 1024
    assert f"imported {records} pairs" in probe.stderr
    assert growth_mb < 100, f"RSS grew by {growth_mb:.0f} MB importing {records} records"
