"""Keep the developer's own config, env and data dirs out of every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

KEEP = {"RANKTERM_TEST_PG"}


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("RANKTERM_") and name not in KEEP:
            monkeypatch.delenv(name)
    monkeypatch.setenv("RANKTERM_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PAIRS = ROOT / "sample_data" / "pairs.jsonl"
SAMPLE_GUIDELINES = ROOT / "sample_data" / "guidelines.md"
