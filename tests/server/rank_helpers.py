"""Ranking tasks and complete rankings for the server tests (issue #16)."""

from __future__ import annotations

import uuid
from typing import Any

from rankterm.core.model import Comparison, Order, Ranking, RankTask, implied_pairs
from rankterm.core.wire import RankingSubmission


def make_rank_tasks(n: int, k: int = 4, gold: int = 0, prefix: str = "r") -> list[RankTask]:
    tasks = [
        RankTask(
            id=f"{prefix}{i:05d}",
            prompt=f"rank question {i}",
            responses=[{"content": f"answer {i}.{c}", "model": f"m{c}"} for c in range(k)],
        )
        for i in range(n)
    ]
    tasks += [
        RankTask(
            id=f"rgold{i:03d}",
            prompt=f"gold ranking {i}",
            responses=[f"g{c}" for c in range(k)],
            gold={"order": [[c] for c in range(k)]},
        )
        for i in range(gold)
    ]
    return tasks


def ranking(task_id: str, annotator: str, order: Order, **extra: Any) -> RankingSubmission:
    """A complete ranking of ``order``, with one comparison per adjacent tier pair (as a
    binary insertion of an already sorted list would ask), all in one attempt."""
    k = sum(len(tier) for tier in order)
    attempt = extra.pop("ranking_id", uuid.uuid4())
    steps = []
    for i, j, choice in implied_pairs(order)[: k - 1]:
        steps.append(
            Comparison(
                pair_id=task_id,
                annotator=annotator,
                ranking_id=attempt,
                a=i,
                b=j,
                choice=choice,
                strength=None if choice.value == "tie" else 2,
            )
        )
    record = Ranking(
        pair_id=task_id,
        annotator=annotator,
        ranking_id=attempt,
        k=k,
        order=order,
        comparisons=[s.id for s in steps],
        **extra,
    )
    return RankingSubmission.of(record, steps)
