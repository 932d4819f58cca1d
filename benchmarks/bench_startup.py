"""Startup: process start to the first pair on screen, and the peak memory of that process.

Method: for each file size N, run the real CLI (``python -m rankterm annotate FILE --out J``)
on a pseudo-terminal of 160x50 in a fresh process. A reader thread timestamps every chunk the
process writes; "first pair on screen" is the chunk that completes the first pair's id, which
the annotation screen paints in the same frame as the prompt and both responses. Then
``/proc/<pid>/status`` VmHWM (peak resident set) is read, ``q`` is sent, and the exit awaited.
A cold open of a big file checks records in the background and, at quit, finishes that check
before exiting (so the list of bad lines is complete and cached): ``quit_to_exit_s`` is that
wait.

Every process runs with Python's bytecode cache on (its default; see ``python_env``), kept
under the bench cache dir; the floor is also measured with the cache off, since compiling
every module again costs about 0.6 s of each start on the reference machine.

Each N is measured cold (no index sidecar in the cache dir: the first open of a file) and warm
(the sidecar written by the cold run is reused: every later open of an unchanged file). The
floor is the same CLI on a 10-pair file, measured in the same run, so ratios survive a noisy
machine; CPU seconds of the process at the first pair are reported beside wall seconds, as
they move far less when other work shares the cores. ``index_pairs`` is also timed alone in a
fresh interpreter (``index_probe.py``) in both validation modes, so the growth with N of the
index itself is visible apart from Python, Textual and terminal startup. Inputs are generated
once under ``$RANKTERM_BENCH_CACHE`` (default /tmp).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

from common import CACHE, HERE, emit, log, parse_args, proc_cpu_s, proc_status_kb
from datagen import sized_pairs_file
from ptyproc import PtyProcess, child_env

SIZES_FULL = (10_000, 100_000, 1_000_000)
SIZES_QUICK = (10_000,)


#: Where the child processes keep compiled bytecode (``PYTHONPYCACHEPREFIX``), so the repo and
#: the venv stay clean.
PYCACHE = CACHE / "pycache"


def python_env(bytecode_cache: bool) -> dict[str, str | None]:
    """Python's own default is to cache compiled bytecode, and that is what a user's machine
    does. Some environments turn it off (``PYTHONDONTWRITEBYTECODE=1``, as the reference
    machine's sandbox does): then every start compiles Textual, Rich, pydantic and rankterm
    again, unless the install was compiled ahead (``UV_COMPILE_BYTECODE=1 uv sync``). The
    figures are taken with caching on, and the floor is also reported with it off."""
    if bytecode_cache:
        return {"PYTHONDONTWRITEBYTECODE": None, "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    # An empty prefix: Python then looks for bytecode only there, so nothing compiled earlier
    # (say by ``UV_COMPILE_BYTECODE``) is read either.
    empty = CACHE / "pycache-empty"
    shutil.rmtree(empty, ignore_errors=True)
    empty.mkdir(parents=True)
    return {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(empty)}


def run_cli(
    pairs: Path, first_id: str, cache_dir: Path, settle: float, bytecode_cache: bool = True
) -> dict:
    """One fresh process: seconds to the first pair, peak RSS at that moment and at quit."""
    with tempfile.TemporaryDirectory(prefix="rankterm-bench-") as tmp:
        journal = Path(tmp) / "journal.jsonl"
        env = {
            **python_env(bytecode_cache),
            "XDG_CACHE_HOME": str(cache_dir),
            "RANKTERM_CONFIG": str(Path(tmp) / "config.toml"),
            "XDG_CONFIG_HOME": str(Path(tmp) / "config"),
            "XDG_DATA_HOME": str(Path(tmp) / "data"),
        }
        argv = [sys.executable, "-m", "rankterm", "annotate", str(pairs), "--out", str(journal)]
        proc = PtyProcess([*argv, "--annotator", "bench"], size=(160, 50), env=env)
        try:
            first = proc.wait_for(first_id.encode(), timeout=600)
            hwm_first = proc_status_kb(proc.proc.pid, "VmHWM")
            cpu_first = proc_cpu_s(proc.proc.pid)
            time.sleep(settle)
            hwm_quit = proc_status_kb(proc.proc.pid, "VmHWM")
            # The process's true peak: a big new file is indexed and checked in threads after
            # the first pair (and, if still running, before exit), so watch VmHWM to the end.
            whole_life = [hwm_quit or 0]
            watching = threading.Event()

            def watch(pid: int = proc.proc.pid) -> None:
                while not watching.is_set():
                    value = proc_status_kb(pid, "VmHWM")
                    if value:
                        whole_life.append(value)
                    time.sleep(0.1)

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            proc.send(b"q")
            quit_at = time.perf_counter()
            code = proc.finish(timeout=600)
            quit_to_exit = time.perf_counter() - quit_at
            watching.set()
            watcher.join()
        except BaseException:
            proc.send(b"q")
            proc.finish(timeout=5)
            raise
    return {
        "first_pair_s": first,
        "cpu_at_first_s": cpu_first or 0.0,
        "rss_at_first_mb": (hwm_first or 0) / 1024,
        "peak_rss_mb": (hwm_quit or 0) / 1024,
        "peak_rss_whole_run_mb": max(whole_life) / 1024,
        "quit_to_exit_s": round(quit_to_exit, 3),
        "exit": code,
    }


def index_only(pairs: Path, mode: str, cache_dir: Path) -> dict:
    """``index_pairs`` alone in a fresh interpreter (see index_probe.py)."""
    env = child_env({**python_env(True), "XDG_CACHE_HOME": str(cache_dir)})
    out = subprocess.run(
        [sys.executable, str(HERE / "index_probe.py"), str(pairs), mode],
        env=env,
        capture_output=True,
        check=True,
        timeout=1800,
    )
    result = orjson.loads(out.stdout.splitlines()[-1])
    return {
        "index_s": round(result["index_s"], 3),
        "index_cpu_s": round(result["index_cpu_s"], 3),
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
        "import_s": round(result["import_s"], 3),
    }


def median_of(runs: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    sizes = SIZES_QUICK if args.quick else SIZES_FULL
    warm_runs = 1 if args.quick else 3
    settle = 0.2 if args.quick else 1.0
    cache_root = CACHE / "xdg-cache-startup"

    tiny = CACHE / "tiny-10.jsonl"
    if not tiny.exists():
        src = sized_pairs_file(10_000)
        with src.open("rb") as fin, tiny.open("wb") as fout:
            for _ in range(10):
                fout.write(fin.readline())
    shutil.rmtree(cache_root, ignore_errors=True)
    no_cache = [
        run_cli(tiny, "p0000000", cache_root, settle, bytecode_cache=False)
        for _ in range(warm_runs)
    ]
    run_cli(tiny, "p0000000", cache_root, settle)  # compiles the bytecode the runs below reuse
    floor_runs = [run_cli(tiny, "p0000000", cache_root, settle) for _ in range(warm_runs)]
    floor = median_of(floor_runs, "first_pair_s")
    floor_cpu = median_of(floor_runs, "cpu_at_first_s")
    log(
        f"floor (10 pairs): {floor:.3f} s, cpu {floor_cpu:.3f} s; without a bytecode cache "
        f"{median_of(no_cache, 'first_pair_s'):.3f} s"
    )

    figures: dict = {
        "floor_10_pairs": {
            "first_pair_s": floor,
            "cpu_at_first_s": floor_cpu,
            "peak_rss_mb": median_of(floor_runs, "peak_rss_mb"),
        },
        "floor_10_pairs_no_bytecode_cache": {
            "first_pair_s": median_of(no_cache, "first_pair_s"),
            "cpu_at_first_s": median_of(no_cache, "cpu_at_first_s"),
        },
    }
    for n in sizes:
        pairs = sized_pairs_file(n)
        row: dict = {"file_mb": round(pairs.stat().st_size / 2**20, 1)}
        # index_pairs alone: each mode from an empty cache, then eager from its sidecar.
        for mode in ("background", "eager"):
            shutil.rmtree(cache_root, ignore_errors=True)
            row[f"index_{mode}_cold"] = index_only(pairs, mode, cache_root)
            log(f"N={n} index {mode} cold: {row[f'index_{mode}_cold']}")
        row["index_warm"] = index_only(pairs, "eager", cache_root)
        log(f"N={n} index warm: {row['index_warm']}")
        # The real CLI on a pty: warm (sidecar present), then cold.
        warm = [run_cli(pairs, "p0000000", cache_root, settle) for _ in range(warm_runs)]
        log(f"N={n} CLI warm: {warm}")
        codes = {w["exit"] for w in warm}
        if not args.quick:  # --quick: the index probes above already cover the cold path
            shutil.rmtree(cache_root, ignore_errors=True)
            cold = run_cli(pairs, "p0000000", cache_root, settle)
            log(f"N={n} CLI cold: {cold}")
            row.update(
                {
                    "cli_cold_first_pair_s": round(cold["first_pair_s"], 3),
                    "cli_cold_cpu_at_first_s": round(cold["cpu_at_first_s"], 3),
                    "cli_cold_peak_rss_mb": round(cold["peak_rss_mb"], 1),
                    "cli_cold_peak_rss_whole_run_mb": round(cold["peak_rss_whole_run_mb"], 1),
                    "cli_cold_quit_to_exit_s": cold["quit_to_exit_s"],
                }
            )
            codes.add(cold["exit"])
        row.update(
            {
                "cli_warm_first_pair_s": median_of(warm, "first_pair_s"),
                "cli_warm_cpu_at_first_s": median_of(warm, "cpu_at_first_s"),
                "cli_warm_peak_rss_mb": median_of(warm, "peak_rss_mb"),
                "cli_warm_over_floor": round(median_of(warm, "first_pair_s") / floor, 2),
                "cli_warm_cpu_over_floor": round(
                    median_of(warm, "cpu_at_first_s") / max(floor_cpu, 1e-3), 2
                ),
                "exit_codes": sorted(codes),
            }
        )
        figures[str(n)] = row
    shutil.rmtree(cache_root, ignore_errors=True)
    if "1000000" in figures:
        big = figures["1000000"]
        figures["targets_1M"] = {
            "first_pair_lt_1s_cli_warm": big["cli_warm_first_pair_s"] < 1.0,
            "first_pair_lt_1s_cli_cold": big["cli_cold_first_pair_s"] < 1.0,
            "index_lt_1s_warm": big["index_warm"]["index_s"] < 1.0,
            "index_lt_1s_background_cold": big["index_background_cold"]["index_s"] < 1.0,
            "rss_lt_200mb_cli_warm": big["cli_warm_peak_rss_mb"] < 200,
            "rss_lt_200mb_cli_cold": big["cli_cold_peak_rss_whole_run_mb"] < 200,
        }
    emit(
        "startup",
        {
            "sizes": list(sizes),
            "terminal": "160x50",
            "warm_runs": warm_runs,
            "settle_s": settle,
            "bytecode_cache": True,
        },
        figures,
    )


if __name__ == "__main__":
    main()
