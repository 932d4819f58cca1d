"""How the annotation screen looks at the two sizes annotators use most."""

from __future__ import annotations

import pytest

from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app

SIZES = [(80, 24), (160, 50)]


@pytest.fixture
def build_app(tui_data):
    sources = []

    def build():
        source, guide, issues = open_local(tui_data / "pairs.jsonl", annotator="snapshot")
        sources.append(source)
        return make_app(source, Settings(annotator="snapshot"), guide, load_issues=issues)

    yield build
    for source in sources:
        source.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_first_pair(snap_compare, build_app, size):
    assert snap_compare(build_app(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_multi_turn_pair_with_tags_and_flag(snap_compare, build_app, size):
    assert snap_compare(build_app(), terminal_size=size, press=["2", "h", "exclamation_mark"])


def test_diff_view(snap_compare, build_app):
    assert snap_compare(build_app(), terminal_size=(160, 50), press=["d"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare, build_app, size):
    assert snap_compare(build_app(), terminal_size=size, press=["question_mark"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_guidelines_reader_scrolled(snap_compare, build_app, size):
    # g opens at the pair's section; home, then five lines down, shows the keys scroll it.
    press = ["g", "home", "j", "j", "j", "j", "j"]
    assert snap_compare(build_app(), terminal_size=size, press=press)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_criteria_dialog(snap_compare, tui_data, size):
    source, guide, issues = open_local(tui_data / "pairs.jsonl", annotator="snapshot")
    settings = Settings(annotator="snapshot", criteria=["helpfulness", "honesty", "harmlessness"])
    try:
        app = make_app(source, settings, guide, load_issues=issues)
        assert snap_compare(app, terminal_size=size, press=["v", "1", "4"])
    finally:
        source.close()
