"""Streaming input: files, ``-`` (stdin) and gzip, line by line in bounded memory.

Source files are big (HH-RLHF is ~170k lines, Arena dumps several GB) and hostile (whatever a
crawler or a model produced). So lines are read with a length cap — an endless line is skipped
in chunks, never held whole — and every way a line can be bad becomes a :class:`LoadIssue`
(``file:line: reason``) instead of an exception. gzip is recognised by its magic bytes, so
``data.jsonl.gz`` and ``zcat``-less pipes both work.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from rankterm.errors import LoadIssue, RanktermError, display_path

#: Lines longer than this are skipped (reported), so one runaway line cannot exhaust memory.
MAX_LINE_BYTES = 32 << 20

_BOM = b"\xef\xbb\xbf"


class InputError(RanktermError):
    """The input cannot be opened at all (missing, a directory, not readable)."""


@dataclass
class InputFile:
    """An open input: the decoded byte stream plus what progress reporting needs."""

    name: str
    stream: BinaryIO
    raw: BinaryIO
    #: Size on disk (compressed size for gzip), None for pipes.
    total: int | None
    compressed: bool

    def position(self) -> int:
        """Bytes consumed from the underlying file (compressed bytes for gzip)."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        if self.stream is not self.raw:
            self.stream.close()
        if self.raw is not getattr(sys.stdin, "buffer", None):
            self.raw.close()

    def __enter__(self) -> InputFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_input(path: str | Path, stdin: BinaryIO | None = None) -> InputFile:
    """Open a path, or ``-`` for stdin, transparently decompressing gzip."""
    if str(path) == "-":
        raw: BinaryIO = stdin or sys.stdin.buffer
        name, total = "<stdin>", None
    else:
        p = Path(path)
        name = display_path(p)
        if not p.exists():
            raise InputError(f"{name}: no such file")
        if p.is_dir():
            raise InputError(f"{name}: is a directory, expected a file")
        try:
            raw = p.open("rb")
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror})") from None
        total = os.fstat(raw.fileno()).st_size
    if not hasattr(raw, "peek"):
        raw = io.BufferedReader(raw)  # type: ignore[arg-type]
    try:
        magic = raw.peek(2)[:2]  # type: ignore[attr-defined]
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    if magic == b"\x1f\x8b":
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        return InputFile(name, stream, raw, total, compressed=True)
    return InputFile(name, raw, raw, total, compressed=False)


def iter_lines(
    source: InputFile, max_bytes: int | None = None
) -> Iterator[tuple[int, bytes] | LoadIssue]:
    """``(line number, raw bytes)`` per line; over-long lines and read failures as issues."""
    max_bytes = max_bytes or MAX_LINE_BYTES
    stream, line_no = source.stream, 0
    while True:
        try:
            raw = stream.readline(max_bytes + 1)
        except (EOFError, OSError, zlib.error) as exc:
            yield LoadIssue(source.name, line_no + 1, f"cannot read further ({_why(exc)})")
            return
        if not raw:
            return
        line_no += 1
        if line_no == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            try:
                while (chunk := stream.readline(1 << 20)) and not chunk.endswith(b"\n"):
                    pass
            except (EOFError, OSError, zlib.error) as exc:
                yield LoadIssue(source.name, line_no, f"cannot read further ({_why(exc)})")
                return
            yield LoadIssue(source.name, line_no, f"line longer than {_size(max_bytes)}, skipped")
            continue
        yield line_no, raw


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n} bytes"


def _why(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the compressed file is truncated"
    return str(exc) or type(exc).__name__


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """One JSON object from a line; ValueError with a one-line reason otherwise."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise ValueError("record is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return data


def iter_json(
    source: InputFile, lines: Iterator[tuple[int, bytes] | LoadIssue] | None = None
) -> Iterator[tuple[int, dict[str, Any]] | LoadIssue]:
    """``(line number, object)`` per non-blank JSON line; anything else as an issue."""
    for item in lines if lines is not None else iter_lines(source):
        if isinstance(item, LoadIssue):
            yield item
            continue
        line_no, raw = item
        stripped = raw.strip()
        if not stripped:
            continue
        try:
            yield line_no, parse_json_object(stripped)
        except ValueError as exc:
            yield LoadIssue(source.name, line_no, str(exc))
