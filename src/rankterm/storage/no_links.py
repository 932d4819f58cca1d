"""Output files never written through a symbolic link: the one check every writer shares.

Why: on a shared host a colleague can plant ``out.jsonl -> ~/.bashrc`` (or a link at the
temporary name a writer uses) in a shared folder before a command runs; following it would
overwrite or append to whatever it points at, or create a file where the link's owner chose.
Journals, exports, reports, samples, judge and generate outputs, dumps: each names its target
through :func:`refuse_link` (replace-by-rename writers) or opens it with :func:`open_nofollow`
(appending writers). Temporary files are made with :func:`tempfile.mkstemp` (``O_EXCL``: a
link already at the name fails, it is never followed).

A link planted between the check and the final rename is harmless: ``rename`` replaces the
link itself, never what it points at.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from rankterm.core.errors import UsageError, display_path

#: What to do instead, said after every refusal.
HINT = "name the real path, or remove the link"


class LinkRefused(UsageError):
    """The output path is a symbolic link (exit 2: the person names another path)."""


def link_message(path: Path | str, hint: str = HINT) -> str:
    """The one-line refusal, naming the link (not what it resolves to)."""
    link = Path(path)
    shown = Path(display_path(link.parent)) / link.name
    return f"{shown} is a symbolic link; rankterm does not write through a link: {hint}"


def refuse_link(path: Path | str, *, option: str = "") -> None:
    """Raise :class:`LinkRefused` when ``path`` is a symbolic link (dangling or not)."""
    if str(path) != "-" and os.path.islink(path):
        prefix = f"{option} " if option else ""
        raise LinkRefused(prefix + link_message(path))


def open_nofollow(
    path: Path | str,
    flags: int,
    mode: int = 0o666,
    *,
    refused: type[Exception] = LinkRefused,
    hint: str = HINT,
) -> int:
    """``os.open`` with ``O_NOFOLLOW``: a link at ``path`` raises ``refused`` (its message
    names the file), other errors propagate as :class:`OSError`."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise refused(link_message(path, hint)) from None
        raise
