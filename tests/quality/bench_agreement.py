"""Time and memory of the quality pass over N synthetic judgments (not collected by pytest).

    uv run python -m tests.quality.bench_agreement 1000000

Judgments are built with ``model_construct`` (as if replayed from a journal, minus parsing):
50 annotators, 3 per pair, each agreeing with a per-pair truth 70% of the time. Reports wall
and CPU seconds (the CPU figure is the one to compare on a shared machine), max RSS, and the
peak memory the quality functions themselves allocate (tracemalloc).
"""

from __future__ import annotations

import gc
import random
import resource
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from rankterm.core.model import Choice, Judgment
from rankterm.quality import overall_agreement, quality_summary

VERDICTS = [
    (Choice.A, 1), (Choice.A, 2), (Choice.A, 3), (Choice.B, 1), (Choice.B, 2), (Choice.B, 3),
    (Choice.TIE, None), (Choice.BOTH_BAD, None),
]  # fmt: skip


def synthetic(n: int, seed: int = 7) -> list[Judgment]:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    annotators = [f"ann{i:02d}" for i in range(50)]
    out: list[Judgment] = []
    pair = 0
    while len(out) < n:
        truth = rng.randrange(len(VERDICTS))
        for annotator in rng.sample(annotators, 3):
            choice, strength = VERDICTS[truth] if rng.random() < 0.7 else rng.choice(VERDICTS)
            out.append(
                Judgment.model_construct(
                    id=uuid.uuid4(),
                    created_at=start + timedelta(seconds=2 * len(out)),
                    pair_id=f"p{pair}",
                    annotator=annotator,
                    choice=choice,
                    strength=strength,
                    tags=[],
                    rationale="",
                    flagged=False,
                    shown_swapped=rng.random() < 0.5,
                    duration_ms=rng.randrange(1000, 30000),
                    schema_version=1,
                    kind="judgment",
                )
            )
        pair += 1
    return out[:n]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label: str, compute: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = compute()
    print(
        f"{label}: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU,"
        f" max RSS {_rss_mib():.0f} MiB",
        flush=True,
    )
    return result


def main(n: int) -> None:
    judgments = synthetic(n)
    gc.collect()
    print(f"{len(judgments)} judgments built; max RSS {_rss_mib():.0f} MiB", flush=True)
    out = measure("overall_agreement", lambda: overall_agreement(judgments))
    measure("quality_summary (+ per-annotator)", lambda: quality_summary(judgments))
    for label, compute in (
        ("overall_agreement", lambda: overall_agreement(judgments)),
        ("quality_summary", lambda: quality_summary(judgments)),
    ):
        tracemalloc.start()
        compute()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{label}: peak allocation {peak / 2**20:.0f} MiB", flush=True)
    alpha = out["krippendorff_alpha"]
    print(
        f"alpha nominal {alpha['nominal']['value']:.3f}, ordinal {alpha['ordinal']['value']:.3f},"
        f" Fleiss {out['fleiss_kappa']['value']:.3f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
