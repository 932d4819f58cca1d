"""Analytics at scale: agreement, report and leaderboard over a million judgments.

Method: a synthetic collection (``datagen.analytics_set``: 333,334 short pairs between 12
models of known strength, each judged by 3 of 50 annotators of varying care, one journal per
annotator, realistic agreement: Fleiss' kappa about 0.5, ordinal alpha about 0.7) is generated
once. Each command then runs as the user runs it -- ``python -m rankterm <command> ...`` in a
fresh process -- and ``os.wait4`` gives its wall time, CPU time (user + system) and peak
resident set (``ru_maxrss``). Reading and replaying the journals alone is measured the same
way (``load_journals``, what ``annotate`` and ``export`` use, and ``read_lean``, the lean
replay the three analytics commands use). A command that does not exist
in this checkout is reported as skipped, with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, log, parse_args
from datagen import analytics_set

LOAD_ONLY = """
import sys, time
from rankterm.storage.journal import load_journals
issues = []
state = load_journals(sys.argv[1:], issues)
print(len(state.active()), len(issues))
"""
LEAN_ONLY = """
import sys
from rankterm.storage.journal_columns import read_lean
issues = []
state = read_lean(sys.argv[1:], issues)
print(len(state.active()), len(issues))
"""


def run_measured(argv: list[str], *, timeout: float) -> dict:
    """Run a command to completion; ``wait4`` gives that child's own CPU time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise TimeoutError(" ".join(argv))
            time.sleep(0.02)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "exit": proc.returncode,
        "_stdout": stdout,
        "_stderr": stderr,
    }


def available_commands() -> set[str]:
    """Command names listed by ``rankterm --help`` (one process instead of one per command)."""
    import re

    probe = subprocess.run(
        [sys.executable, "-m", "rankterm", "--help"],
        capture_output=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    return set(re.findall(r"^\W*([a-z][a-z-]+)\s{2,}", probe.stdout.decode(), re.MULTILINE))


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    pairs_count = 3_334 if args.quick else 333_334
    bootstraps = (0,) if args.quick else (0, 200)
    timeout = 120 if args.quick else 3600
    pairs, journals = analytics_set(pairs_count)
    journal_args = [str(j) for j in journals]
    journal_mb = sum(j.stat().st_size for j in journals) / 2**20
    rankterm = [sys.executable, "-m", "rankterm"]
    figures: dict = {}
    skipped: dict[str, str] = {}

    def record(label: str, argv: list[str]) -> None:
        result = run_measured(argv, timeout=timeout)
        stderr = result.pop("_stderr")
        result.pop("_stdout")
        if result["exit"] != 0:
            tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
            result["error"] = " | ".join(tail)
        figures[label] = result
        log(f"{label}: {result}")

    commands = available_commands()

    def command_exists(name: str) -> bool:
        return name in commands

    record("load_journals", [sys.executable, "-c", LOAD_ONLY, *journal_args])
    record("read_lean", [sys.executable, "-c", LEAN_ONLY, *journal_args])
    with tempfile.TemporaryDirectory(prefix="rankterm-analytics-") as tmp:
        if command_exists("agreement"):
            argv = [*rankterm, "agreement", *journal_args, "--pairs", str(pairs), "--json"]
            record("agreement", argv)
        else:
            skipped["agreement"] = "no `rankterm agreement` command in this checkout"
        if command_exists("report"):
            out = Path(tmp) / "report.md"
            record(
                "report",
                [*rankterm, "report", *journal_args, "--pairs", str(pairs), "-o", str(out)],
            )
        else:
            skipped["report"] = "no `rankterm report` command in this checkout"
        if command_exists("leaderboard"):
            for rounds in bootstraps:
                record(
                    f"leaderboard_bootstrap_{rounds}",
                    [
                        *rankterm,
                        "leaderboard",
                        *journal_args,
                        "--pairs",
                        str(pairs),
                        "--json",
                        "--bootstrap",
                        str(rounds),
                    ],
                )
        else:
            skipped["leaderboard"] = "no `rankterm leaderboard` command in this checkout"
    if skipped:
        figures["skipped"] = skipped
    emit(
        "analytics",
        {
            "pairs": pairs_count,
            "judgments": pairs_count * 3,
            "annotators": 50,
            "per_pair": 3,
            "journal_files": len(journals),
            "journal_mb": round(journal_mb, 1),
            "pairs_mb": round(pairs.stat().st_size / 2**20, 1),
            "bootstraps": list(bootstraps),
        },
        figures,
    )


if __name__ == "__main__":
    main()
