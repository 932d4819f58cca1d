"""User-facing errors: what went wrong, named by file and line or by field, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from rankterm.core.exits import ExitCode


class RanktermError(Exception):
    """An error whose message is written for the person at the terminal.

    The CLI prints the message and exits with ``exit_code``; anything else is a bug.
    """

    exit_code: int = ExitCode.ERROR


class UsageError(RanktermError):
    """The command line or config asks for something that cannot be done."""

    exit_code: int = ExitCode.USAGE


@dataclass(frozen=True, slots=True)
class LoadIssue:
    """One bad line in an input file, reported as ``file:line: reason`` and then skipped."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        # File names and reasons quote input, which may carry terminal controls.
        from rankterm.core.sanitize import inert

        return inert(f"{self.path}:{self.line}: {self.reason}")


def _short(part: str, limit: int = 80) -> str:
    """A field name fit for a one-line message (a hostile key may be megabytes long)."""
    return part if len(part) <= limit else part[: limit - 3] + "..."


def describe_validation_error(exc: ValidationError, *, limit: int = 3) -> str:
    """One line naming the fields that failed, e.g. ``response_a: Field required``."""
    parts = []
    for error in exc.errors()[:limit]:
        where = ".".join(_short(str(p)) for p in error.get("loc", ())) or "record"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"(+{more} more)")
    return "; ".join(parts)


def display_path(path: Path | str) -> str:
    """A path as the user typed it or relative to the working directory when shorter."""
    p = Path(path)
    try:
        rel = p.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return str(p)
    return str(rel) if len(str(rel)) < len(str(p)) else str(p)
