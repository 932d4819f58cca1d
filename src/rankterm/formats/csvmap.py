"""CSV (or TSV) with a column mapping.

Reading: the first row is the header. ``--map id=col,prompt=col,response_a=col,...`` maps the
fields below to columns; a field whose name is itself a column maps without being named, so a
CSV rankterm exported reads back with no ``--map``. Fields: ``id``, ``prompt`` or ``messages``
(a JSON list), ``response_a``/``response_b`` or ``chosen``/``rejected`` (then placed as A or B by a
stable hash of the id), ``model_a``, ``model_b``, ``choice`` (A, B, tie, both_bad; also model_a,
model_b, tie (bothbad)) and ``strength`` (1-3) as the prior label, ``rationale``, ``label_tags``,
``tags`` (separated by ``;``), ``priority``, ``metadata`` (a JSON object). Other non-empty columns
are kept in ``metadata`` under their names, except the label details rankterm writes itself
(annotators, votes, agreement, label_source, flagged, ideal_responses). Tab-separated when the
header has more tabs than commas. Id when none: ``csv-<sha1>``.

Writing: the columns above plus those label details, one row per label. Model text is
untrusted, and a spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR as a
formula (CSV injection). So such a cell is written with a ``'`` in front, as OWASP advises, and
so is a cell that already starts with ``'`` before one of those (so that the escape can be told
apart from data); plain numbers such as ``-1.5`` are left alone. Reading a CSV with rankterm's
own export header removes exactly that one ``'`` again, so export then import is lossless; a
CSV with any other header is read as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from rankterm.core.errors import LoadIssue, UsageError
from rankterm.core.model import Choice, Message, Pair
from rankterm.formats import io as formats_io
from rankterm.formats.base import (
    SOURCE_STRENGTH,
    Imported,
    ReadOptions,
    RecordError,
    SourceLabel,
    as_messages,
    build_pair,
    content_id,
    context_fields,
    place,
)
from rankterm.formats.io import InputFile, iter_lines
from rankterm.labels import Label

NAME = "csv"
DESCRIPTION = "CSV/TSV with a header; --map field=column,..."

FIELDS = (
    "id",
    "prompt",
    "messages",
    "response_a",
    "response_b",
    "chosen",
    "rejected",
    "model_a",
    "model_b",
    "choice",
    "strength",
    "rationale",
    "label_tags",
    "tags",
    "priority",
    "metadata",
)
EXPORT_ONLY = ("annotators", "votes", "agreement", "label_source", "flagged", "ideal_responses")
COLUMNS = (
    "id",
    "prompt",
    "messages",
    "response_a",
    "response_b",
    "model_a",
    "model_b",
    "choice",
    "strength",
    "rationale",
    "label_tags",
    *EXPORT_ONLY,
    "tags",
    "priority",
    "metadata",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _looks_like_formula(cell: str) -> bool:
    """Would a spreadsheet read this cell as a formula (after any leading quotes)?"""
    bare = cell.lstrip("'")
    return bare.startswith(_FORMULA_START) and _NUMBER.fullmatch(bare) is None


def neutralise(cell: str) -> str:
    """The cell as exported: ``'`` in front when it could run as a formula (see above)."""
    return "'" + cell if _looks_like_formula(cell) else cell


def restore(cell: str) -> str:
    """Undo :func:`neutralise` (for CSVs with rankterm's own header)."""
    return cell[1:] if cell.startswith("'") and _looks_like_formula(cell[1:]) else cell


_CHOICES = {
    "a": Choice.A,
    "b": Choice.B,
    "model_a": Choice.A,
    "model_b": Choice.B,
    "tie": Choice.TIE,
    "both_bad": Choice.BOTH_BAD,
    "both bad": Choice.BOTH_BAD,
    "tie (bothbad)": Choice.BOTH_BAD,
}


def parse_map(text: str | None) -> dict[str, str]:
    """``id=col,prompt=col`` -> ``{"id": "col", ...}``; UsageError naming a bad entry."""
    mapping: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        target, sep, column = item.partition("=")
        target, column = target.strip(), column.strip()
        if not sep or not column:
            raise UsageError(f"--map: {item.strip()!r} is not field=column")
        if target not in FIELDS:
            raise UsageError(f"--map: unknown field {target!r} (fields: {', '.join(FIELDS)})")
        mapping[target] = column
    return mapping


