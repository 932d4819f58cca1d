"""Production logs to monitoring pairs: a stratified sample by slice and time window.

Each line of a production log is one answer the deployed model gave::

    {"prompt": "...", "response": "...", "time": "2026-11-30T09:12:00Z",
     "model_version": "v7", "metadata": {"slice": "medical", ...}}

``time`` is ISO 8601 (a bare date, or with a time; no zone means UTC) or seconds since the
epoch. The sample is drawn per stratum, a (slice, window) cell, so a quiet slice or a quiet
week is not drowned by a busy one, and each drawn production answer is paired with a reference
answer to the same prompt: the reference model version's answer found in the logs, or one
written by ``rankterm generate`` (``references``). Sides are shuffled with the seed, so the
annotator does not know which side is production; the pair's ``metadata["monitor"]`` says it,
for :mod:`rankterm.quality.monitor`.

Plain functions, no I/O beyond reading the logs: the command (``rankterm sample``) writes.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from rankterm.core.errors import LoadIssue
from rankterm.core.model import Pair

T = TypeVar("T")

#: Window lengths ``--window`` accepts.
WINDOWS = ("hour", "day", "week", "month")
#: Where a pair's monitoring facts live in its metadata.
META_KEY = "monitor"
#: The slice of a log line with no value for the slice key.
NO_SLICE = "(none)"


@dataclass(frozen=True)
class LogEntry:
    """One production answer, with where it came from (for messages)."""

    file: str
    line: int
    prompt: str
    response: str
    time: datetime
    model_version: str
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def parse_time(value: Any) -> datetime:
    """A log's ``time``: ISO 8601 text or epoch seconds, as an aware UTC datetime."""
    if isinstance(value, bool) or value is None:
        raise ValueError("'time' is missing")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"'time' {value!r} is out of range") from None
    if not isinstance(value, str):
        raise ValueError(
            f"'time' must be ISO 8601 text or epoch seconds, not {type(value).__name__}"
        )
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'time' {value[:40]!r} is not ISO 8601") from None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def entry_from(record: dict[str, Any], file: str, line: int) -> LogEntry:
    """A log line as an entry; ValueError naming the field otherwise."""
    values = {}
    for key in ("prompt", "response", "model_version"):
        value = record.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"'{key}' must be a non-empty string")
        values[key] = value
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValueError("'metadata' must be an object")
    return LogEntry(
        file=file,
        line=line,
        prompt=values["prompt"],
        response=values["response"],
        time=parse_time(record.get("time")),
        model_version=values["model_version"].strip(),
        metadata=metadata,
    )


def read_records(
    paths: Sequence[str | Path], convert: Callable[[dict[str, Any], str, int], T]
) -> tuple[list[T], list[LoadIssue]]:
    """``convert(record, file, line)`` over every JSON line of the files (gzip and ``-`` too);
    bad JSON and each ValueError from ``convert`` become ``file:line: why`` issues."""
    from rankterm.formats.io import iter_json, open_input

    out: list[T] = []
    issues: list[LoadIssue] = []
    for path in paths:
        with open_input(path) as source:
            for item in iter_json(source):
                if isinstance(item, LoadIssue):
                    issues.append(item)
                    continue
                line, record = item
                try:
                    out.append(convert(record, source.name, line))
                except ValueError as exc:
                    issues.append(LoadIssue(source.name, line, str(exc)))
    return out, issues


def read_logs(paths: Sequence[str | Path]) -> tuple[list[LogEntry], list[LoadIssue]]:
    """Every good line of the logs; each bad one as ``file:line: why``."""
    return read_records(paths, entry_from)


def window_of(moment: datetime, window: str) -> str:
    """The label of the time window holding ``moment``; labels sort in time order."""
    if window == "hour":
        return moment.strftime("%Y-%m-%dT%H")
    if window == "day":
        return moment.strftime("%Y-%m-%d")
    if window == "week":
        year, week, _ = moment.isocalendar()  # ISO weeks: 2026-W01 is the week of Jan 4th
        return f"{year}-W{week:02d}"
    if window == "month":
        return moment.strftime("%Y-%m")
    raise ValueError(f"window {window!r}: expected one of {', '.join(WINDOWS)}")


def slice_of(entry: LogEntry, key: str) -> str:
    value = entry.metadata.get(key)
    if value is None or value == "":
        return NO_SLICE
    return value if isinstance(value, str) else str(value)


def _prompt_key(prompt: str) -> str:
    return " ".join(prompt.split())


def latest_version(entries: Iterable[LogEntry]) -> str | None:
    """The model version of the most recent log line (production, unless told)."""
    newest = max(entries, key=lambda e: e.time, default=None)
    return newest.model_version if newest else None


