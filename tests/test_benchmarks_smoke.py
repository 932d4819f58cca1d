"""Every benchmark script runs with --quick and prints one JSON line with the figures it is for.

No timing is asserted (the machines are small and shared); this keeps the scripts working as
the code under them changes. "Working" means more than exiting 0: a script that catches a
failing command records ``{"exit": 1, "error": ...}`` or ``{"skipped": ...}`` and still prints
its line, so the check reads the line too. Each script has one entry in :data:`BENCHMARKS`:
the figures it must report, figures that must equal a parameter (every judgment acked, every
key press timed), and the exit codes the commands it runs may end with.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from rankterm.commands.annotate import EXIT_LEFT

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "benchmarks").glob("bench_*.py"))
PG = bool(os.environ.get("RANKTERM_TEST_PG"))


@dataclass(frozen=True)
class Expect:
    """What one script's ``--quick`` line must hold."""

    #: Dotted paths into ``figures`` that must be present, not null (NaN is written as null).
    figures: tuple[str, ...]
    #: (path in ``figures``, path in ``params``) that must be equal.
    equal: tuple[tuple[str, str], ...] = ()
    #: Exit codes the script's child processes may record (``exit``, ``exit_codes``...).
    exits: frozenset[int] = frozenset({0})


def _server(db: str) -> tuple[str, ...]:
    keys = ("judgments_per_s_batched", "single_req_per_s_1", "single_req_per_s_4")
    keys += ("lease_ms_1.p50", "lease_ms_10.p50", "lease_ms_10.p99", "server_peak_rss_mb")
    return tuple(f"{db}.{key}" for key in keys)


def _keypress(size: str) -> tuple[str, ...]:
    keys = ("rankterm.p50_ms", "rankterm.p99_ms", "rankterm.loop_thread_cpu.p50_ms")
    return tuple(f"{size}.{key}" for key in (*keys, "floor.p50_ms", "p50_over_floor_p50"))


def _attacks(db: str) -> tuple[str, ...]:
    attacks = ("bogus_token_empty_items", "valid_token_empty_items", "valid_token_one_huge_string")
    keys = ("rss_peak_mb", "health_max_ms")
    return tuple(f"{db}.{attack}.after.{key}" for attack in attacks for key in keys)


def _pools(db: str) -> tuple[str, ...]:
    cases = ("plain", "interleaved_en", "interleaved_de", "german_first_en")
    keys = (*(f"{case}.median_ms" for case in cases), "import_pairs_per_s", "recompute_s")
    return tuple(f"{db}.{key}" for key in keys)


_ANALYTICS = ("load_journals", "read_lean", "agreement", "report", "leaderboard_bootstrap_0")

#: One entry per ``benchmarks/bench_*.py``: adding a script means adding its entry here.
_RANKING = (
    *(f"keystrokes.{k}.{f}" for k in ("k4", "k6") for f in ("strict_mean", "strict_worst")),
    *(f"keystrokes.{k}.{f}" for k in ("k4", "k6") for f in ("with_ties_mean", "with_ties_worst")),
    "sample_data.rank4.mean",
    "sample_data.rank6.worst",
    *(
        f"{size}.{key}"
        for size in ("80x24", "160x50")
        for key in ("rankterm.p50_ms", "p50_over_floor_p50")
    ),
)

