"""File import and export for the admin CLI (the HTTP endpoints stream the same data)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from rankterm.core.errors import LoadIssue, UsageError, display_path
from rankterm.server import projects as svc
from rankterm.server.core import get_project
from rankterm.server.db import Database
from rankterm.server.reports import export_lines
from rankterm.server.schemas import ImportResult

CHUNK = 2000


def parse_line(raw: bytes) -> Any:
    """One JSONL line as a pair or a ranking task; ValueError with a one-line reason.

    A NUL in a string is refused with its field named, as the HTTP import refuses it
    (:mod:`rankterm.server.bodies`): one input, one verdict, whichever way it arrives.
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg})") from None
    if b"\\u0000" in raw:
        from rankterm.server.bodies import describe_unstorable, unstorable

        problems = unstorable(data)
        if problems:
            raise ValueError(describe_unstorable(problems))
    return svc.parse_pair(data)


def import_file(
    db: Database, project_name: str, path: Path
) -> tuple[ImportResult, list[LoadIssue]]:
    """Import a JSONL pairs file in chunks, one transaction each; bad lines are reported."""
    shown = display_path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read ({exc.strerror})") from None
    with db.read() as conn:
        project = get_project(conn, project_name)
    result = ImportResult()
    issues: list[LoadIssue] = []
    batch: list = []

    def flush() -> None:
        refused: list[tuple[str, str]] = []

        def work(conn: Any) -> Any:
            refused.clear()  # a retried write starts over: only the committed attempt's count
            return svc.import_pairs(
                conn, project, batch, lambda where, why: refused.append((where, why)), "file"
            )

        part = db.write(work)
        result.added += part.added
        result.existing += part.existing
        result.invalid += len(refused)
        issues.extend(LoadIssue(shown, int(where), why) for where, why in refused)
        batch.clear()

    try:
        with handle:
            for line_no, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    batch.append((str(line_no), parse_line(raw)))
                except ValueError as exc:
                    result.invalid += 1
                    issues.append(LoadIssue(shown, line_no, str(exc)))
                if len(batch) >= CHUNK:
                    flush()
            if batch:
                flush()
        db.refresh_statistics("pairs", result.added)
    finally:
        db.dispose()
    return result, issues


def export_file(db: Database, project_name: str, out: Path) -> int:
    """Write the project's NDJSON export; ``-`` means stdout. Returns the number of lines."""
    with db.read() as conn:
        project = get_project(conn, project_name)
    count = 0
    try:
        if str(out) == "-":
            target = sys.stdout.buffer
            for line in export_lines(db, project):
                target.write(line)
                count += 1
            target.flush()
            return count
        from rankterm.formats.transfer import atomic_output

        # Refuses a link at ``out``; the temporary file is exclusive (no planted link followed).
        with atomic_output(out) as handle:
            for line in export_lines(db, project):
                handle.write(line)
                count += 1
    finally:
        db.dispose()
    return count
