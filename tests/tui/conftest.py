from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def tui_data(tmp_path: Path) -> Path:
    """A private copy of the TUI fixtures (the journal is written beside the pairs)."""
    for name in ("pairs.jsonl", "guidelines.md"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path
