"""RenderedPane frames its lines itself after a verdict; it must draw exactly what Textual would.

The fast path (``_render_fast``) frames every content line with the border and padding that
Textual draws for one probe line. These tests render the same pane both ways, in the states a
session goes through (focused or not, scrolled, partly covered, a filter on), and compare
segment by segment, styles included.
"""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from rankterm.tui.render import markdown, to_lines
from rankterm.tui.widgets.rendered_pane import RenderedPane, scroll_thumb

DOC = "\n".join(
    [
        "# Heading",
        "",
        "Some *emphasis*, `code`, and a list:",
        "",
        *(f"- item {i} with enough words to wrap at a narrow width, maybe" for i in range(40)),
        "",
        "```python",
        "def f(x):\n    return x * 2  # comment",
        "```",
    ]
)


class PaneApp(App):
    CSS = "RenderedPane { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield RenderedPane(id="a")
        yield RenderedPane(id="b")

    def on_mount(self) -> None:
        for pane in self.query(RenderedPane):
            pane.border_title = "Response A"
            pane.set_lines(to_lines(markdown(DOC), pane.content_width))
        # A segment in an ANSI colour, so the ANSI-to-truecolour filter has work to do.
        b = self.query_one("#b", RenderedPane)
        b.set_lines([*b._lines[:3], *to_lines(Text("ansi red", style="red"), b.content_width)])


def both_ways(pane: RenderedPane, crop: Region) -> tuple[list, list]:
    """The pane's lines through the fast path and through Textual's own path."""
    fast = pane.render_lines(crop)
    original = pane._render_fast
    pane._render_fast = lambda crop: None  # type: ignore[method-assign]
    try:
        slow = pane.render_lines(crop)
    finally:
        pane._render_fast = original  # type: ignore[method-assign]
    return [list(strip) for strip in fast], [list(strip) for strip in slow]


@pytest.mark.parametrize("focused", [False, True])
@pytest.mark.parametrize("scroll", [0, 7])
async def test_fast_path_draws_what_textual_draws(focused: bool, scroll: int) -> None:
    app = PaneApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        for pane in app.query(RenderedPane):
            if focused:
                pane.focus()
            pane.scroll_to(y=scroll, animate=False, immediate=True)
            await pilot.pause()
            assert pane._render_fast(pane.outer_size.region) is not None, "fast path not taken"
            full = pane.outer_size.region
            for crop in (full, Region(3, 2, 20, 5), Region(0, full.height - 3, full.width, 3)):
                fast, slow = both_ways(pane, crop)
                assert fast == slow, (pane.id, crop)


async def test_fast_path_applies_the_apps_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # adds Textual's monochrome filter
    app = PaneApp()
    async with app.run_test(size=(90, 30)) as pilot:
        await pilot.pause()
        pane = app.query_one("#b", RenderedPane)
        assert len(pane.get_line_filters()) >= 2
        fast, slow = both_ways(pane, pane.outer_size.region)
        assert fast == slow


async def test_effects_on_the_text_take_textuals_path() -> None:
    app = PaneApp()
    async with app.run_test(size=(90, 30)) as pilot:
        await pilot.pause()
        pane = app.query_one("#a", RenderedPane)
        pane.styles.tint = "red 40%"
        await pilot.pause()
        assert pane._render_fast(pane.outer_size.region) is None
        tinted = pane.render_lines(pane.outer_size.region)
        pane.styles.tint = None
        await pilot.pause()
        plain = pane.render_lines(pane.outer_size.region)
        assert [list(s) for s in tinted] != [list(s) for s in plain]
        assert pane._render_fast(pane.outer_size.region) is not None


def test_scroll_thumb() -> None:
    assert scroll_thumb(10, 20, 0) == (0, 0)  # everything fits: no thumb
    assert scroll_thumb(100, 10, 0) == (0, 1)
    assert scroll_thumb(100, 10, 90) == (9, 10)
    top, bottom = scroll_thumb(100, 10, 45)
    assert 0 < top < bottom < 10


async def test_annotate_runs_under_no_color(tui_data, monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR=1 once crashed the app on its first frame: Textual's monochrome filter met a
    segment without a style. A verdict under NO_COLOR must work like any other."""
    from rankterm.config import Settings
    from rankterm.sources.local import open_local
    from rankterm.tui.app import make_app

    monkeypatch.setenv("NO_COLOR", "1")
    source, guide, issues = open_local(tui_data / "pairs.jsonl", annotator="t")
    app = make_app(source, Settings(annotator="t"), guide, load_issues=issues)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = app.screen.view.pair.id
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.view.pair.id != first
    journal = (tui_data / "pairs.judgments.jsonl").read_text().splitlines()
    assert len(journal) == 1