BENCHMARKS: dict[str, Expect] = {
    "bench_analytics": Expect(
        figures=tuple(f"{run}.{key}" for run in _ANALYTICS for key in ("wall_s", "exit")),
    ),
    "bench_attacks": Expect(figures=_attacks("sqlite") + (_attacks("postgresql") if PG else ())),
    "bench_generate": Expect(
        figures=(
            "endpoint_alone.median_s",
            "generate.median_s",
            "overhead",
            "judge.verdicts_per_s",
        ),
    ),
    "bench_huge": Expect(
        figures=tuple(
            f"{case}.{key}"
            for case in ("ordinary", "lines", "megabytes", "cjk_line", "ascii_line")
            for key in ("first_paint_ms", "next_pair_ms", "peak_rss_mb")
        ),
    ),
    "bench_pools": Expect(
        figures=_pools("sqlite") + (_pools("postgresql") if PG else ()),
        # Every lease of 20 filled: the pools never starve the case they are measured on.
        equal=(
            ("sqlite.plain.leased", "lease_total"),
            ("sqlite.german_first_en.leased", "lease_total"),
        ),
    ),
    "bench_ranking": Expect(figures=_RANKING, equal=(("80x24.rankterm.n", "presses_per_size"),)),
    "bench_keypress": Expect(
        figures=_keypress("160x50") + _keypress("80x24"),
        equal=(
            ("160x50.rankterm.n", "presses_per_size"),
            ("80x24.rankterm.n", "presses_per_size"),
        ),
    ),
    "bench_adaptive": Expect(
        figures=(
            "judgments_fixed_3",
            "judgments_adaptive_2_plus_1",
            "judgments_saved",
            "server_judgments_saved",
            "hours_saved_server_estimate",
            "hours_saved_drawn_durations",
        ),
    ),
    "bench_rank_export": Expect(
        figures=(
            *(
                f"{fmt}.{key}"
                for fmt in ("ranking_pairs", "ranking_dpo", "ranking_kto", "ranking_full", "trl")
                for key in ("median_s", "rows_per_s")
            ),
            "ranking_pairs_over_trl_rows_per_s",
            "exit_codes",
        ),
    ),
    "bench_server": Expect(figures=_server("sqlite") + (_server("postgresql") if PG else ())),
    "bench_startup": Expect(
        figures=(
            "floor_10_pairs.first_pair_s",
            "10000.index_warm.index_s",
            "10000.cli_warm_first_pair_s",
            "10000.cli_warm_over_floor",
            "10000.exit_codes",
        ),
        # Each session is quit after the first pair: annotate's "pairs left" code, not 0.
        exits=frozenset({EXIT_LEFT}),
    ),
    "bench_web": Expect(
        figures=(
            "child_rss_mb.median",
            "child_pss_mb.median",
            "front_rss_mb",
            "per_session_mb",
            "annotators_per_gb",
            "annotators_per_gb_pss",
        ),
        # One process per signed-in annotator, each counted.
        equal=(("sessions", "sessions"), ("processes", "sessions")),
    ),
    "bench_sync": Expect(
        figures=("cli_sync.seconds", "cli_sync.exit", "reconnect_online.seconds"),
        equal=(("cli_sync.acked", "judgments"), ("reconnect_online.acked", "judgments")),
    ),
}

#: Keys a script writes when a part of it did not run or did not work.
FAILURE_KEYS = {"error", "errors", "skipped", "skip", "traceback"}
#: Keys that hold one exit code, or a list of them.
EXIT_KEYS = {"exit", "exit_code", "returncode"}
EXIT_LIST_KEYS = {"exit_codes", "returncodes"}

_MISSING = object()


