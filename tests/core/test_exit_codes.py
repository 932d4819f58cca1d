"""The README's "Exit codes" table is the enum in rankterm.core.exits, row for row."""

from __future__ import annotations

import re
from pathlib import Path

from rankterm.core.errors import RanktermError, UsageError
from rankterm.core.exits import ExitCode
from rankterm.storage.journal import JournalLocked, JournalRefused

README = Path(__file__).parents[2] / "README.md"


def readme_rows() -> list[tuple[int, str, str]]:
    """(code, name, meaning) of each row of the table under "## Exit codes"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        match = re.fullmatch(r"\| `(\d+)` \| `(\w+)` \| (.+) \|", line.strip())
        if match:
            rows.append((int(match[1]), match[2], match[3]))
    return rows


def test_the_readme_table_is_the_enum() -> None:
    expected = [(int(code), code.name, code.__doc__) for code in ExitCode]
    assert readme_rows() == expected


def test_every_code_is_distinct_and_documented() -> None:
    assert len({int(c) for c in ExitCode}) == len(ExitCode)
    assert all(c.__doc__ and c.__doc__ != ExitCode.__doc__ for c in ExitCode)


def test_the_error_classes_use_the_table() -> None:
    assert RanktermError.exit_code == ExitCode.ERROR
    assert UsageError.exit_code == JournalRefused.exit_code == ExitCode.USAGE
    assert JournalLocked.exit_code == ExitCode.JOURNAL_IN_USE
