"""Files that only their owner may read: journals, lease caches, cached guidelines, the config,
the default server database.

Why: on a shared host a journal readable by others shows every annotator the others' verdicts
(blinding is gone), a lease cache holds pair text the project may not want spread, and the
config may hold a token. Files are created 0600; directories rankterm itself creates (the
platformdirs data, cache and config folders) are 0700. Folders a person chose -- the one
holding the pairs file -- are never changed.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path, *, owned: Path | None = None) -> Path:
    """Create ``path`` (and missing parents) as 0700 directories; return it.

    Existing directories keep their mode, except those at or below ``owned`` (rankterm's own
    application folder, e.g. ``~/.local/share/rankterm``), which are tightened to 0700: older
    versions created them 0755.
    """
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, DIR_MODE)
    if owned is not None:
        owned_parts = owned.parts
        folder = path
        while folder.parts[: len(owned_parts)] == owned_parts:
            _tighten(folder, DIR_MODE)
            if folder == owned:
                break
            folder = folder.parent
    return path


def _tighten(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):
        info = path.lstat()
        wider = stat.S_IMODE(info.st_mode) & ~mode
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and wider:
            path.chmod(stat.S_IMODE(info.st_mode) & mode)


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, the new file 0600 (never through a link:
    the temporary file is created exclusively and renamed over the target)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # left by a crashed run of this pid number
    fd = os.open(tmp, flags, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def create_private(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist (so a program that creates it
    later with its own mode, like SQLite, finds it private already)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE))


def readable_by_others(path: Path) -> bool:
    """Whether group or other users may read ``path``."""
    try:
        return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
    except OSError:
        return False
