"""Import and export runs: stream records from a reader into files, and labels into a writer.

The CLI is a thin shell over these two functions, so scripts (and tests) can run the same thing.

Import writes the pairs file through a temporary sibling renamed into place at the end: an
interrupted or empty import leaves an existing file untouched. Source labels become judgments by
a named annotator with ids derived from (annotator, pair id), so importing the same file twice
appends nothing the second time; they go to the journal only after the pairs file is in place.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson

from rankterm.core.errors import LoadIssue, RanktermError, UsageError, display_path
from rankterm.core.model import Choice, Judgment, Pair, Ranking, RankTask
from rankterm.formats.base import SourceLabel, Writer
from rankterm.formats.registry import Format, ImportReader
from rankterm.labels import LabelPolicy
from rankterm.storage.journal import Journal, read_journal
from rankterm.storage.no_links import refuse_link

#: Namespace of the judgment ids given to imported source labels.
IMPORT_NAMESPACE = uuid.UUID("5d0f6f2e-8a43-4a8e-9f0c-6b8f3c2a7e11")

#: Issues kept for the summary; the rest are only counted.
KEEP_ISSUES = 50

Progress = Callable[[int, int, int | None], None]
"""Called with (records so far, bytes read, total bytes or None) during an import."""


@dataclass
class ImportSummary:
    """What an import did, for the command's closing lines."""

    format: str
    source: str
    imported: int = 0
    skipped: int = 0
    issues: list[LoadIssue] = field(default_factory=list)
    labels_written: int = 0
    labels_present: int = 0
    bytes_read: int = 0
    #: What the reader says about how records were read (text -> pairs it applies to).
    notes: Counter[str] = field(default_factory=Counter)
    #: How many of the imported records are K-way ranking tasks (the rest are pairs).
    ranked: int = 0


def import_judgment_id(annotator: str, pair_id: str) -> uuid.UUID:
    """The id of the prior judgment for a pair: the same on every import of the same data."""
    return uuid.uuid5(IMPORT_NAMESPACE, f"{annotator}\x00{pair_id}")


def import_judgment(
    pair_id: str, label: SourceLabel, annotator: str, origin: str, line: int
) -> Judgment:
    """The prior judgment a source label stands for."""
    return Judgment(
        id=import_judgment_id(annotator, pair_id),
        pair_id=pair_id,
        annotator=annotator,
        choice=label.choice,
        strength=label.strength,
        rationale=label.rationale,
        tags=list(label.tags),
        imported_from=f"{origin}:{line}",
    )


@contextlib.contextmanager
def atomic_output(path: str | Path, *, mode: int | None = None) -> Iterator[BinaryIO]:
    """A binary stream that replaces ``path`` on success (``-`` is stdout, written directly).

    The caller commits by leaving the block normally; raising (or the :class:`Discard` marker)
    deletes the temporary file and leaves ``path`` as it was. A symbolic link at ``path`` is
    refused (:mod:`rankterm.storage.no_links`); the temporary file is created exclusively under
    a random name, so no link planted beside it is followed. ``mode``: the new file's
    permissions (default: the replaced file's, or what a plain ``open`` would give).
    """
    if str(path) == "-":
        out = sys.stdout.buffer
        with contextlib.suppress(Discard):
            yield out
        out.flush()
        return
    target = Path(path)
    shown = display_path(target)
    refuse_link(target)
    if not target.parent.exists():
        raise UsageError(f"{shown}: directory {display_path(target.parent)} does not exist")
    if target.is_dir():
        raise UsageError(f"{shown} is a directory; name a file to write")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise RanktermError(f"{shown}: cannot write ({exc.strerror})") from None
    # mkstemp makes 0600; the result should look like any file (or have the mode asked for)
    os.fchmod(fd, _file_mode(target) if mode is None else mode)
    committed = False
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        committed = True
    except Discard:
        pass
    except OSError as exc:
        reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
        raise RanktermError(f"{shown}: could not write ({reason}); left unchanged") from None
    finally:
        if not committed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _file_mode(target: Path) -> int:
    """The replaced file's mode, or what a plain ``open`` would give a new file."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def refuse_overwrite(path: str | Path, force: bool) -> None:
    """An existing output file is replaced only with ``--force``: an export that silently
    replaced last week's training file (or a report, or the pairs) loses work nobody sees go.
    Checked before any work is done."""
    if str(path) == "-":
        return
    refuse_link(path)  # before "already exists": a link is refused with --force too
    if force:
        return
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{display_path(target)} already exists; pass --force to replace it")


class Discard(Exception):
    """Raised inside :func:`atomic_output` to leave the target untouched."""


def run_import(
    reader: ImportReader,
    out_path: str | Path,
    *,
    labels_path: str | Path | None = None,
    annotator: str = "source",
    progress: Progress | None = None,
) -> ImportSummary:
    """Stream a source into a pairs file (and its labels into a journal); see the module doc."""
    source = reader.source
    summary = ImportSummary(reader.format.name, source.name)
    journal = Journal.open(labels_path) if labels_path is not None else None
    try:
        existing = _existing_ids(labels_path, annotator) if labels_path is not None else set()
        with tempfile.TemporaryFile() as spool:
            with atomic_output(out_path) as out:
                wanted = annotator if journal is not None else ""
                _copy_records(reader, out, spool, summary, existing, wanted, progress)
                summary.bytes_read = source.position()
                if summary.imported == 0:
                    raise Discard
            if journal is not None and summary.imported and summary.labels_written:
                spool.seek(0)
                _append_spooled(journal, spool, annotator, source.name)
    finally:
        if journal is not None:
            journal.close()
    return summary


def _append_spooled(
    journal: Journal, spool: BinaryIO, annotator: str, origin: str, batch: int = 5000
) -> None:
    """Turn the spooled labels into judgments and append them, one fsync per batch."""
    entries = []
    for raw in spool:
        row = orjson.loads(raw)
        if isinstance(row, dict):  # a ranking task's order
            entries.append(import_ranking(row, annotator, origin))
        else:
            pair_id, choice, strength, rationale, tags, line = row
            label = SourceLabel(Choice(choice), strength, rationale, tuple(tags))
            entries.append(import_judgment(pair_id, label, annotator, origin, line))
        if len(entries) >= batch:
            journal.append_many(entries)
            entries.clear()
    journal.append_many(entries)


def import_ranking(row: dict, annotator: str, origin: str) -> Ranking:
    """The prior ranking a source's order stands for (same id on every import of the data)."""
    rid = import_judgment_id(annotator, row["task"])
    return Ranking(
        id=rid,
        pair_id=row["task"],
        annotator=annotator,
        ranking_id=rid,
        k=row["k"],
        order=row["order"],
        typed=True,
        imported_from=f"{origin}:{row['line']}",
    )


