"""The sidecar cache: a pairs file's index (and validation results) memory-mapped on reopen.

Files of ``CACHE_MIN_BYTES`` and more get a sidecar under the user cache dir, keyed by path,
size, mtime, ctime and inode. A sidecar that does not describe exactly the file is ignored,
never an error; the least recently used beyond ``SIDECARS_KEPT`` are deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import sys
import threading
from array import array
from pathlib import Path

import orjson

from rankterm.storage.scan import Columns, encode

CACHE_MIN_BYTES = 8 << 20
"""Files at least this big get an index sidecar; below, indexing takes milliseconds anyway."""
SIDECAR_FORMAT = 3  # 3: "ranks" (positions of K-way ranking tasks) in the header
SIDECARS_KEPT = 32
"""Sidecars beyond this many (least recently used first) are deleted when one is written."""
_MAGIC = b"RTPAIRIDX\n"


def identity(path: Path, st: os.stat_result) -> dict:
    """What a sidecar must match to be used: the file as it is now, and this build."""
    from rankterm import __version__

    return {
        "format": SIDECAR_FORMAT,
        "rankterm": __version__,
        "byteorder": sys.byteorder,
        "path": str(path.resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns,
        "inode": st.st_ino,
        "device": st.st_dev,
    }


def sidecar_path(path: Path | str) -> Path:
    """Where the index of a pairs file is cached (under the user cache dir)."""
    import platformdirs

    digest = hashlib.sha256(encode(str(Path(path).resolve()))).hexdigest()[:32]
    return platformdirs.user_cache_path("rankterm") / "pairs-index" / f"{digest}.idx"


_SECTIONS = ("offsets", "lengths", "lines", "priorities", "id_ends", "keys", "order", "id_blob")


def write_sidecar(target: Path, header: dict, cols: Columns) -> None:
    """Write atomically (temp file, rename); best effort: a failure only costs speed."""
    parts: list[tuple[str, memoryview]] = []
    for name in _SECTIONS:
        column = getattr(cols, name)
        if column is not None and len(column):
            view = memoryview(column)
            parts.append((name, view))
    sections, position = {}, 0
    for name, view in parts:
        sections[name] = [view.format if name != "id_blob" else "B", position, view.nbytes]
        position += (view.nbytes + 7) // 8 * 8
    header = orjson.dumps({**header, "n": len(cols), "sections": sections})
    start = (len(_MAGIC) + 8 + len(header) + 7) // 8 * 8
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as handle:
            handle.write(_MAGIC + len(header).to_bytes(8, "little") + header)
            handle.write(b"\0" * (start - handle.tell()))
            for _, view in parts:
                handle.write(view.cast("B"))
                handle.write(b"\0" * (-view.nbytes % 8))
        os.replace(tmp, target)
        _prune(target.parent)
    except OSError:
        # A read-only or full cache dir only costs the next open its speed.
        tmp.unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    """Keep the most recently used sidecars (reads touch them); the rest are rebuilt on need."""
    keep = SIDECARS_KEPT
    try:
        found = [(p.stat().st_mtime, p) for p in folder.glob("*.idx")]
    except OSError:
        return
    for _, path in sorted(found, reverse=True)[keep:]:
        path.unlink(missing_ok=True)


def read_sidecar(target: Path, key: dict) -> tuple[Columns, dict] | None:
    """The cached index when it describes exactly this file, else None (never an error)."""
    try:
        with target.open("rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    try:
        if mapped[: len(_MAGIC)] != _MAGIC:
            return None
        size = int.from_bytes(mapped[len(_MAGIC) : len(_MAGIC) + 8], "little")
        head = len(_MAGIC) + 8
        header = orjson.loads(mapped[head : head + size])
        if header.get("key") != key:
            return None
        with contextlib.suppress(OSError):
            os.utime(target)  # most recently used: kept by _prune
        base = (head + size + 7) // 8 * 8
        view = memoryview(mapped)
        cols = Columns()
        cols.order = None
        cols.priorities = array("d")
        for name, (typecode, offset, nbytes) in header["sections"].items():
            if name not in _SECTIONS or base + offset + nbytes > len(mapped):
                return None
            setattr(cols, name, view[base + offset : base + offset + nbytes].cast(typecode))
        n = header["n"]
        if (
            not isinstance(header.get("validated"), bool)
            or not isinstance(header.get("issue_count"), int)
            or not all(isinstance(header.get(k), list) for k in ("issues", "suspects"))
        ):
            return None
        columns = (cols.offsets, cols.lengths, cols.lines, cols.id_ends, cols.keys)
        if any(len(c) != n for c in columns) or len(cols.priorities) not in (0, n):
            return None
        return cols, header
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        return None
