"""A lean read of journals for analytics: a million judgments in a few hundred MB.

:func:`rankterm.storage.journal.load_journals` builds one pydantic
:class:`~rankterm.core.model.Judgment` per line (about 2 KB each, with its id, rationale and
every other field). Agreement, the audit
report and the leaderboard read only a handful of fields, so this module keeps just those in a
small slotted :class:`LeanJudgment` with interned strings, and re-reads the line from disk for
anything else (the rationale of the few items a report quotes, say).

It is the same replay as ``load_journals``, and must stay so (``tests/core/
test_journal_columns.py`` compares the two on the same files):

* blank lines are skipped; a line that is not JSON, not an object or not a valid record is
  reported as ``file:line: reason`` with the very message
  :func:`~rankterm.storage.journal.read_journal` gives (such lines go through the model, which
  words the reason);
* a judgment id seen before is ignored (the first occurrence stands, in journal order);
* a retraction withdraws its judgment wherever it appears, before or after it;
* resolutions and comments are kept whole (they are few); acks are counted and dropped.

Speed comes from a fast path: a judgment line whose fields all have the plain types the model
would accept unchanged (canonical lowercase UUID, ``...T..Z`` timestamp, string choice, int
strength consistent with it, ...) is read without pydantic. Any line that is not plain in
every field the model checks goes through :func:`rankterm.storage.journal.decode`, so acceptance and
values are the model's by construction.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from rankterm.core.errors import LoadIssue, describe_validation_error, display_path
from rankterm.core.model import Choice, Comment, Judgment, Resolution, Retraction, ordinal
from rankterm.storage.bulk import bulk_pass
from rankterm.storage.journal import decode

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
#: Timestamps both ``datetime.fromisoformat`` and the model parse to the same aware instant.
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)").fullmatch
_CHOICES = {c.value: c for c in Choice}
_SIDED = {"A", "B"}
_EMPTY: dict = {}


class LeanJudgment:
    """The fields of a judgment that analytics read; the rest is read back from disk.

    Duck-types :class:`~rankterm.core.model.Judgment` for the quality functions and the label
    policy: same attribute names and values (``tags`` is a tuple). Attributes not kept here
    (``id``, ``rationale``, ``ideal_response``...) come from :meth:`full`, which re-reads and
    validates the line: fine for the dozens of items a report quotes, not for every row.
    """

    __slots__ = (
        "_offset",
        "_path",
        "annotator",
        "choice",
        "created_at",
        "duration_ms",
        "flagged",
        "guideline_version",
        "pair_id",
        "shown_swapped",
        "strength",
        "tags",
    )
    kind = "judgment"

    pair_id: str
    annotator: str
    choice: Choice
    strength: int | None
    created_at: datetime
    shown_swapped: bool
    duration_ms: int
    tags: tuple[str, ...]
    guideline_version: str | None
    flagged: bool

    @property
    def ordinal(self) -> int | None:
        return ordinal(self.choice, self.strength)

    def full(self) -> Judgment:
        """The whole record, re-read from its journal line and validated."""
        with open(self._path, "rb") as handle:
            handle.seek(self._offset)
            entry = decode(handle.readline())
        if not isinstance(entry, Judgment):  # the file changed under us
            raise ValueError(f"{display_path(self._path)}: record at byte {self._offset} moved")
        return entry

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not in __slots__ (or a slot never set): read the line.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.full(), name)

    def __repr__(self) -> str:
        return (
            f"LeanJudgment({self.pair_id!r}, {self.annotator!r}, {self.choice.value!r}, "
            f"{self.strength!r}, {self.created_at.isoformat()})"
        )


@dataclass(slots=True)
class JournalFileStats:
    """What one journal held, for the report's data-sources table."""

    path: Path
    kinds: Counter[str] = field(default_factory=Counter)
    bad_lines: int = 0

    @property
    def records(self) -> int:
        return sum(self.kinds.values())


@dataclass(slots=True)
class LeanState:
    """The analytics view of replayed journals (see :class:`~.journal.JournalState`)."""

    #: Judgments that stand (not retracted), first occurrence of each id, in journal order.
    judgments: list[LeanJudgment] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    files: list[JournalFileStats] = field(default_factory=list)
    #: Comments on pairs (the adjudicators' discussion), in journal order.
    comments: list[Comment] = field(default_factory=list)

    def active(self, annotator: str | None = None) -> list[LeanJudgment]:
        """As :meth:`JournalState.active`: standing judgments, optionally for one annotator."""
        if annotator is None:
            return list(self.judgments)
        return [j for j in self.judgments if j.annotator == annotator]

    def latest_resolutions(self) -> dict[str, Resolution]:
        """The adjudicated label of record per pair (the latest resolution wins)."""
        return {r.pair_id: r for r in self.resolutions}


