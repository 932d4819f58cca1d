"""What the annotation screen says of a model's suggestion, and when it may say it.

A suggestion (a judge's verdict, a reward model's pick) shown before the person decides
anchors them; shown after, it is feedback. So :func:`revealed` gives nothing for a pair
without a journaled verdict of this annotator (``PairView.existing``), and the screen asks
for a suggestion only there and right after ``record`` returned (the verdict is fsynced).
Everything is in screen terms (left/right, as the annotator saw the pair), and the model's
rationale is untrusted text made inert.
"""

from __future__ import annotations

from rankterm.core.model import Judgment, Pair, describe
from rankterm.core.sanitize import inert
from rankterm.core.suggestions import REWARD, Suggestion, SuggestionBook, reward_scores
from rankterm.sources.base import PairView

#: Rationales are cut here: one line in a notification, not a second response to read.
RATIONALE_CHARS = 160


def revealed(view: PairView | None, book: SuggestionBook | None) -> list[Suggestion]:
    """Suggestions for the pair on screen, once (and only once) its verdict is journaled."""
    if view is None or book is None or view.existing is None:
        return []
    return book.for_pair(view.pair.id, view.pair.metadata)


def suggestion_line(suggestion: Suggestion, pair: Pair, swapped: bool) -> str:
    """``judge j1: left much better — rationale`` (inert, one line)."""
    verdict = describe(suggestion.choice, suggestion.strength or 2, swapped)
    if suggestion.source == REWARD:
        scores = reward_scores(pair.metadata)
        if scores is not None:
            left, right = (scores[1], scores[0]) if swapped else scores
            return f"reward model: {verdict} (left {left:g}, right {right:g})"
        return f"reward model: {verdict}"
    text = f"{suggestion.source}: {verdict}"
    rationale = " ".join(inert(suggestion.rationale).split())
    if rationale:
        if len(rationale) > RATIONALE_CHARS:
            rationale = rationale[: RATIONALE_CHARS - 1].rstrip() + "…"
        # The judge wrote in the data's A/B; the annotator saw sides, maybe swapped.
        text += f" — (its A is the {'right' if swapped else 'left'}) {rationale}"
    return inert(text)


def after_verdict_notice(view: PairView, book: SuggestionBook | None, yours: Judgment) -> str:
    """The brief line shown once a verdict is saved ("" when no model judged the pair)."""
    found = book.for_pair(view.pair.id, view.pair.metadata) if book is not None else []
    if not found:
        return ""
    mine = describe(yours.choice, yours.strength, view.swapped)
    lines = [suggestion_line(s, view.pair, view.swapped) for s in found]
    head = f"Saved ({inert(view.pair.id)}: you chose {mine}). Suggestion"
    return head + (":\n" if len(lines) == 1 else "s:\n") + "\n".join(lines)