def read(
    source: InputFile,
    options: ReadOptions | None = None,
    lines: Iterator[tuple[int, bytes] | LoadIssue] | None = None,
) -> Iterator[Imported | LoadIssue]:
    """Rows as pairs; bad rows (and bad bytes) as issues. A --map naming no column is an error."""
    opts = options or ReadOptions()
    csv.field_size_limit(formats_io.MAX_LINE_BYTES)
    pending: list[LoadIssue] = []

    def text_lines() -> Iterator[str]:
        for item in lines if lines is not None else iter_lines(source):
            if isinstance(item, LoadIssue):
                pending.append(item)
                yield "\n"  # keeps the reader's line numbers in step with the file's
                continue
            yield item[1].decode("utf-8", errors="surrogateescape")

    texts = text_lines()
    header_line = next(texts, None)
    yield from pending
    pending.clear()
    if header_line is None:
        return
    delimiter = "\t" if header_line.count("\t") > header_line.count(",") else ","
    reader = csv.reader(_chain(header_line, texts), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        yield LoadIssue(source.name, 1, f"bad CSV header ({exc})")
        return
    mapping = _resolve_map(header, opts.column_map, source.name)
    own_export = tuple(header) == COLUMNS  # cells neutralised by Writer: restore them
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield from pending
            pending.clear()
            yield LoadIssue(source.name, start, f"bad CSV row ({exc})")
            start = reader.line_num + 1
            continue
        yield from pending
        pending.clear()
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield LoadIssue(source.name, line, f"{len(row)} cells, the header has {len(header)}")
            continue
        if own_export:
            row = [restore(cell) for cell in row]
        try:
            yield convert_row(dict(zip(header, row, strict=True)), mapping, line)
        except RecordError as exc:
            yield LoadIssue(source.name, line, str(exc))
    yield from pending


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _resolve_map(header: list[str], given: dict[str, str], name: str) -> dict[str, str]:
    missing = [f"{t}={c}" for t, c in given.items() if c not in header]
    if missing:
        raise UsageError(
            f"{name}: --map names columns not in the header: {', '.join(missing)} "
            f"(columns: {', '.join(header)})"
        )
    mapping = {f: f for f in FIELDS if f in header}
    mapping.update(given)
    return mapping


def convert_row(row: dict[str, str], mapping: dict[str, str], line: int) -> Imported:
    for column, cell in row.items():
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(f"{column}: invalid UTF-8") from None

    def get(target: str) -> str:
        column = mapping.get(target)
        return row.get(column, "") if column else ""

    if get("messages").strip():
        try:
            context = as_messages(orjson.loads(get("messages")), "messages")
        except orjson.JSONDecodeError as exc:
            raise RecordError(f"messages: invalid JSON ({exc.msg})") from None
    elif get("prompt"):
        context = [Message(role="user", content=get("prompt"))]
    else:
        raise RecordError("no prompt: the prompt (or messages) column is empty")
    label: SourceLabel | None = None
    raw_choice = get("choice").strip()
    choice = _CHOICES.get(raw_choice.lower()) if raw_choice else None
    if raw_choice and choice is None:
        raise RecordError(f"choice: {raw_choice!r} is not one of A, B, tie, both_bad")
    fields: dict[str, Any] = {"id": get("id").strip() or None}
    if "chosen" in mapping or "rejected" in mapping:
        good, bad = get("chosen"), get("rejected")
        pair_id = fields["id"] or content_id("csv", context, good, bad)
        fields["response_a"], fields["response_b"], choice = place(pair_id, good, bad)
    else:
        if "response_a" not in mapping or "response_b" not in mapping:
            raise RecordError("no response_a/response_b (or chosen/rejected) column")
        fields["response_a"], fields["response_b"] = get("response_a"), get("response_b")
        pair_id = fields["id"] or content_id("csv", context, get("response_a"), get("response_b"))
    fields["id"] = pair_id
    if choice is not None:
        label = SourceLabel(
            choice=choice,
            strength=_strength(get("strength"), choice),
            rationale=get("rationale"),
            tags=_split(get("label_tags")),
        )
    fields.update(context_fields(context))
    for key in ("model_a", "model_b"):
        if get(key):
            fields[key] = get(key)
    if get("tags"):
        fields["tags"] = list(_split(get("tags")))
    if get("priority").strip():
        fields["priority"] = get("priority").strip()
    metadata: dict[str, Any] = {}
    if get("metadata").strip():
        try:
            metadata = orjson.loads(get("metadata"))
        except orjson.JSONDecodeError as exc:
            raise RecordError(f"metadata: invalid JSON ({exc.msg})") from None
        if not isinstance(metadata, dict):
            raise RecordError("metadata: expected a JSON object")
    used = set(mapping.values())
    for column, cell in row.items():
        if column not in used and column not in EXPORT_ONLY and cell != "":
            metadata.setdefault(column, cell)
    if metadata:
        fields["metadata"] = metadata
    return Imported(build_pair(fields), label, line)


def _strength(text: str, choice: Choice) -> int | None:
    if choice not in (Choice.A, Choice.B):
        return None
    text = text.strip()
    if not text:
        return SOURCE_STRENGTH
    if text not in ("1", "2", "3"):
        raise RecordError(f"strength: {text!r} is not 1, 2 or 3")
    return int(text)


def _split(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(";") if t.strip())


class Writer:
    """One row per label, with a header."""

    def __init__(self, out: BinaryIO) -> None:
        self._text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self._csv = csv.writer(self._text)
        self._csv.writerow(COLUMNS)

    def write(self, pair: Pair, label: Label) -> int:
        uses_prompt = pair.prompt is not None and not pair.messages
        row = {
            "id": pair.id,
            "prompt": pair.prompt if uses_prompt else "",
            "messages": ""
            if uses_prompt
            else _json([m.model_dump(mode="json") for m in pair.conversation]),
            "response_a": pair.response_a,
            "response_b": pair.response_b,
            "model_a": pair.model_a or "",
            "model_b": pair.model_b or "",
            "choice": label.choice.value,
            "strength": "" if label.strength is None else str(label.strength),
            "rationale": label.rationale,
            "label_tags": "; ".join(label.tags),
            "annotators": "; ".join(label.annotators),
            "votes": str(label.votes),
            "agreement": f"{label.agreement:.4g}",
            "label_source": label.source,
            "flagged": "true" if label.flagged else "",
            "ideal_responses": _json(list(label.ideal_responses)) if label.ideal_responses else "",
            "tags": "; ".join(pair.tags),
            "priority": "" if not pair.priority else repr(pair.priority),
            "metadata": _json(pair.metadata) if pair.metadata else "",
        }
        self._csv.writerow([neutralise(row[c]) for c in COLUMNS])
        return 1

    def close(self) -> None:
        self._text.flush()
        self._text.detach()


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()
