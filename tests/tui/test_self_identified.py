"""A response that names its model or maker is flagged on screen, on its side, nameless."""

from __future__ import annotations

import orjson
import pytest

from rankterm.config import Settings
from rankterm.core.model import Pair, shown_swapped
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from rankterm.tui.widgets.pair_info import PairInfo, self_id_text, self_identified_sides
from rankterm.tui.widgets.rendered_pane import RenderedPane

SIZES = [(80, 24), (160, 50)]
ANNOTATOR = "snapshot"


def _pair(pair_id: str, names: dict | None, flagged: bool = True) -> dict:
    record = {
        "id": pair_id,
        "prompt": "Who are you?",
        "response_a": "I am ChatGPT, a model made by OpenAI. I can help with many things.",
        "response_b": "I am an assistant. Ask me anything.",
        "model_a": "gpt-4o",
        "model_b": "acme-7b",
        "metadata": {"self_identified": flagged},
    }
    if names is not None:
        record["metadata"]["self_identified_names"] = names
    return record


def _swapped_id(want: bool) -> str:
    """A pair id the annotator sees swapped (or not), so the test knows the screen side."""
    for n in range(100):
        if shown_swapped(ANNOTATOR, f"who-{n}") == want:
            return f"who-{n}"
    raise AssertionError("no such id")


@pytest.mark.parametrize("swapped", [False, True])
def test_sides_follow_the_swap(swapped):
    pair = Pair.model_validate(_pair("p", {"a": ["openai", "chatgpt"], "b": []}))
    assert self_identified_sides(pair, swapped) == (["right"] if swapped else ["left"])
    text = self_id_text(pair, swapped)
    assert text == f"⚠ {'RIGHT' if swapped else 'LEFT'} names a model or its maker"
    assert "openai" not in text.lower() and "chatgpt" not in text.lower()


def test_unmarked_and_sideless_marks():
    assert self_identified_sides(Pair.model_validate(_pair("p", None, False)), False) is None
    sideless = Pair.model_validate(_pair("p", None, True))
    assert self_identified_sides(sideless, False) == []
    assert self_id_text(sideless, False) == "⚠ a response names a model or its maker"
    both = Pair.model_validate(_pair("p", {"a": ["x"], "b": ["y"]}))
    assert self_id_text(both, False) == "⚠ LEFT and RIGHT names a model or its maker"


def _write(tmp_path, records) -> object:
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


@pytest.mark.parametrize("swapped", [False, True])
async def test_warning_on_screen_on_the_right_side(tmp_path, swapped):
    pair_id = _swapped_id(swapped)
    path = _write(tmp_path, [_pair(pair_id, {"a": ["openai", "chatgpt"], "b": []})])
    source, guide, issues = open_local(path, annotator=ANNOTATOR)
    try:
        app = make_app(source, Settings(annotator=ANNOTATOR), guide, load_issues=issues)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.pause()
            screen = app.screen
            info = str(screen.query_one(PairInfo).render())
            side = "RIGHT" if swapped else "LEFT"
            assert f"{side} names a model or its maker" in info
            named = screen.query_one("#right" if swapped else "#left", RenderedPane)
            other = screen.query_one("#left" if swapped else "#right", RenderedPane)
            assert "names a model" in str(named.border_subtitle)
            assert "names a model" not in str(other.border_subtitle or "")
            # Model names stay hidden: the warning says that, not who.
            for name in ("gpt-4o", "acme-7b", "openai"):
                assert name not in info.lower()
    finally:
        source.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_self_identified_snapshot(snap_compare, tmp_path, size):
    path = _write(tmp_path, [_pair(_swapped_id(False), {"a": ["openai", "chatgpt"], "b": []})])
    source, guide, issues = open_local(path, annotator=ANNOTATOR)
    try:
        app = make_app(source, Settings(annotator=ANNOTATOR), guide, load_issues=issues)
        assert snap_compare(app, terminal_size=size)
    finally:
        source.close()