def lookup(data: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return _MISSING
        data = data[key]
    return data


def walk(data: Any, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every key at any depth."""
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}{key}"
            yield path, key, value
            yield from walk(value, path + ".")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from walk(value, f"{prefix}{i}.")


def problems(expect: Expect, record: dict[str, Any]) -> list[str]:
    """Everything wrong with one result line, as readable strings (empty: the line is good)."""
    found = []
    figures = record.get("figures")
    if not isinstance(figures, dict) or not figures:
        return [f"figures: empty or not an object: {figures!r}"]
    for path in expect.figures:
        value = lookup(figures, path)
        if value is _MISSING:
            found.append(f"figures.{path}: missing")
        elif value is None:
            found.append(f"figures.{path}: null")
    for figure, param in expect.equal:
        got, want = lookup(figures, figure), lookup(record.get("params"), param)
        if got is _MISSING or want is _MISSING or got != want:
            shown = ["missing" if v is _MISSING else v for v in (got, want)]
            found.append(f"figures.{figure} = {shown[0]}, params.{param} = {shown[1]}")
    for path, key, value in walk(figures):
        if key in FAILURE_KEYS:
            found.append(f"figures.{path}: {value!r}")
        codes = [value] if key in EXIT_KEYS else value if key in EXIT_LIST_KEYS else []
        if not isinstance(codes, list):
            codes = [codes]
        bad = [code for code in codes if code not in expect.exits]
        if bad:
            found.append(f"figures.{path}: exit {bad}, expected {sorted(expect.exits)}")
    return found


def test_every_script_has_an_entry_and_every_entry_a_script():
    names = {p.stem for p in SCRIPTS}
    assert names - set(BENCHMARKS) == set(), "add an entry to BENCHMARKS for each new script"
    assert set(BENCHMARKS) - names == set(), "a benchmark in BENCHMARKS has no script"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_quick_run_prints_one_json_line(script, tmp_path):
    if script.stem == "bench_generate":
        from tests.llm.llmserver import require_llm_python

        require_llm_python()  # skips locally without torch's venv, fails under CI=true
    results = tmp_path / "results.jsonl"
    env = {**os.environ, "RANKTERM_BENCH_RESULTS": str(results)}
    done = subprocess.run(
        [sys.executable, str(script), "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=880,
    )
    stderr = done.stderr.decode(errors="replace")[-3000:]
    assert done.returncode == 0, stderr
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1, lines
    record = orjson.loads(lines[0])
    assert {"name", "params", "figures", "machine", "ts"} <= set(record)
    assert {"cpu_count", "python", "platform", "textual"} <= set(record["machine"])
    assert orjson.loads(results.read_bytes().splitlines()[-1]) == record
    assert script.stem in BENCHMARKS, f"no entry for {script.stem} in BENCHMARKS"
    found = problems(BENCHMARKS[script.stem], record)
    assert not found, "\n".join([*found, "", "stderr:", stderr])


# -- the check itself --------------------------------------------------------------------------

GOOD = {
    "name": "demo",
    "params": {"n": 3},
    "figures": {
        "run": {"wall_s": 1.5, "exit": 0, "n": 3},
        "sizes": {"10": {"exit_codes": [0]}},
    },
}
DEMO = Expect(figures=("run.wall_s", "sizes.10.exit_codes"), equal=(("run.n", "n"),))


def changed(path: str, value: Any) -> dict[str, Any]:
    record = orjson.loads(orjson.dumps(GOOD))
    *parents, last = path.split(".")
    target = record
    for key in parents:
        target = target[key]
    if value is _MISSING:
        del target[last]
    else:
        target[last] = value
    return record


def test_the_check_passes_a_good_line():
    assert problems(DEMO, GOOD) == []


@pytest.mark.parametrize(
    ("path", "value", "complaint"),
    [
        ("figures.run.exit", 1, "figures.run.exit: exit [1], expected [0]"),
        ("figures.run.error", "Traceback | RuntimeError: boom", "figures.run.error"),
        ("figures.skipped", {"report": "no `rankterm report`"}, "figures.skipped"),
        ("figures.sizes.10.exit_codes", [0, 4], "exit [4]"),
        ("figures.run.wall_s", _MISSING, "figures.run.wall_s: missing"),
        ("figures.run.wall_s", None, "figures.run.wall_s: null"),
        ("figures.run.n", 2, "figures.run.n = 2, params.n = 3"),
        ("figures", {}, "figures: empty"),
    ],
)
def test_the_check_refuses_a_broken_line(path, value, complaint):
    found = problems(DEMO, changed(path, value))
    assert any(complaint in line for line in found), found


def test_allowed_exit_codes_are_per_script():
    record = changed("figures.sizes.10.exit_codes", [EXIT_LEFT])
    record["figures"]["run"]["exit"] = EXIT_LEFT
    assert problems(DEMO, record) != []
    allowed = Expect(DEMO.figures, DEMO.equal, exits=frozenset({EXIT_LEFT}))
    assert problems(allowed, record) == []
