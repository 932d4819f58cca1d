"""Ranking tasks and journals written as the ranking screen writes them (for export/quality tests).

A journal holds, per finished ranking, its :class:`Comparison` records and then the
:class:`Ranking` that lists their ids, exactly the records helper e's screen appends.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson

from rankterm.core.model import (
    Choice,
    Comparison,
    Order,
    Pair,
    Ranking,
    RankTask,
    Resolution,
    Retraction,
    parse_order,
)
from rankterm.storage.journal import Journal

TASKS = [
    RankTask(
        id="t1",
        prompt="Name a prime.",
        responses=[
            {"content": "2", "model": "m-a"},
            {"content": "4", "model": "m-b"},
            {"content": "7", "model": "m-c"},
            {"content": "nine", "model": "m-d"},
        ],
        metadata={"source": 1},
    ),
    RankTask(
        id="t2",
        prompt="Say hi.",
        responses=["hi", "hello", "hey there", "yo", "greetings", "sup"],
        metadata={"source": "x"},
    ),
]
PAIR = Pair(id="p1", prompt="2+2?", response_a="4", response_b="5", model_a="m-a", model_b="m-b")


def write_pairs(path: Path, tasks=TASKS, pairs=(PAIR,)) -> Path:
    with path.open("wb") as out:
        for p in pairs:
            out.write(orjson.dumps(p.to_json_dict()) + b"\n")
        for t in tasks:
            out.write(orjson.dumps(t.to_json_dict()) + b"\n")
    return path


def ranking_records(
    task_id: str,
    annotator: str,
    order: Order | str,
    k: int,
    compared: list[tuple[int, int]] | None = None,
    **extra,
) -> list:
    """Comparisons of the listed pairs (decided as ``order`` says) and the closing Ranking."""
    if isinstance(order, str):
        order = parse_order(order, k)
    rank = {i: t for t, tier in enumerate(order) for i in tier}
    rid = uuid.uuid4()
    comps = []
    for a, b in compared or []:
        if rank[a] == rank[b]:
            choice, strength = Choice.TIE, None
        else:
            choice, strength = (Choice.A if rank[a] < rank[b] else Choice.B), 2
        comps.append(
            Comparison(
                pair_id=task_id, annotator=annotator, ranking_id=rid, a=a, b=b,
                choice=choice, strength=strength,
            )
        )  # fmt: skip
    ranking = Ranking(
        pair_id=task_id, annotator=annotator, ranking_id=rid, k=k, order=order,
        comparisons=[c.id for c in comps], typed=not comps, **extra,
    )  # fmt: skip
    return [*comps, ranking]


def write_journal(path: Path, entries: list) -> Path:
    with Journal.open(path) as journal:
        journal.append_many(entries)
    return path


def resolution(task_id: str, order: str, k: int) -> Resolution:
    return Resolution(pair_id=task_id, adjudicator="expert", order=parse_order(order, k))


def retraction(entry) -> Retraction:
    return Retraction(retracts=entry.id, pair_id=entry.pair_id, annotator=entry.annotator)
