"""Shared pieces of the benchmark scripts: machine description, percentiles, peak memory, output.

Every script prints exactly one JSON line on stdout and appends the same line to
``benchmarks/results.jsonl`` (or to ``$RANKTERM_BENCH_RESULTS`` when set, which the smoke test
uses so that it does not write into the repository). The machines these run on are small and
noisy, so scripts measure a baseline in the same run and report medians and ratios rather than
absolute numbers alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results.jsonl"
CACHE = Path(os.environ.get("RANKTERM_BENCH_CACHE", "/tmp/rankterm-bench"))
"""Generated inputs live here (never in the repository) and are reused between runs."""


def parse_args(description: str, extra=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes; finishes in < 30 s")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def machine() -> dict[str, Any]:
    try:
        import textual

        textual_version = textual.__version__
    except ImportError:  # pragma: no cover - textual is a runtime dependency
        textual_version = None
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        affinity = os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_usable": affinity,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "textual": textual_version,
        "cpu_model": _cpu_model(),
        # The load when the figures were emitted: the same code measures very differently on
        # this 2-core machine at load 0.3 and at load 7, so every line says which it was.
        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize_ms(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds, rounded for reading."""
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan"),
        "max_ms": round(max(ms), 3) if ms else float("nan"),
    }


def self_peak_rss_mb() -> float:
    """Peak resident set of this process (VmHWM), in MiB."""
    hwm = proc_status_kb(os.getpid(), "VmHWM")
    if hwm is not None:
        return round(hwm / 1024, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is KiB on Linux, bytes on macOS.
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def proc_status_kb(pid: int, field: str) -> int | None:
    """A ``kB`` field of /proc/<pid>/status (VmHWM, VmRSS...), or None when unavailable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (all its threads).

    On a contended machine wall-clock startup swings by seconds while CPU time barely moves,
    so the startup benchmark reports both.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def emit(name: str, params: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    """Print the one JSON line and append it to the results file."""
    record = {
        "name": name,
        "params": params,
        "figures": figures,
        "machine": machine(),
        "ts": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    line = orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY)
    target = Path(os.environ.get("RANKTERM_BENCH_RESULTS", RESULTS))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("ab") as handle:
        handle.write(line + b"\n")
    sys.stdout.write(line.decode() + "\n")
    sys.stdout.flush()
    return record


def log(message: str) -> None:
    """Progress for the person running the script: stderr, so stdout stays one JSON line."""
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


#: ``--backend`` choices of the server benchmarks.
BACKENDS = ("both", "sqlite", "postgresql")


def add_backend_option(parser: argparse.ArgumentParser, help: str) -> None:
    """``--backend both|sqlite|postgresql`` (PostgreSQL needs RANKTERM_TEST_PG)."""
    parser.add_argument("--backend", choices=BACKENDS, default="both", help=help)


def on_each_backend(
    parser: argparse.ArgumentParser, backend: str, run: Callable[[str], Any]
) -> dict[str, Any]:
    """``run(database URL)`` on a fresh SQLite file and, when ``backend`` asks for it and
    RANKTERM_TEST_PG names a server, on a fresh PostgreSQL database that is dropped afterwards
    (whatever happens); results keyed ``sqlite`` / ``postgresql``. The one place the server
    benchmarks set up their databases, so they measure the same setup."""
    import secrets
    import tempfile

    results: dict[str, Any] = {}
    if backend in ("both", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="rankterm-bench-db-") as tmp:
            results["sqlite"] = run(str(Path(tmp) / "bench.db"))
    pg = os.environ.get("RANKTERM_TEST_PG")
    if backend == "postgresql" and not pg:
        parser.error("--backend postgresql needs RANKTERM_TEST_PG (a PostgreSQL URL)")
    if pg and backend in ("both", "postgresql"):
        from tests.server import conftest

        name = f"rankterm_bench_{secrets.token_hex(4)}"
        conftest.PG_URL = pg
        conftest.pg_admin_execute(f"CREATE DATABASE {name}")
        try:
            results["postgresql"] = run(conftest.pg_database_url(name))
        finally:
            conftest.pg_admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return results
