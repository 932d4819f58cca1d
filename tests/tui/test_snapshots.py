"""How the annotation screen looks at the two sizes annotators use most."""

from __future__ import annotations

import pytest

from rankterm.config import Settings
from rankterm.source.local import open_local
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


def test_help_screen(snap_compare, build_app):
    assert snap_compare(build_app(), terminal_size=(80, 24), press=["question_mark"])
