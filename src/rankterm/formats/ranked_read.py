"""Reading K-way ranking tasks back: rankterm's own ranking records and ``ranking-full`` rows.

A record with a ``responses`` list (3 to 9 candidates) is a :class:`RankTask`. When it also
carries an order -- ``order`` as tiers of 0-based indices (what ``export --to ranking-full``
writes), or Argilla's ranking-question value ``ranking: [{"value": "response-2", "rank": 1},
...]`` (equal ranks tie; ``response-N`` counts from 1) -- that order is the source's label and
becomes a prior :class:`~rankterm.core.model.Ranking` when ``import --labels`` is given. The
``rankterm`` metadata block an export wrote gives the task its metadata and tags back, so an
exported file re-imports as the same tasks.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from rankterm.core.errors import describe_validation_error
from rankterm.core.model import Order, RankTask, check_full_order, is_ranking_record
from rankterm.formats.base import META_KEY, Imported, RecordError, meta_of, pair_extras

NAME = "ranking-full"
DESCRIPTION = "K-way ranking tasks, with their order when given (reads ranking-full exports)"

_VALUE = re.compile(r"(\d+)$")


def detect(record: dict[str, Any]) -> bool:
    return is_ranking_record(record) and isinstance(record.get("responses"), list)


def convert(record: dict[str, Any], line: int, options: object = None) -> Imported:
    """A K-way ranking task (pairs in the same file go to the native reader: see the
    registry's ``mixed_convert``)."""
    record = dict(record)
    order_raw, ranking_raw = record.pop("order", None), record.pop("ranking", None)
    meta = meta_of(record)
    record.pop(META_KEY, None)
    extras = pair_extras(meta)
    extras.pop("id", None)
    for key, value in extras.items():
        record.setdefault(key, value)
    responses = record.get("responses")
    if isinstance(responses, list):
        record["responses"] = [_candidate(c) for c in responses]
    try:
        task = RankTask.model_validate(record)
    except ValidationError as exc:
        raise RecordError(describe_validation_error(exc)) from None
    order = None
    if order_raw is not None:
        order = _tiers(order_raw, task.k)
    elif ranking_raw is not None:
        order = _from_ranks(ranking_raw, task.k)
    return Imported(task, None, line, order=order)


def _candidate(value: Any) -> Any:
    """An exported candidate: ``model: ""`` (written for one schema per file) means none."""
    if isinstance(value, dict) and value.get("model") == "":
        return {k: v for k, v in value.items() if k != "model"}
    return value


def _tiers(value: Any, k: int) -> Order:
    if not isinstance(value, list) or not all(
        isinstance(t, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in t)
        for t in value
    ):
        raise RecordError("order: expected a list of tiers of candidate indices (0-based)")
    try:
        check_full_order(value, k)
    except ValueError as exc:
        raise RecordError(f"order: {exc}") from None
    return value


def _from_ranks(value: Any, k: int) -> Order:
    """Argilla's ``[{"value": "response-2", "rank": 1}, ...]`` as tiers (equal ranks tie)."""
    if not isinstance(value, list):
        raise RecordError("ranking: expected a list of {value, rank}")
    placed: dict[int, int] = {}
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            raise RecordError(f"ranking[{n}]: expected an object with value and rank")
        rank, name = item.get("rank"), item.get("value")
        match = _VALUE.search(name) if isinstance(name, str) else None
        if not isinstance(rank, int) or isinstance(rank, bool) or match is None:
            raise RecordError(f"ranking[{n}]: expected value 'response-N' and an integer rank")
        index = int(match.group(1)) - 1
        if index in placed:
            raise RecordError(f"ranking[{n}]: {name} is ranked twice")
        placed[index] = rank
    tiers: dict[int, list[int]] = {}
    for index, rank in sorted(placed.items()):
        tiers.setdefault(rank, []).append(index)
    order = [tiers[r] for r in sorted(tiers)]
    try:
        check_full_order(order, k)
    except ValueError as exc:
        raise RecordError(f"ranking: {exc}") from None
    return order
