"""Export throughput for K-way rankings: 10k rankings of K = 6, against a pairwise export.

Generates (once, cached) a pairs file of 10,000 six-way ranking tasks and a journal with one
ranking of each, built from 10 comparisons (what binary insertion asks for K = 6, about
K log2 K) and closed by its Ranking record. Times the real CLI, ``rankterm export --to
ranking-pairs | ranking-dpo | ranking-kto | ranking-full``, as a person runs it (process start
included), median of the rounds.

The same-run baseline is a pairwise export of as many rows: 150,000 pairs (10,000 x 15, the
implied pairs of the rankings) with one judgment each, ``rankterm export --to trl``. The ratio
``ranking_pairs_rows_per_s / trl_rows_per_s`` says what exporting from rankings costs per row
written against the ordinary path; the same ratio over child CPU seconds is steadier when the
machine is shared.

    uv run python benchmarks/bench_rank_export.py            # 10k rankings, 3 rounds
    uv run python benchmarks/bench_rank_export.py --quick    # 300 rankings, 1 round
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, emit, log, parse_args
from rankterm.core.model import Choice, Comparison, Judgment, Pair, Ranking, RankTask
from rankterm.storage.journal import encode

K = 6
COMPARISONS = 10
FORMATS = ("ranking-pairs", "ranking-dpo", "ranking-kto", "ranking-full")


def text(rng: random.Random, n: int) -> str:
    words = ("the", "model", "answer", "because", "first", "then", "so", "we", "check", "it")
    return " ".join(rng.choice(words) for _ in range(n))


def make_rankings(root: Path, n: int) -> tuple[Path, Path]:
    pairs, journal = root / f"rank_{n}.jsonl", root / f"rank_{n}_journal.jsonl"
    if pairs.exists() and journal.exists():
        return pairs, journal
    rng = random.Random(7)
    models = [f"model-{i}" for i in range(8)]
    with pairs.open("wb") as p, journal.open("wb") as j:
        for t in range(n):
            task = RankTask(
                id=f"r{t}",
                prompt=text(rng, 30),
                responses=[{"content": text(rng, 40), "model": m} for m in rng.sample(models, K)],
                metadata={"n": t},
            )
            p.write(orjson.dumps(task.to_json_dict()) + b"\n")
            order = list(range(K))
            rng.shuffle(order)
            place = {c: i for i, c in enumerate(order)}
            rid = uuid.uuid4()
            all_pairs = [(a, b) for a in range(K) for b in range(a + 1, K)]
            comps = []
            for a, b in rng.sample(all_pairs, COMPARISONS):
                choice = Choice.A if place[a] < place[b] else Choice.B
                comps.append(
                    Comparison(pair_id=task.id, annotator="ann", ranking_id=rid, a=a, b=b,
                               choice=choice, strength=2)
                )  # fmt: skip
            ranking = Ranking(
                pair_id=task.id,
                annotator="ann",
                ranking_id=rid,
                k=K,
                order=[[c] for c in order],
                comparisons=[c.id for c in comps],
            )
            j.write(b"".join(encode(e) for e in (*comps, ranking)))
    os.chmod(journal, 0o600)
    return pairs, journal


def make_pairs(root: Path, n: int) -> tuple[Path, Path]:
    pairs, journal = root / f"pairs_{n}.jsonl", root / f"pairs_{n}_journal.jsonl"
    if pairs.exists() and journal.exists():
        return pairs, journal
    rng = random.Random(8)
    with pairs.open("wb") as p, journal.open("wb") as j:
        for i in range(n):
            pair = Pair(id=f"p{i}", prompt=text(rng, 30), response_a=text(rng, 40),
                        response_b=text(rng, 40), model_a="model-0", model_b="model-1",
                        metadata={"n": i})  # fmt: skip
            p.write(orjson.dumps(pair.to_json_dict()) + b"\n")
            vote = Judgment(pair_id=pair.id, annotator="ann", choice=rng.choice("AB"), strength=2)
            j.write(encode(vote))
    os.chmod(journal, 0o600)
    return pairs, journal


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_export(journal: Path, pairs: Path, to: str, out: Path) -> tuple[float, float, int, int]:
    """Wall and CPU seconds of one export (CPU is steadier on a shared machine), rows, exit."""
    cpu = children_cpu_s()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rankterm", "export", str(journal), "--pairs", str(pairs),
         "--to", to, "-o", str(out), "--force"],
        capture_output=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    cpu = children_cpu_s() - cpu
    if done.returncode != 0:
        log(done.stderr.decode(errors="replace"))
    with out.open("rb") as handle:
        rows = sum(1 for _ in handle)
    return wall, cpu, rows, done.returncode


def main() -> None:
    args = parse_args(__doc__ or "")
    n = 300 if args.quick else 10_000
    rounds = 1 if args.quick else 3
    root = CACHE / "rank_export"
    root.mkdir(parents=True, exist_ok=True)
    log(f"generating {n} rankings (K={K}) and {n * 15} pairs in {root}")
    rank_pairs, rank_journal = make_rankings(root, n)
    base_pairs, base_journal = make_pairs(root, n * K * (K - 1) // 2)
    figures: dict = {}
    exits = []
    jobs = [(f, rank_journal, rank_pairs) for f in FORMATS] + [("trl", base_journal, base_pairs)]
    for to, journal, pairs in jobs:
        walls, cpus, rows = [], [], 0
        for _ in range(rounds):
            wall, cpu, rows, code = run_export(journal, pairs, to, root / f"out_{to}.jsonl")
            walls.append(wall)
            cpus.append(cpu)
            exits.append(code)
        median = statistics.median(walls)
        cpu_median = statistics.median(cpus)
        key = to.replace("-", "_")
        figures[key] = {
            "median_s": round(median, 3),
            "rounds_s": [round(w, 3) for w in walls],
            "cpu_median_s": round(cpu_median, 3),
            "rows": rows,
            "rows_per_s": round(rows / median),
            "rows_per_cpu_s": round(rows / cpu_median),
        }
        if to != "trl":
            figures[key]["rankings_per_s"] = round(n / median)
        log(f"{to}: {median:.2f} s, {rows} rows")
    figures["ranking_pairs_over_trl_rows_per_s"] = round(
        figures["ranking_pairs"]["rows_per_s"] / figures["trl"]["rows_per_s"], 3
    )
    figures["ranking_pairs_over_trl_rows_per_cpu_s"] = round(
        figures["ranking_pairs"]["rows_per_cpu_s"] / figures["trl"]["rows_per_cpu_s"], 3
    )
    figures["loadavg_after"] = list(os.getloadavg())
    figures["exit_codes"] = exits
    emit(
        "bench_rank_export",
        {"quick": args.quick, "rankings": n, "k": K, "comparisons_each": COMPARISONS,
         "baseline_pairs": n * K * (K - 1) // 2, "rounds": rounds},
        figures,
    )  # fmt: skip


if __name__ == "__main__":
    main()