#: Fields the fast path reads, in the order a plan returns them, with the model's defaults.
_FIELDS = (
    "id", "created_at", "pair_id", "annotator", "choice", "strength", "tags", "flagged",
    "shown_swapped", "duration_ms", "guideline_version", "criteria",
)  # fmt: skip
_DEFAULTS = (None, None, None, None, None, None, (), False, False, 0, None, _EMPTY)
#: Accepted value types of every field the model checks (an absent field takes its default).
_TYPES: dict[str, tuple[type, ...]] = {
    "schema_version": (int,),
    "kind": (str,),
    "id": (str,),
    "created_at": (str,),
    "pair_id": (str,),
    "annotator": (str,),
    "choice": (str,),
    "strength": (int, type(None)),
    "tags": (list,),
    "rationale": (str,),
    "flagged": (bool,),
    "shown_swapped": (bool,),
    "duration_ms": (int,),
    "guideline_version": (str, type(None)),
    "ideal_response": (str, type(None)),
    "criteria": (dict,),
    "source": (str, type(None)),
    "tag_sides": (dict,),
}
_REQUIRED = ("id", "created_at", "pair_id", "annotator", "choice")
_new_row = object.__new__
_parse_stamp = datetime.fromisoformat


def _plan(keys: tuple[str, ...], types: tuple[type, ...]) -> Callable[[tuple], tuple] | None:
    """For one layout of keys and value types: a getter of :data:`_FIELDS` from
    ``(*values, *_DEFAULTS)``, or None when some field's type needs the model."""
    where = {key: i for i, key in enumerate(keys)}
    for key, kind in zip(keys, types, strict=True):
        accepted = _TYPES.get(key)
        if accepted is not None and kind not in accepted:
            return None  # bool is not int here: the exact type, or the model decides
    if any(key not in where for key in _REQUIRED):
        return None
    positions = [where.get(name, len(keys) + i) for i, name in enumerate(_FIELDS)]
    return itemgetter(*positions)


