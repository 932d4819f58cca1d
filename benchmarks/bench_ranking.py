"""K-way ranking: keystrokes per full ranking, and keypress latency on the ranking screen.

Keystrokes. Binary insertion with ties (:mod:`rankterm.core.insertion`) is run against every
possible true order of K candidates, answering each question truthfully: every strict order
(K! of them) and every order with ties (the ordered set partitions: 75 for K=4, 4683 for
K=6). The count is one keystroke per comparison asked; a typed order is not used. Reported:
mean and worst case against K(K-1)/2 (asking every pair), and the mean over the shipped
sample files (each task ranked by a truthful annotator whose true order is the task's gold
order where it has one, else a seeded random order) through the real :class:`RankSource`
and its fsynced journal.

Latency. As ``bench_keypress.py`` (same probe, same floor app, same sizes, in the same run):
the real app on a file of K-way tasks whose responses are long Markdown (2-4k words), a
verdict key timed from the Key event to the first frame showing the next question. The
needle is the strip's comparison count of the next question (" N compared ("), which the
screen paints in the same call as the two response panes. Unlike pairs, the next question
depends on the answer, so nothing is rendered ahead: each question renders its two texts on
the key (the first screenful synchronously, the rest in a worker, as for a pair shown first).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import statistics
import tempfile
from pathlib import Path

from bench_keypress import FrameProbe, Sample, bench_floor, press, until_idle
from common import CACHE, ROOT, emit, log, parse_args
from datagen import long_markdown
from rankterm.config import Settings
from rankterm.core.insertion import Edge, Ranker, insertion_sequence, worst_case_comparisons
from rankterm.core.model import Choice, Order
from rankterm.sources.local import open_local
from rankterm.sources.ranking import RankSource
from rankterm.tui.app import make_app

WARMUP = 3
LEFT_KEYS, RIGHT_KEYS, TIE_KEY = ("2", "1", "3"), ("6", "7", "5"), "4"


def truth(order: Order, a: int, b: int) -> Choice:
    rank = {i: t for t, tier in enumerate(order) for i in tier}
    if rank[a] == rank[b]:
        return Choice.TIE
    return Choice.A if rank[a] < rank[b] else Choice.B


def weak_orders(k: int):
    for labels in itertools.product(range(k), repeat=k):
        used = sorted(set(labels))
        if used == list(range(len(used))):
            yield [[i for i in range(k) if labels[i] == t] for t in used]


def comparisons_for(order: Order, k: int, seed: str) -> int:
    seq = insertion_sequence(k, seed)
    edges: list[Edge] = []
    while (q := Ranker(k, edges, sequence=seq).next_question()) is not None:
        edges.append(Edge(len(edges), q.a, q.b, truth(order, q.a, q.b)))
    return len(edges)


def keystrokes(k: int) -> dict:
    strict = [
        comparisons_for([[i] for i in p], k, f"bench\x00{n}")
        for n, p in enumerate(itertools.permutations(range(k)))
    ]
    ties = [comparisons_for(o, k, f"bench\x00{n}") for n, o in enumerate(weak_orders(k))]
    all_pairs = k * (k - 1) // 2
    return {
        "all_pairs": all_pairs,
        "bound": worst_case_comparisons(k),
        "strict_orders": len(strict),
        "strict_mean": round(statistics.mean(strict), 3),
        "strict_worst": max(strict),
        "with_ties_orders": len(ties),
        "with_ties_mean": round(statistics.mean(ties), 3),
        "with_ties_worst": max(ties),
        "strict_mean_over_all_pairs": round(statistics.mean(strict) / all_pairs, 3),
    }


def sample_keystrokes(path: Path, tmp: Path) -> dict:
    """Rank every task of a sample file through the real source and journal."""
    local, _, _ = open_local(path, annotator="bench", out=tmp / f"{path.stem}.journal.jsonl")
    rng = random.Random(5)
    per_task = []
    try:
        source = RankSource(local)
        orders: dict[str, Order] = {}
        while (view := source.rank_view()) is not None:
            task = view.task
            if task.id not in orders:
                if task.gold is not None:
                    orders[task.id] = task.gold.order
                else:
                    ids = list(range(task.k))
                    rng.shuffle(ids)
                    orders[task.id] = [[i] for i in ids]
                per_task.append(0)
            choice = truth(orders[task.id], view.question.a, view.question.b)
            source.record(choice, None if choice is Choice.TIE else 2, source.draft(), 0)
            per_task[-1] += 1
    finally:
        local.close()
    with path.open() as handle:
        k = len(json.loads(handle.readline())["responses"])
    return {
        "tasks": len(per_task),
        "k": k,
        "mean": round(statistics.mean(per_task), 2),
        "worst": max(per_task),
        "all_pairs": k * (k - 1) // 2,
    }


def rank_file(count: int, k: int, seed: int = 13) -> Path:
    path = CACHE / f"rank-v1-{count}-{k}-{seed}.jsonl"
    if path.exists():
        return path
    rng = random.Random(seed)
    CACHE.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for n in range(count):
            record = {
                "id": f"rank-{n:04d}",
                "prompt": f"Question {n}: " + long_markdown(rng, 60),
                "responses": [long_markdown(rng, rng.randint(2000, 4000)) for _ in range(k)],
            }
            handle.write(json.dumps(record) + "\n")
    return path


def key_for_answer(choice: Choice, left_is_a: bool, last: str) -> str:
    """A verdict key for the answer, never the last key again (that would read as held)."""
    if choice is Choice.TIE:
        keys: tuple[str, ...] = (TIE_KEY,)
    elif (choice is Choice.A) == left_is_a:
        keys = LEFT_KEYS
    else:
        keys = RIGHT_KEYS
    return next((k for k in keys if k != last), keys[0])


async def bench_rank_screen(path: Path, size: tuple[int, int], presses: int) -> dict:
    rng = random.Random(3)
    with tempfile.TemporaryDirectory(prefix="rankterm-rankbench-") as tmp:
        local, guide, _issues = open_local(path, annotator="bench", out=Path(tmp) / "j.jsonl")
        rank = RankSource(local)
        app = make_app(local, Settings(annotator="bench"), guide, rank_source=rank)
        probe = FrameProbe(app)
        samples = Sample()
        orders: dict[str, Order] = {}
        last = ""
        probe.expect(" 0 compared (")
        async with app.run_test(size=size) as pilot:
            await probe.wait(60)
            await until_idle(app, "finish")
            for n in range(presses + WARMUP):
                view = rank.rank_view()
                if view is None:
                    break
                task = view.task
                if task.id not in orders:
                    ids = list(range(task.k))
                    rng.shuffle(ids)
                    orders[task.id] = [[i] for i in ids]
                q = view.question
                choice = truth(orders[task.id], q.a, q.b)
                _, comps = rank._attempt(task.id)
                edges = [Edge(c.id, c.a, c.b, c.choice) for c in comps]
                after = Ranker(
                    task.k,
                    [*edges, Edge("next", q.a, q.b, choice)],
                    sequence=insertion_sequence(task.k, f"bench\x00{task.id}"),
                )
                probe.expect(f" {0 if after.complete else view.asked + 1} compared (")
                last = key_for_answer(choice, view.left == q.a, last)
                start = await press(app, last)
                await probe.wait()
                if n >= WARMUP:
                    samples.add(start, probe)
                await until_idle(app, "finish")
                await asyncio.sleep(0.05)
            await pilot.press("q")
        local.close()
    return samples.summary()


async def run(args) -> None:
    figures: dict = {"keystrokes": {f"k{k}": keystrokes(k) for k in (4, 6)}}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sample_data"] = {
            name: sample_keystrokes(ROOT / "sample_data" / f"{name}.jsonl", Path(tmp))
            for name in ("rank4", "rank6")
        }
    log(f"keystrokes {figures['keystrokes']} samples {figures['sample_data']}")
    presses = 12 if args.quick else 60
    k = 6
    path = rank_file(4 if args.quick else 16, k)
    for cols, rows in ((80, 24), (160, 50)):
        label = f"{cols}x{rows}"
        floor = await bench_floor((cols, rows), presses)
        app = await bench_rank_screen(path, (cols, rows), presses)
        ratio = app["p50_ms"] / floor["p50_ms"] if floor["p50_ms"] else float("nan")
        figures[label] = {
            "rankterm": app,
            "floor": floor,
            "p50_over_floor_p50": round(ratio, 2),
        }
        log(f"{label} ranking p50 {app['p50_ms']} p99 {app['p99_ms']} floor {floor['p50_ms']}")
    emit(
        "ranking",
        {"k_latency": k, "presses_per_size": presses, "response_words": [2000, 4000]},
        figures,
    )


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
