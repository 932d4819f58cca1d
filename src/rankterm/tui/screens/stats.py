"""One key from annotation: how am I doing, and how does the project agree?

Figures come from :mod:`rankterm.quality` (the same functions as ``rankterm agreement``),
computed in a worker because a long journal takes a moment; the chart is the annotator's active
time per label across the session, which shows fatigue at a glance. When the judged pairs are
monitoring pairs (``rankterm sample``), the production monitor's chart follows: win rate per
window against the reference and error-tag trends (:mod:`rankterm.quality.monitor`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Label, Sparkline, Static

from rankterm.core.model import Gold, Judgment
from rankterm.core.sanitize import inert
from rankterm.quality import annotator_stats, overall_agreement
from rankterm.quality.monitor import monitor_chart
from rankterm.tui.widgets.key_scroll import KeyScroll


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _fig(entry: dict[str, Any] | None) -> str:
    if not entry or entry.get("value") is None:
        return "–"
    return f"{entry['value']:.3f}"


def compute(
    annotator: str, judgments: Sequence[Judgment], gold: dict[str, Gold]
) -> tuple[Table, Table, list[float]]:
    """Pure: the two tables and the chart series for the screen."""
    mine = [j for j in judgments if j.annotator == annotator]
    stats = {s.annotator: s for s in annotator_stats(judgments, gold=gold)}
    own = stats.get(annotator)
    me = Table(show_header=False, box=None, padding=(0, 2))
    me.add_column(style="bold")
    me.add_column()
    me.add_row("labels", str(len(mine)))
    if own is not None:
        me.add_row("gold accuracy", f"{_pct(own.gold.value)} of {own.gold.n}")
        me.add_row("agreement with majority", f"{_pct(own.majority.value)} of {own.majority.n}")
        me.add_row(
            "self-consistency (repeats)",
            f"{_pct(own.self_consistency.value)} of {own.self_consistency.n}",
        )
        side = own.position_left
        bias = f"{_pct(side.value)} left of {side.n}"
        if own.position_p is not None:
            bias += f" (p = {own.position_p:.3f})"
        me.add_row("picked the left side", bias)
        median = own.median_duration_ms
        me.add_row("median active time", "–" if median is None else f"{median / 1000:.1f} s")
        if own.duration_slope_ms is not None:
            me.add_row("time trend per label", f"{own.duration_slope_ms:+.0f} ms")
        if own.tags:
            tags = ", ".join(f"{inert(k)} {v}" for k, v in sorted(own.tags.items()))
            me.add_row("tags used", tags)
    project = Table(show_header=False, box=None, padding=(0, 2))
    project.add_column(style="bold")
    project.add_column()
    overall = overall_agreement(judgments) if judgments else {}
    annotators = overall.get("n_annotators", 0)
    project.add_row("annotators in these journals", str(annotators))
    if annotators >= 2:
        project.add_row("percent agreement", _fig(overall.get("percent_agreement")))
        alpha = overall.get("krippendorff_alpha", {})
        project.add_row("Krippendorff's α (nominal)", _fig(alpha.get("nominal")))
        project.add_row("Krippendorff's α (ordinal)", _fig(alpha.get("ordinal")))
        project.add_row("Fleiss' κ", _fig(overall.get("fleiss_kappa")))
    else:
        project.add_row("agreement", Text("needs judgments from 2+ annotators", style="dim"))
    series = [j.duration_ms / 1000 for j in mine[-200:]]
    return me, project, series


class StatsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    StatsScreen { align: center middle; }
    StatsScreen > KeyScroll {
        width: 90%; max-width: 100; height: 90%; border: thick $accent;
        background: $surface; padding: 0 2;
    }
    StatsScreen Sparkline { height: 4; margin: 0 0 1 0; }
    StatsScreen .title { text-style: bold underline; margin-top: 1; }
    StatsScreen .monitor { display: none; }
    """
    BINDINGS = [Binding("escape,q,S", "close", "Close", id="stats.close")]

    def __init__(self, annotator: str, load, metadata=None) -> None:
        # load: () -> (judgments, gold); metadata: (pair ids) -> {pair id: metadata}, if any
        super().__init__()
        self.annotator = annotator
        self._load = load
        self._metadata = metadata
        self.tables: tuple[Table, Table] | None = None
        #: The monitoring chart's lines, once computed (empty: no monitoring pairs judged).
        self.monitor_lines: list[str] | None = None

    def compose(self) -> ComposeResult:
        with KeyScroll(id="stats-body") as scroll:
            scroll.border_title = "Your stats · esc to close"
            yield Label("You", classes="title")
            yield Static("computing…", id="me")
            yield Label("Active seconds per label, this journal (oldest → newest)", classes="title")
            yield Sparkline([], id="chart")
            yield Label("Project agreement", classes="title")
            yield Static("computing…", id="project")
            yield Label("Production monitor (rankterm monitor)", classes="title monitor")
            yield Static("", id="monitor", classes="monitor")

    def on_mount(self) -> None:
        self.run_worker(self._fill(), exclusive=True)

    async def _fill(self) -> None:
        judgments, gold = await asyncio.to_thread(self._load)
        me, project, series = await asyncio.to_thread(compute, self.annotator, judgments, gold)
        self.tables = (me, project)
        self.query_one("#me", Static).update(me)
        self.query_one("#project", Static).update(project)
        self.query_one("#chart", Sparkline).data = series or [0.0]
        if self._metadata is not None:
            chart = self.query_one("#monitor", Static)
            # The chart is hidden (no width of its own) until there is one: fit the scroll body.
            width = max(40, self.query_one("#stats-body").scrollable_content_region.width - 1)
            meta = await asyncio.to_thread(self._metadata, {j.pair_id for j in judgments})
            lines = await asyncio.to_thread(monitor_chart, meta, judgments, width)
            self.monitor_lines = lines
            if lines:
                chart.update(Text("\n".join(lines)))
                for widget in self.query(".monitor"):
                    widget.display = True

    def action_close(self) -> None:
        self.dismiss(None)
