"""The exit codes of every ``rankterm`` command, in one place.

Why: scripts and CI jobs branch on them (``rankterm admin import ... || alert``), so a code
means the same thing in every command, and the README's "Exit codes" table is checked against
this enum (tests/core/test_exit_codes.py). Each member's docstring is its README row.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """A process exit status; ``member.__doc__`` says when a command uses it."""

    def __new__(cls, value: int, doc: str) -> ExitCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.__doc__ = doc
        return member

    OK = (
        0,
        "Success. `annotate`: every pair in scope has a verdict (with `--server`: the server has "
        "nothing more for you).",
    )
    ERROR = (
        1,
        "Error: the work could not be done (message on stderr); e.g. nothing could be imported, "
        "a judge or generate request failed, the server is unreachable.",
    )
    USAGE = (
        2,
        "Usage or config error: a bad option, a missing file, an output that would be replaced "
        "without `--force`, an output path that is a symbolic link.",
    )
    JOURNAL_IN_USE = 3, "The journal is open in another rankterm process."
    INCOMPLETE = (
        4,
        "Done, but not all of it: `annotate` quit with pairs left; `sync` had records rejected "
        "by the server; `admin import` and `sample --server` skipped invalid lines, or ids the "
        "project already holds with other content (each named on stderr as file:line; the "
        "valid lines were imported).",
    )
    DRIFT = 5, "`monitor` raised a drift alarm."
    INTERRUPTED = 130, "Interrupted (Ctrl-C); what was written so far is kept."
