"""Private Textual internals sit behind one switch (``rankterm.tui.internals``).

The pane's fast framing path relies on how this Textual release frames a line; these tests pin
the release it was verified on and show that the screens look the same with the switch off
(Textual's public line API), so an unverified Textual costs speed, never correctness.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import textual

from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui import internals
from rankterm.tui.app import make_app
from rankterm.tui.widgets.rendered_pane import RenderedPane

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "pairs.jsonl"


def test_textual_is_the_version_the_fast_path_was_verified_on():
    assert textual.__version__ in internals.VERIFIED_TEXTUAL, (
        f"Textual {textual.__version__} is installed, but RenderedPane's fast framing path "
        f"(rankterm/tui/internals.py) was verified on {sorted(internals.VERIFIED_TEXTUAL)} only, "
        "so it is switched off and the panes take the slower public path. Re-verify it: run "
        "tests/tui (snapshots, and test_screens_look_the_same_with_the_switch_off here) and "
        "benchmarks/bench_keypress.py, then add the version to VERIFIED_TEXTUAL."
    )
    assert internals.fast_path(), "verified version, yet the switch is off"


def test_no_private_internals_outside_the_switch():
    tui = Path(internals.__file__).parent
    for path in tui.rglob("*.py"):
        if path.name == "internals.py":
            continue
        text = path.read_text(encoding="utf-8")
        for private in ("_styles_cache", "_link_id", "textual._", "rich._"):
            assert private not in text, f"{path.name} uses {private}: go through internals.py"


def test_forcing_it_off_and_back():
    with internals.forced(False):
        assert not internals.fast_path()
    assert internals.fast_path()


def test_the_environment_turns_it_off(monkeypatch):
    monkeypatch.setenv("RANKTERM_TUI_FAST_PATH", "0")
    assert not internals._available()


def _pairs(tmp_path: Path) -> Path:
    records = [json.loads(line) for line in SAMPLE.open(encoding="utf-8")]
    for record in records:
        record["priority"] = 0
    wanted = {"gen-001", "mt-001", "code-001"}
    picked = [r for r in records if r["id"] in wanted]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in picked), encoding="utf-8")
    return path


async def _screens(tmp_path: Path, size: tuple[int, int], fast: bool) -> list[str]:
    """SVG captures after keys that scroll, move focus, maximize and change pairs."""
    pairs = _pairs(tmp_path / ("fast" if fast else "slow"))
    source, guide, issues = open_local(pairs, annotator="switch")
    app = make_app(source, Settings(annotator="switch"), guide, load_issues=issues)
    shots = []
    calls = {"fast": 0}
    original = RenderedPane._render_fast

    def counting(self, crop):
        calls["fast"] += 1
        return original(self, crop)

    RenderedPane._render_fast = counting  # type: ignore[method-assign]
    try:
        with internals.forced(fast):
            async with app.run_test(size=size) as pilot:
                await pilot.pause(0.3)
                for keys in ([], ["j", "j", "space"], ["tab"], ["t"], ["m"], ["m", "bracketright"]):
                    await pilot.press(*keys)
                    await pilot.pause(0.1)
                    shots.append(app.export_screenshot())
                await pilot.press("q")
    finally:
        RenderedPane._render_fast = original  # type: ignore[method-assign]
        source.close()
    assert (calls["fast"] > 0) == fast, calls
    return shots


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_screens_look_the_same_with_the_switch_off(tmp_path, size):
    (tmp_path / "fast").mkdir()
    (tmp_path / "slow").mkdir()
    fast = await _screens(tmp_path, size, fast=True)
    slow = await _screens(tmp_path, size, fast=False)
    assert len(fast) == len(slow)
    for step, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert a == b, f"step {step}: the public path draws another screen"
