"""The top bar: who is judging, how far along, how fast, and whether the server has it all."""

from __future__ import annotations

from rich.text import Text

from rankterm.core.sanitize import inert
from rankterm.sources.base import Progress, SyncState
from rankterm.tui.widgets.pair_info import OneLine

SYNC_STYLES = {
    SyncState.LOCAL: ("● local", "green"),
    SyncState.SYNCED: ("● synced", "green"),
    SyncState.SYNCING: ("◌ syncing", "yellow"),
    SyncState.OFFLINE: ("○ offline", "red"),
}


def progress_bar(fraction: float, width: int) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.0f}h{(seconds % 3600) / 60:02.0f}m"


def status_text(
    annotator: str, progress: Progress, rate_per_hour: float | None, width: int
) -> Text:
    """Compose the bar; drops the least useful parts first when the terminal is narrow."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" rankterm ", style="bold reverse")
    text.append(f" {inert(annotator)} ", style="bold")
    about = "~" if progress.estimated else ""
    text.append(f"│ {progress.done}/{about}{progress.total} ")
    bar_width = 20 if width >= 100 else 8
    text.append(progress_bar(progress.fraction, bar_width), style="green")
    text.append(f" {progress.fraction:.0%} ")
    if rate_per_hour:
        text.append(f"│ {rate_per_hour:.0f}/h ")
        remaining = progress.total - progress.done
        if remaining > 0:
            text.append(f"│ ETA {format_duration(remaining / rate_per_hour * 3600)} ")
    label, style = SYNC_STYLES[progress.sync]
    text.append("│ ")
    text.append(label, style=style)
    if progress.pending_sync:
        text.append(f" ({progress.pending_sync} pending)", style=style)
    if progress.sync_detail:
        text.append(f" {inert(progress.sync_detail)}", style="dim")
    return text


class StatusBar(OneLine):
    """One line at the top of the annotation screen."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; }
    """

    def show(self, annotator: str, progress: Progress, rate_per_hour: float | None) -> None:
        self.show_text(status_text(annotator, progress, rate_per_hour, self.size.width or 80))
