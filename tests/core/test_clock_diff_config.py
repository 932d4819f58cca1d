from __future__ import annotations

import pytest

from rankterm.config import load_settings
from rankterm.core.clock import ActiveClock
from rankterm.core.diff import word_diff
from rankterm.core.errors import UsageError


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_idle_time_beyond_the_threshold_does_not_count():
    t = FakeTime()
    clock = ActiveClock(idle_seconds=30, now=t)
    t.now = 10
    clock.touch()
    t.now = 500  # a long break
    clock.touch()
    t.now = 505
    assert clock.elapsed_ms() == (10 + 30 + 5) * 1000
    clock.reset()
    assert clock.elapsed_ms() == 0


def test_word_diff_marks_only_changed_words():
    left, right = word_diff("the quick brown fox", "the quick red fox")
    assert [chunk for chunk, changed in left if changed] == ["brown "]
    assert [chunk for chunk, changed in right if changed] == ["red "]
    assert "".join(c for c, _ in left) == "the quick brown fox"


def test_config_precedence_file_then_env_then_flags(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('annotator = "from-file"\nidle_seconds = 12\n[keys]\n"undo" = "u"\n')
    monkeypatch.setenv("RANKTERM_CONFIG", str(path))
    settings = load_settings()
    assert settings.annotator == "from-file" and settings.idle_seconds == 12
    assert settings.keys == {"undo": "u"}
    monkeypatch.setenv("RANKTERM_ANNOTATOR", "from-env")
    assert load_settings().annotator == "from-env"
    assert load_settings({"annotator": "from-flag"}).annotator == "from-flag"


def test_config_errors_name_the_source(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text("idle_seconds = -1\n")
    monkeypatch.setenv("RANKTERM_CONFIG", str(path))
    with pytest.raises(UsageError, match=r"config.toml: idle_seconds"):
        load_settings()
    path.write_text("idle_seconds = [\n")
    with pytest.raises(UsageError, match=r"config\.toml"):
        load_settings()
