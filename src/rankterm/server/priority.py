"""Changing pair priorities after import (an import skips existing ids, so it cannot).

By id, from the admin API (``PATCH /v1/projects/{project}/priorities``) or ``rankterm admin
priority FILE``; or by a rule (``--rule``): the informative score or one of its components
(rankterm.server.informative), copied into the priority of the open pairs that have it, so a
project in priority order can be steered by the same signals once, by hand.

Only an admin reaches any of this (an annotator gets the 403 every admin route gives, before
the body is read), so reporting which ids are unknown tells an annotator nothing.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, Field
from sqlalchemy import Connection, bindparam, select, update

from rankterm.core.wire import Strict
from rankterm.server import informative
from rankterm.server import tables as t
from rankterm.server.core import Project
from rankterm.server.db import chunks

P = t.pairs

#: Items one request may carry (the CLI sends bigger files in several requests).
MAX_ITEMS = 2000
MAX_REPORTED = 50
RULES = ("informative", *informative.COMPONENTS)


class PriorityItem(Strict):
    id: str = Field(min_length=1, max_length=512)
    priority: float = Field(allow_inf_nan=False)


class PriorityUpdate(Strict):
    priorities: list[PriorityItem] = Field(max_length=MAX_ITEMS)


class PriorityResult(BaseModel):
    """What changed: ``unknown`` lists the first ids not in the project."""

    updated: int = 0
    unchanged: int = 0
    unknown_count: int = 0
    unknown: list[str] = Field(default_factory=list)

    def add(self, other: PriorityResult) -> None:
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.unknown_count += other.unknown_count
        room = MAX_REPORTED - len(self.unknown)
        self.unknown += other.unknown[: max(0, room)]


def set_priorities(
    conn: Connection, project: Project, items: Iterable[tuple[str, float]]
) -> PriorityResult:
    """Set each pair's priority by id (a repeated id: its last value)."""
    wanted: dict[str, float] = {}
    for pair_id, value in items:
        wanted[pair_id] = float(value)
    result = PriorityResult()
    changes: list[dict[str, Any]] = []
    for group in chunks(list(wanted), 500):
        found = {
            row.pair_id: row
            for row in conn.execute(
                select(P.c.seq, P.c.pair_id, P.c.priority).where(
                    P.c.project_id == project.id, P.c.pair_id.in_(group)
                )
            )
        }
        for pair_id in group:
            row = found.get(pair_id)
            if row is None:
                result.unknown_count += 1
                if len(result.unknown) < MAX_REPORTED:
                    result.unknown.append(pair_id)
            elif row.priority == wanted[pair_id]:
                result.unchanged += 1
            else:
                changes.append({"s": row.seq, "v": wanted[pair_id]})
    # Pair rows in ascending seq: the lock order everywhere (rankterm.server.scheduling).
    changes.sort(key=lambda c: c["s"])
    if changes:
        conn.execute(
            update(P).where(P.c.seq == bindparam("s")).values(priority=bindparam("v")), changes
        )
    result.updated = len(changes)
    return result


def by_rule(conn: Connection, project: Project, rule: str) -> PriorityResult:
    """Priorities from a rule: ``informative`` (the score) or one of its components, for
    the open ordinary pairs that have it (the others keep theirs)."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; known rules: {', '.join(RULES)}")
    scores, _ = informative.score_pairs(conn, project)
    items = [
        (s.pair_id, s.score if rule == "informative" else s.parts[rule])
        for s in scores
        if rule == "informative" or rule in s.parts
    ]
    return set_priorities(conn, project, items)


def read_file(path: Path) -> list[tuple[str, float]]:
    """(id, priority) from a JSONL file (``{"id": ..., "priority": ...}`` a line) or a CSV
    file (columns ``id`` and ``priority``, a header row naming them); ValueError naming the
    file and line otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() == ".csv":
        return _read_csv(path, text)
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise ValueError(f"{path}:{number}: expected an object with id and priority")
        items.append(_item(path, number, record.get("id"), record.get("priority")))
    return items


def _read_csv(path: Path, text: str) -> list[tuple[str, float]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    if "id" not in fields or "priority" not in fields:
        raise ValueError(f"{path}:1: the header must name the columns id and priority")
    return [_item(path, reader.line_num, row.get("id"), row.get("priority")) for row in reader]


def _item(path: Path, number: int, pair_id: Any, value: Any) -> tuple[str, float]:
    if not isinstance(pair_id, str | int) or isinstance(pair_id, bool) or str(pair_id) == "":
        raise ValueError(f"{path}:{number}: field id: a non-empty string is required")
    if len(str(pair_id)) > 512:
        raise ValueError(f"{path}:{number}: field id: longer than 512 characters")
    try:
        number_value = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number_value = math.nan
    if not math.isfinite(number_value):
        raise ValueError(f"{path}:{number}: field priority: a finite number is required")
    return str(pair_id), number_value
