"""Append-only JSONL output that survives a crash, a kill or Ctrl-C, and resumes.

Every record is written as one line and flushed the moment it exists, so whatever finished
before an interruption is on disk; a line torn by a crash mid-write is ignored on reading and
the next append starts on a fresh line. Rerunning a command reads what is there and skips it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from rankterm.storage.no_links import open_nofollow


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every whole JSON object in ``path`` (none if it does not exist); torn lines skipped."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue  # a line cut by a crash: its work is simply redone
            if isinstance(record, dict):
                yield record


class AppendLog:
    """One JSONL file opened for appending; :meth:`append` writes and flushes one record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        torn = path.exists() and path.stat().st_size > 0 and not _ends_with_newline(path)
        # Never through a link planted at ``path`` (see rankterm.storage.no_links).
        fd = open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        self._handle = os.fdopen(fd, "ab")
        if torn:
            self._handle.write(b"\n")
        self.written = 0

    def append(self, record: dict[str, Any]) -> None:
        """Write ``record`` as one line and flush it to the OS before returning."""
        self._handle.write(orjson.dumps(record) + b"\n")
        self._handle.flush()
        self.written += 1

    def close(self) -> None:
        """Flush and fsync: after a normal exit the file is on the disk, not only in the OS."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()

    def __enter__(self) -> AppendLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
