"""Where pairs come from and where judgments go: local JSONL files or the task server.

Screens talk to the :class:`~rankterm.sources.base.TaskSource` protocol only, so the TUI does
not know (or care) which one it has.
"""

from rankterm.sources.base import Draft, PairView, Progress, SyncState, TaskSource

__all__ = ["Draft", "PairView", "Progress", "SyncState", "TaskSource"]
