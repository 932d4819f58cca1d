"""K-way ranking data as exports and quality measures need it: the tasks and the standing orders.

Two readers, both independent of the pairwise machinery so that a pairs file or journal holding
both kinds of record is read twice at little cost:

* :func:`read_rank_tasks` takes the :class:`RankTask` records of a pairs file (only lines that
  mention ``"responses"`` are parsed) and reports a bad one with its file and line;
* :func:`read_rank_records` replays the ranking side of journals: finished :class:`Ranking`
  records, the :class:`Comparison` records they were built from, retractions, and resolutions
  that set an order of record. Only lines that can hold one of those are parsed, so a journal of
  a million pairwise judgments costs a read, not a million validations.

The standing ranking of an annotator on a task is the latest one not retracted (a re-ranking
replaces the earlier one), as the standing judgment of a pair is.
"""

from __future__ import annotations

import mmap
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from pydantic import ValidationError

from rankterm.core.errors import LoadIssue, describe_validation_error, display_path
from rankterm.core.model import (
    Comparison,
    Order,
    Ranking,
    RankTask,
    Resolution,
    Retraction,
    check_full_order,
    is_ranking_record,
)
from rankterm.storage.journal import decode

#: Byte markers of the journal lines :func:`read_rank_records` parses (the rest is skipped).
_JOURNAL_MARKERS = (b"ranking", b"comparison", b"retraction", b'"order"')


#: What a journal holding any ranking record must contain somewhere (JSON with or without
#: spaces after the colon): a ranking or comparison kind, or an order of record.
_FILE_MARKERS = (
    b'"ranking"',
    b'"comparison"',
    b'"order":[',
    b'"order": [',
)


def _mentions(path: str | Path, needles: tuple[bytes, ...]) -> bool:
    """Whether the file contains any of ``needles`` (a memory-mapped search, no parsing)."""
    with open(path, "rb") as handle:
        try:
            view = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            return False
        with view:
            return any(view.find(needle) != -1 for needle in needles)


@dataclass
class RankTasks:
    """The ranking tasks of a pairs file, in file order, and the lines they are on."""

    tasks: dict[str, RankTask] = field(default_factory=dict)
    #: Line numbers of every ranking record (valid or not), so pairwise readers can tell
    #: "this line is a ranking task" from "this line is broken".
    lines: set[int] = field(default_factory=set)
    issues: list[LoadIssue] = field(default_factory=list)
    #: How many pairwise records the file holds (lines parsed as JSON without ``responses``).
    pairs: int = 0
    #: The file's name as issues show it.
    shown: str = ""

    def without_rank_lines(self, issues: list[LoadIssue]) -> list[LoadIssue]:
        """``issues`` less those a pairwise reader raised on this file's ranking lines, plus
        this reader's own (a broken ranking record is reported with its own reason)."""
        kept = [i for i in issues if not (i.path == self.shown and i.line in self.lines)]
        return kept + self.issues


def read_rank_tasks(path: str | Path) -> RankTasks:
    """The :class:`RankTask` records of a pairs file; bad ones become issues (file:line)."""
    shown = display_path(Path(path))
    out = RankTasks(shown=shown)
    if not _mentions(path, (b'"responses"',)):
        return out  # the common case, a pairs-only file: one search, no line loop
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            if b'"responses"' not in raw:
                out.pairs += 1
                continue
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue  # the pairwise reader reports broken JSON
            if not isinstance(data, dict) or not is_ranking_record(data):
                out.pairs += 1
                continue
            out.lines.add(line_no)
            try:
                task = RankTask.model_validate(data)
            except ValidationError as exc:
                out.issues.append(LoadIssue(shown, line_no, describe_validation_error(exc)))
                continue
            if task.id in out.tasks:
                out.issues.append(LoadIssue(shown, line_no, f"duplicate id {task.id!r} skipped"))
                continue
            out.tasks[task.id] = task
    return out


@dataclass
class RankRecords:
    """The ranking side of one or more journals, replayed."""

    rankings: dict[uuid.UUID, Ranking] = field(default_factory=dict)
    comparisons: dict[uuid.UUID, Comparison] = field(default_factory=dict)
    retracted: set[uuid.UUID] = field(default_factory=set)
    #: The latest resolution with an order, per task id (the order of record).
    resolutions: dict[str, Resolution] = field(default_factory=dict)

    def standing(self) -> dict[str, list[Ranking]]:
        """Per task id, each annotator's latest ranking not retracted (annotators sorted)."""
        latest: dict[tuple[str, str], Ranking] = {}
        for r in self.rankings.values():
            if r.id not in self.retracted:
                latest[(r.pair_id, r.annotator)] = r
        out: dict[str, list[Ranking]] = {}
        for (task_id, _), r in sorted(latest.items()):
            out.setdefault(task_id, []).append(r)
        return out

    def direct_pairs(self, ranking: Ranking) -> dict[tuple[int, int], Comparison]:
        """The comparisons a ranking was built from, keyed by ``(low, high)`` candidate index.

        A pair compared twice (a contradiction re-asked) keeps the later comparison.
        """
        out: dict[tuple[int, int], Comparison] = {}
        for cid in ranking.comparisons:
            c = self.comparisons.get(cid)
            if c is None or c.id in self.retracted:
                continue
            out[(min(c.a, c.b), max(c.a, c.b))] = c
        return out


def read_rank_records(
    paths: Iterable[str | Path], issues: list[LoadIssue] | None = None
) -> RankRecords:
    """Replay the ranking records of journals; bad lines of those kinds go to ``issues``."""
    out = RankRecords()
    for path in paths:
        path = Path(path)
        if not path.exists():
            continue
        if not _mentions(path, _FILE_MARKERS):
            continue  # a pairwise-only journal: one search, no line loop
        shown = display_path(path)
        with path.open("rb") as handle:
            for line_no, raw in enumerate(handle, start=1):
                if not any(marker in raw for marker in _JOURNAL_MARKERS):
                    continue
                try:
                    entry = decode(raw)
                except (ValueError, ValidationError) as exc:
                    kind = _kind(raw)
                    if issues is not None and kind in ("ranking", "comparison"):
                        reason = (
                            describe_validation_error(exc)
                            if isinstance(exc, ValidationError)
                            else str(exc)
                        )
                        issues.append(LoadIssue(shown, line_no, reason))
                    continue
                match entry:
                    case Ranking():
                        out.rankings.setdefault(entry.id, entry)
                    case Comparison():
                        out.comparisons.setdefault(entry.id, entry)
                    case Retraction():
                        out.retracted.add(entry.retracts)
                    case Resolution() if entry.order is not None:
                        out.resolutions[entry.pair_id] = entry
    return out


def _kind(raw: bytes) -> str | None:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return data.get("kind") if isinstance(data, dict) else None


def fits(order: Order, task: RankTask) -> bool:
    """Whether an order places every candidate of the task exactly once."""
    try:
        check_full_order(order, task.k)
    except ValueError:
        return False
    return True
