"""Streaming input: files, ``-`` (stdin) and gzip, line by line in bounded memory.

Source files are big (HH-RLHF is ~170k lines, Arena dumps several GB) and hostile (whatever a
crawler or a model produced). So lines are read with a length cap — an endless line is skipped
in chunks, never held whole — and every way a line can be bad becomes a :class:`LoadIssue`
(``file:line: reason``) instead of an exception. gzip is recognised by its magic bytes, so
``data.jsonl.gz`` and ``zcat``-less pipes both work.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from rankterm.core.errors import LoadIssue, RanktermError, display_path

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
    #: Why a peek at the head failed (a gzip cut inside its header): gzip will not raise it
    #: twice, so the readers report it as line 1 instead of ending quietly with no lines.
    unreadable: BaseException | None = None

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


#: What the first line of a Git LFS pointer file starts with.
LFS_POINTER = b"version https://git-lfs.github.com/spec/"


def peek(source: InputFile, size: int) -> bytes:
    """Up to ``size`` first bytes of the decoded stream, without consuming them; b"" when they
    cannot be read (a gzip cut inside its header raises EOFError here): the line reader then
    meets the same failure and reports it on its line, as ``file:1: ... truncated``."""
    try:
        return source.stream.peek(size)[:size]  # type: ignore[attr-defined]
    except AttributeError:
        return b""
    except (EOFError, OSError, zlib.error) as exc:
        source.unreadable = source.unreadable or exc
        return b""


def _head(source: InputFile) -> bytes:
    """The first bytes of the decoded stream, without consuming them (BOM and blanks dropped)."""
    return peek(source, 256).removeprefix(_BOM).lstrip()


def is_lfs_pointer(source: InputFile) -> bool:
    """Whether the input is a Git LFS pointer (the data was never pulled), not the data."""
    return _head(source).startswith(LFS_POINTER)


def iter_lines(
    source: InputFile, max_bytes: int | None = None
) -> Iterator[tuple[int, bytes] | LoadIssue]:
    """``(line number, raw bytes)`` per line; over-long lines and read failures as issues.

    A file whose first non-blank byte is ``[`` is a JSON array (an Arena ``clean_battle`` dump,
    ``json.dump`` of a list): it yields one item per element instead, numbered by the line the
    element starts on, so every reader takes both shapes.
    """
    max_bytes = max_bytes or MAX_LINE_BYTES
    if _head(source).startswith(b"["):
        yield from iter_array(source, max_bytes)
        return
    yield from _read_lines(source, max_bytes, 0, b"")


def _read_lines(
    source: InputFile, max_bytes: int, line_no: int, pending: bytes
) -> Iterator[tuple[int, bytes] | LoadIssue]:
    """The line loop of :func:`iter_lines`, from line ``line_no + 1``; ``pending`` comes first."""
    stream = source.stream
    if source.unreadable is not None:
        yield LoadIssue(source.name, line_no + 1, f"cannot read ({_why(source.unreadable)})")
        return
    while True:
        try:
            raw = stream.readline(max_bytes + 1)
        except (EOFError, OSError, zlib.error) as exc:
            yield LoadIssue(source.name, line_no + 1, f"cannot read further ({_why(exc)})")
            return
        if pending:
            raw, pending = pending + raw, b""
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


_SPECIAL = re.compile(rb'["\\\[\]{}\n]')


def iter_array(
    source: InputFile, max_bytes: int | None = None
) -> Iterator[tuple[int, bytes] | LoadIssue]:
    """``(line number, element bytes)`` per element of a top-level JSON array, streamed.

    A small scanner tracks strings, escapes and nesting over 1 MiB reads, so a multi-GB dump is
    never held whole; elements longer than ``max_bytes`` are skipped and reported like long
    lines, and scalars or an empty array (no records) are reported on their line. What follows
    the array's closing bracket is read as JSON Lines, so a JSON Lines file whose first line
    happens to be an array loses nothing.
    """
    max_bytes = max_bytes or MAX_LINE_BYTES
    stream = source.stream
    depth, in_string, escaped_at = 0, False, -1
    line, base, elements = 1, 0, 0
    element = bytearray()
    element_line, start, oversized = 0, -1, False
    scalar_line = 0  # line of a scalar seen between elements (reported once)
    first = True
    while True:
        try:
            chunk = stream.read(1 << 20)
        except (EOFError, OSError, zlib.error) as exc:
            yield LoadIssue(source.name, line, f"cannot read further ({_why(exc)})")
            return
        if not chunk:
            break
        if first:
            chunk = chunk.removeprefix(_BOM)
            first = False
        last = 0  # where the text between depth-1 tokens began, in this chunk
        for match in _SPECIAL.finditer(chunk):
            pos = match.start()
            char = chunk[pos]
            if char == 0x0A:  # newline
                line += 1
                continue
            if base + pos == escaped_at:
                continue
            if in_string:
                if char == 0x5C:  # backslash
                    escaped_at = base + pos + 1
                elif char == 0x22:  # quote
                    in_string = False
                    if depth == 1:
                        last = pos + 1
                continue
            if depth == 1 and chunk[last:pos].strip(b" \t\r\n,"):
                scalar_line = scalar_line or line
            if char == 0x22:
                in_string = True
                if depth == 1:
                    scalar_line = scalar_line or line
            elif char in b"[{":
                depth += 1
                if depth == 1:
                    last = pos + 1
                elif depth == 2:
                    start, element_line, oversized = pos, line, False
                    element.clear()
            elif char in b"]}":
                depth -= 1
                if depth == 1:
                    elements += 1
                    if not oversized:
                        element += chunk[start : pos + 1]
                    if oversized or len(element) > max_bytes:
                        reason = f"array element longer than {_size(max_bytes)}, skipped"
                        yield LoadIssue(source.name, element_line, reason)
                    else:
                        yield element_line, bytes(element)
                    element.clear()
                    start = -1
                    last = pos + 1
                elif depth <= 0:
                    if scalar_line:
                        reason = "array element is not an object (a record)"
                        yield LoadIssue(source.name, scalar_line, reason)
                    elif not elements:
                        yield LoadIssue(source.name, line, "an empty JSON array, no records")
                    yield from _after_array(source, max_bytes, line, chunk[pos + 1 :])
                    return
        if depth >= 2 and start >= 0 and not oversized:
            element += chunk[start:]
            oversized = len(element) > max_bytes
            if oversized:
                element.clear()
        elif depth == 1 and not in_string and chunk[last:].strip(b" \t\r\n,"):
            scalar_line = scalar_line or line
        start = 0 if depth >= 2 else -1
        base += len(chunk)
    if depth > 0:
        reason = "the JSON array ends inside a record (truncated)"
        if depth == 1:
            reason = "the JSON array is not closed (truncated)"
        yield LoadIssue(source.name, element_line or line, reason)


def _after_array(
    source: InputFile, max_bytes: int, line: int, rest: bytes
) -> Iterator[tuple[int, bytes] | LoadIssue]:
    """Whatever follows a top-level array: the rest of its line, then JSON Lines."""
    here, newline, rest = rest.partition(b"\n")
    if not newline:  # the array's line goes on past this read
        with contextlib.suppress(EOFError, OSError, zlib.error):
            here += source.stream.readline(max_bytes + 1)
    if here.strip():
        yield LoadIssue(source.name, line, "text after the JSON array's closing bracket")
    *full, pending = rest.split(b"\n")
    for raw in full:
        line += 1
        yield line, raw + b"\n"
    yield from _read_lines(source, max_bytes, line, pending)


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
