"""Textual messages for changes a task source reports on its own (see ``SourceEvent``).

The sources stay Textual-free: they call a plain listener (``SourceEvents.subscribe``); the
app installs one that turns each event into one of these messages and posts it to the screens
from whatever thread the source used. The annotation screen handles them instead of polling.
"""

from __future__ import annotations

from textual.message import Message

from rankterm.sources.base import SourceEvent


class SourceChanged(Message, bubble=False):
    """Base of the source's change messages (a screen may handle them all at once)."""


class SyncChanged(SourceChanged, bubble=False):
    """Sync state, progress or the pairs on hand changed (remote mode)."""


class IssuesFound(SourceChanged, bubble=False):
    """Bad input lines were found late: ``source.take_new_issues()`` has them."""


class NoticesPosted(SourceChanged, bubble=False):
    """Something to tell the annotator now: ``source.take_notices()`` has it."""


class IndexingProgress(SourceChanged, bubble=False):
    """Indexing or checking a big pairs file went on (the status line says how far)."""


MESSAGES: dict[SourceEvent, type[SourceChanged]] = {
    SourceEvent.SYNC: SyncChanged,
    SourceEvent.ISSUES: IssuesFound,
    SourceEvent.NOTICES: NoticesPosted,
    SourceEvent.INDEXING: IndexingProgress,
}


def message_for(event: SourceEvent) -> SourceChanged:
    """The message that carries ``event`` to the screens."""
    return MESSAGES[event]()