def _existing_ids(path: str | Path, annotator: str) -> set[uuid.UUID]:
    return {
        e.id
        for e in read_journal(path)
        if isinstance(e, Judgment | Ranking) and e.annotator == annotator
    }


def _copy_records(
    reader: ImportReader,
    out: BinaryIO,
    pending: BinaryIO,
    summary: ImportSummary,
    existing: set[uuid.UUID],
    annotator: str,
    progress: Progress | None,
) -> None:
    """Write pairs, spool labels (when ``annotator`` is set), skip duplicate ids.

    Duplicates are found by an 8-byte hash of each id: about 60 bytes per record, the only
    memory that grows with the file.
    """
    seen: set[bytes] = set()
    origin = reader.source.name
    for item in reader:
        if isinstance(item, LoadIssue):
            _skip(summary, item)
            continue
        key = hashlib.blake2b(item.pair.id.encode(), digest_size=8).digest()
        if key in seen:
            _skip(summary, LoadIssue(origin, item.line, f"duplicate id {item.pair.id!r} skipped"))
            continue
        seen.add(key)
        out.write(orjson.dumps(item.pair.to_json_dict()) + b"\n")
        summary.imported += 1
        summary.ranked += isinstance(item.pair, RankTask)
        if item.note:
            summary.notes[item.note] += 1
        label = item.label
        if item.order is not None and annotator and isinstance(item.pair, RankTask):
            if existing and import_judgment_id(annotator, item.pair.id) in existing:
                summary.labels_present += 1
            else:
                row = {"task": item.pair.id, "k": item.pair.k, "order": item.order,
                       "line": item.line}  # fmt: skip
                pending.write(orjson.dumps(row) + b"\n")
                summary.labels_written += 1
        if label is not None and annotator:
            if existing and import_judgment_id(annotator, item.pair.id) in existing:
                summary.labels_present += 1
            else:
                # Compact spool: the judgment is built (and validated) once, when appended.
                row = [item.pair.id, label.choice.value, label.strength, label.rationale,
                       label.tags, item.line]  # fmt: skip
                pending.write(orjson.dumps(row) + b"\n")
                summary.labels_written += 1
        if progress is not None and summary.imported % 2000 == 0:
            progress(summary.imported, reader.source.position(), reader.source.total)


def _skip(summary: ImportSummary, issue: LoadIssue) -> None:
    summary.skipped += 1
    if len(summary.issues) < KEEP_ISSUES:
        summary.issues.append(issue)


# -- export -------------------------------------------------------------------------------------


@dataclass
class ExportSummary:
    """What an export wrote and what it left out, by reason."""

    format: str
    labels: int = 0
    records: int = 0
    dropped: Counter[str] = field(default_factory=Counter)


def run_export(
    fmt: Format,
    pairs: Iterator[Pair],
    policy: LabelPolicy,
    out: BinaryIO,
    *,
    parquet: bool = False,
) -> ExportSummary:
    """Label every pair under the policy and write what the format can say.

    ``parquet`` writes the format's records as Parquet rows instead of JSON Lines.
    """
    if fmt.writer is None:
        raise UsageError(f"{fmt.name} cannot be written (it is an import-only format)")
    summary = ExportSummary(fmt.name)
    if parquet:
        from rankterm.formats.parquet import ParquetWriter

        writer: Writer = ParquetWriter(fmt.writer, out)
    else:
        writer = fmt.writer(out)
    for pair in pairs:
        if not isinstance(pair, Pair):
            continue  # a K-way ranking task: the command says so (export --to ranking-*)
        for label in policy.labels_for(pair):
            result = writer.write(pair, label)
            if isinstance(result, str):
                summary.dropped[result] += 1
            else:
                summary.labels += 1
                summary.records += result
    writer.close()
    policy.unknown_pairs()
    summary.dropped.update(policy.dropped)
    return summary