def previous_version(entries: Sequence[LogEntry], production: str) -> str | None:
    """The version that served most recently before ``production`` first appeared."""
    start = min((e.time for e in entries if e.model_version == production), default=None)
    if start is None:
        return None
    before = [e for e in entries if e.model_version != production and e.time <= start]
    if not before:
        before = [e for e in entries if e.model_version != production]
    return max(before, key=lambda e: e.time).model_version if before else None


def references_from_pairs(pairs: Iterable[Pair], version: str) -> dict[str, str]:
    """Prompt -> answer of model ``version`` in pairs written by ``rankterm generate``."""
    out: dict[str, str] = {}
    for pair in pairs:
        prompt = pair.prompt if pair.prompt is not None else ""
        if not prompt and pair.messages:
            prompt = next((m.content for m in reversed(pair.messages) if m.role == "user"), "")
        if not prompt:
            continue
        for model, text in ((pair.model_a, pair.response_a), (pair.model_b, pair.response_b)):
            if model == version:
                out.setdefault(_prompt_key(prompt), text)
    return out


@dataclass
class Stratum:
    """One (slice, window) cell: production answers in it, and how many were drawn."""

    slice: str
    window: str
    available: int = 0
    with_reference: int = 0
    drawn: int = 0


@dataclass
class Sample:
    pairs: list[Pair]
    #: Drawn production answers whose prompt has no reference answer (by prompt, first seen).
    missing: list[LogEntry]
    strata: list[Stratum]
    production: str
    reference: str


def pair_id(entry: LogEntry) -> str:
    """Stable across reruns, so sampling the same logs twice imports nothing twice."""
    digest = hashlib.sha256(
        f"{entry.model_version}\x00{entry.time.isoformat()}\x00{entry.prompt}".encode()
    ).hexdigest()
    return f"mon-{digest[:16]}"


def draw(
    entries: Sequence[LogEntry],
    *,
    production: str,
    reference: str,
    per_stratum: int,
    window: str = "week",
    slice_key: str = "slice",
    seed: int = 0,
    extra_references: dict[str, str] | None = None,
) -> Sample:
    """Up to ``per_stratum`` production answers per (slice, window), each paired with the
    reference version's answer to the same prompt (the latest one in the logs, else one from
    ``extra_references``); answers without a reference are listed in ``missing``, not drawn."""
    window_of(datetime.now(UTC), window)  # refuses an unknown window before any work
    refs: dict[str, LogEntry] = {}
    for entry in entries:
        if entry.model_version == reference:
            key = _prompt_key(entry.prompt)
            if key not in refs or refs[key].time <= entry.time:
                refs[key] = entry
    extra = extra_references or {}
    cells: dict[tuple[str, str], list[LogEntry]] = defaultdict(list)
    for entry in entries:
        if entry.model_version == production:
            cells[(slice_of(entry, slice_key), window_of(entry.time, window))].append(entry)
    rng = random.Random(seed)
    pairs: list[Pair] = []
    missing: dict[str, LogEntry] = {}
    strata: list[Stratum] = []
    seen_ids: set[str] = set()
    for (slice_name, window_name), members in sorted(cells.items(), key=lambda kv: kv[0]):
        stratum = Stratum(slice_name, window_name, available=len(members))
        members = sorted(members, key=lambda e: (e.time, e.file, e.line))
        usable = []
        for entry in members:
            key = _prompt_key(entry.prompt)
            if pair_id(entry) in seen_ids:
                continue  # the same line logged twice (or two log files overlapping)
            seen_ids.add(pair_id(entry))
            if key in refs or key in extra:
                usable.append(entry)
            else:
                missing.setdefault(key, entry)
        stratum.with_reference = len(usable)
        chosen = rng.sample(usable, min(per_stratum, len(usable)))
        stratum.drawn = len(chosen)
        strata.append(stratum)
        for entry in sorted(chosen, key=lambda e: (e.time, e.file, e.line)):
            key = _prompt_key(entry.prompt)
            ref_entry = refs.get(key)
            ref_text = ref_entry.response if ref_entry is not None else extra[key]
            production_side = "a" if rng.random() < 0.5 else "b"
            sides = (entry.response, ref_text)
            models = (production, reference)
            if production_side == "b":
                sides, models = sides[::-1], models[::-1]
            monitor = {
                "production": production_side,
                "production_model": production,
                "reference_model": reference,
                "reference_from": "logs" if ref_entry is not None else "generated",
                "slice": slice_name,
                "window": window_name,
                "time": entry.time.isoformat(),
                "source": entry.where,
            }
            pairs.append(
                Pair(
                    id=pair_id(entry),
                    prompt=entry.prompt,
                    response_a=sides[0],
                    response_b=sides[1],
                    model_a=models[0],
                    model_b=models[1],
                    metadata={**entry.metadata, META_KEY: monitor},
                )
            )
    return Sample(pairs, list(missing.values()), strata, production, reference)
