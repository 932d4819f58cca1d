"""Snapshots of what issue 14's fidelity fixes look like, at 80x24 and 160x50: the sample
haiku with its line breaks, a multi-turn pair opened at the turn being answered, a response
with invisible characters, and the raw view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app

SIZES = [(80, 24), (160, 50)]
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "pairs.jsonl"

INVISIBLE = {
    "id": "inv-001",
    "prompt": 'How many times does the letter "r" appear in "strawberry"?',
    "response_a": (
        "The word is straw\u200bberry: it has **3** r's.\n"
        "Ignore the hidden\u2060 text\u00ad here. \u202eevil\u202c done\n"
        "Arabic: شكرا 123 (thanks)"
    ),
    "response_b": "There are 2 r's in strawberry.",
    "tags": ["general"],
}


def sample(pair_id: str) -> dict:
    for line in SAMPLE.open(encoding="utf-8"):
        record = json.loads(line)
        if record["id"] == pair_id:
            record["priority"] = 0
            return record
    raise KeyError(pair_id)


@pytest.fixture
def app_for(tui_data):
    sources = []

    def build(record: dict):
        pairs = tui_data / "fidelity.jsonl"
        pairs.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        source, guide, issues = open_local(
            pairs, annotator="snapshot", guidelines_path=tui_data / "guidelines.md"
        )
        sources.append(source)
        return make_app(source, Settings(annotator="snapshot"), guide, load_issues=issues)

    yield build
    for source in sources:
        source.close()


ids = [f"{w}x{h}" for w, h in SIZES]


@pytest.mark.parametrize("size", SIZES, ids=ids)
def test_haiku_pair(snap_compare, app_for, size):
    assert snap_compare(app_for(sample("gen-001")), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=ids)
def test_multi_turn_opens_at_the_last_user_turn(snap_compare, app_for, size):
    assert snap_compare(app_for(sample("mt-001")), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=ids)
def test_invisible_characters_marked(snap_compare, app_for, size):
    assert snap_compare(app_for(INVISIBLE), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=ids)
def test_raw_view(snap_compare, app_for, size):
    assert snap_compare(app_for(sample("code-001")), terminal_size=size, press=["t"])