class _Reader:
    """Replays lines into rows; the intern tables make repeated strings cost one object."""

    def __init__(self, issues: list[LoadIssue] | None) -> None:
        self.issues = issues
        self.rows: list[LeanJudgment] = []
        #: 128-bit ids of the rows, parallel to ``rows`` (for retractions after the fact).
        self.ids: list[int] = []
        self.seen: set[int] = set()
        self.retracted: set[int] = set()
        self.resolutions: list[Resolution] = []
        self.comments: list[Comment] = []
        self.strings: dict[str, str] = {}
        self.tag_sets: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
        self.numbers: dict[int, int] = {}
        self.plans: dict[tuple, Callable[[tuple], tuple] | None] = {}

    def read(self, path: Path) -> JournalFileStats:
        stats = JournalFileStats(path)
        if not path.exists():
            return stats
        shown = display_path(path)
        loads = orjson.loads
        plans = self.plans
        fast = self._fast
        offset = plain = 0
        with path.open("rb") as handle:
            for line_no, raw in enumerate(handle, start=1):
                start = offset
                offset += len(raw)
                if not raw.strip():
                    continue
                try:
                    data = loads(raw)
                    if type(data) is dict:
                        values = tuple(data.values())
                        sig = (tuple(data), tuple(map(type, values)))
                        try:
                            plan = plans[sig]
                        except KeyError:
                            plan = plans[sig] = _plan(*sig)
                        if plan is not None and fast(plan(values + _DEFAULTS), data, path, start):
                            plain += 1
                            continue
                    # The model decides (and words the reason) exactly as read_journal does.
                    entry = decode(data if type(data) is dict else raw)
                except orjson.JSONDecodeError as exc:
                    torn = "" if raw.endswith(b"\n") else " (torn write, ignored)"
                    self._issue(stats, shown, line_no, f"invalid JSON ({exc.msg}){torn}")
                    continue
                except ValidationError as exc:
                    self._issue(stats, shown, line_no, describe_validation_error(exc))
                    continue
                except ValueError as exc:
                    self._issue(stats, shown, line_no, str(exc))
                    continue
                stats.kinds[entry.kind] += 1
                self._apply(entry, path, start)
        if plain:
            stats.kinds["judgment"] += plain
        return stats

    def _issue(self, stats: JournalFileStats, shown: str, line: int, reason: str) -> None:
        stats.bad_lines += 1
        if self.issues is not None:
            self.issues.append(LoadIssue(shown, line, reason))

    def _apply(self, entry: object, path: Path, offset: int) -> None:
        if isinstance(entry, Judgment):
            self._add(
                entry.id.int,
                entry.pair_id,
                entry.annotator,
                entry.choice,
                entry.strength,
                entry.created_at,
                entry.shown_swapped,
                entry.duration_ms,
                tuple(entry.tags),
                entry.guideline_version,
                entry.flagged,
                path,
                offset,
            )
        elif isinstance(entry, Retraction):
            self.retracted.add(entry.retracts.int)
        elif isinstance(entry, Resolution):
            self.resolutions.append(entry)
        elif isinstance(entry, Comment):
            self.comments.append(entry)

    def _fast(self, values: tuple, data: dict, path: Path, offset: int) -> bool:
        """Add a judgment whose field types are plain (see :func:`_plan`) without the model,
        once its values pass the model's checks too; False sends the line to the model."""
        (rid, stamp, pair_id, annotator, choice, strength, tags, flagged, swapped, duration,
         version, criteria) = values  # fmt: skip
        choice = _CHOICES.get(choice)
        if (
            choice is None
            or not annotator
            or duration < 0
            or criteria
            or data.get("tag_sides")  # sides are checked against the tags by the model
            or data.get("kind", "judgment") != "judgment"
            or not _UUID(rid)
            or not _STAMP(stamp)
        ):
            return False
        if strength is None:
            if choice.value in _SIDED:
                return False
        elif not 1 <= strength <= 3 or choice.value not in _SIDED:
            return False
        if tags:
            for tag in tags:
                if type(tag) is not str:
                    return False
            tags = tuple(tags)
        else:
            tags = ()
        # As _add, inlined: this runs once per line of a million-line journal.
        key = int(rid.replace("-", ""), 16)
        seen = self.seen
        if key in seen:
            return True  # a judgment id seen before: the first occurrence stands
        seen.add(key)
        strings = self.strings
        row = _new_row(LeanJudgment)
        row.pair_id = strings.setdefault(pair_id, pair_id)
        row.annotator = strings.setdefault(annotator, annotator)
        row.choice = choice
        row.strength = strength
        row.created_at = _parse_stamp(stamp)
        row.shown_swapped = swapped
        row.duration_ms = self.numbers.setdefault(duration, duration)
        row.tags = self.tag_sets.setdefault(tags, tags) if tags else ()
        row.guideline_version = None if version is None else strings.setdefault(version, version)
        row.flagged = flagged
        row._path = path
        row._offset = offset
        self.rows.append(row)
        self.ids.append(key)
        return True

    def _add(
        self,
        key: int,
        pair_id: str,
        annotator: str,
        choice: Choice,
        strength: int | None,
        created: datetime,
        swapped: bool,
        duration: int,
        tags: tuple[str, ...],
        version: str | None,
        flagged: bool,
        path: Path,
        offset: int,
    ) -> None:
        seen = self.seen
        if key in seen:
            return  # a judgment id seen before: the first occurrence stands
        seen.add(key)
        strings = self.strings
        row = _new_row(LeanJudgment)
        row.pair_id = strings.setdefault(pair_id, pair_id)
        row.annotator = strings.setdefault(annotator, annotator)
        row.choice = choice
        row.strength = strength
        row.created_at = created
        row.shown_swapped = swapped
        row.duration_ms = self.numbers.setdefault(duration, duration)
        row.tags = self.tag_sets.setdefault(tags, tags) if tags else ()
        row.guideline_version = None if version is None else strings.setdefault(version, version)
        row.flagged = flagged
        row._path = path
        row._offset = offset
        self.rows.append(row)
        self.ids.append(key)

    def finish(self) -> list[LeanJudgment]:
        """Standing rows in journal order: retractions applied wherever they appeared."""
        rows, retracted = self.rows, self.retracted
        if retracted:
            rows = [row for row, key in zip(rows, self.ids, strict=True) if key not in retracted]
        self.seen.clear()
        self.ids.clear()
        return rows


@bulk_pass
def read_lean(paths: Iterable[Path | str], issues: list[LoadIssue] | None = None) -> LeanState:
    """Replay several journals into a :class:`LeanState`; bad lines go to ``issues``.

    The same records stand, in the same order, as in ``load_journals(paths).active()``; a
    missing file reads as empty.
    """
    reader = _Reader(issues)
    files = [reader.read(Path(p)) for p in paths]
    return LeanState(reader.finish(), reader.resolutions, files, reader.comments)


def kinds_detail(kinds: Counter[str]) -> str:
    """``"3 acks, 120 judgments"``: what a journal held, as the report lists it."""
    return ", ".join(f"{n} {kind}s" for kind, n in sorted(kinds.items())) or "empty"


def as_judgments(rows: Sequence[LeanJudgment]) -> list[Judgment]:
    """Full records for a few rows (tests and the rare caller that needs every field)."""
    return [row.full() for row in rows]


__all__ = [
    "JournalFileStats",
    "LeanJudgment",
    "LeanState",
    "as_judgments",
    "kinds_detail",
    "read_lean",
]
