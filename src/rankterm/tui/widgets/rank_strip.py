"""The ranking strip: the order built so far, in candidate letters (never model names).

One line above the panes: the tiers placed so far best first (``C > A=E``), the two on screen
marked with their side, the candidate being inserted and those still waiting, and the count
of comparisons made against K(K-1)/2. A re-ask replaces it with why it is asked again.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from rankterm.config import TagSpec
from rankterm.core.insertion import worst_case_comparisons
from rankterm.core.model import candidate_name, format_order
from rankterm.sources.ranking import RankView
from rankterm.tui.keymap import key_for
from rankterm.tui.widgets.key_bar import (
    ALWAYS,
    SEPARATOR,
    KeyItem,
    action_items,
    key_line,
    tag_items,
    verdict_items,
)
from rankterm.tui.widgets.pair_info import OneLine

LEFT_STYLE = "bold reverse cyan"
RIGHT_STYLE = "bold reverse magenta"


def strip_text(view: RankView | None) -> Text:
    """The strip for a question (or an empty line when there is none)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if view is None:
        return text
    sides = {view.left: LEFT_STYLE, view.right: RIGHT_STYLE}

    def letter(i: int) -> None:
        name = candidate_name(i)
        if i in sides:
            text.append(f"{name}{'◀' if i == view.left else '▶'}", style=sides[i])
        else:
            text.append(name, style="bold")

    text.append(f" rank {view.task.k} ", style="bold reverse")
    text.append(" ")
    reason = view.reask_reason
    if reason is not None:
        text.append(" AGAIN ", style="bold reverse yellow")
        text.append(f" {reason}", style="yellow")
        return text
    for t, tier in enumerate(view.placement.tiers):
        if t:
            text.append(" > ", style="dim")
        for n, i in enumerate(tier):
            if n:
                text.append("=", style="dim")
            letter(i)
    if view.placement.inserting is not None:
        text.append("  placing ", style="dim")
        letter(view.placement.inserting)
    if view.placement.waiting:
        text.append("  then ", style="dim")
        text.append(" ".join(candidate_name(i) for i in view.placement.waiting), style="dim")
    k = view.task.k
    text.append(
        f"  │ {view.asked} compared (≤{worst_case_comparisons(k)} of {k * (k - 1) // 2})",
        style="dim",
    )
    if view.typed is not None:
        text.append(f"  typed: {format_order(view.typed)}", style="italic")
    return text


#: Keys of the annotation screen that mean nothing in a ranking (both bad has no place in
#: an order; criteria and an ideal answer belong to a pair).
NOT_RANKING = {"both bad", "criteria", "write answer"}


def rank_key_lines(
    keymap: Mapping[str, str], tags: list[TagSpec], active: set[str], width: int
) -> tuple[Text, Text]:
    """The ranking screen's two key lines: the graded verdicts, typed order and undo first;
    a tag on a ranking key is left out (the ranking key wins on this screen)."""
    own = {key_for("rank.undo", keymap), key_for("rank.typed", keymap)}
    verdicts = [i for i in verdict_items(keymap) if i.label not in NOT_RANKING]
    core, rest = action_items(keymap)
    undo = f"{key_for('rank.undo', keymap)}/{key_for('undo', keymap)}"
    mine = [
        KeyItem(key_for("rank.typed", keymap), "type order", "type", ALWAYS - 1),
        KeyItem(undo, "undo", weight=ALWAYS - 1),
    ]
    core = [i for i in core if i.label != "undo"]
    rest = [i for i in rest if i.label not in NOT_RANKING]
    tagged = [i for i in tag_items(tags, active) if i.key not in own]
    if width >= 120:
        first = [*verdicts, SEPARATOR, *mine, SEPARATOR, *tagged]
        second = [*core, *rest]
    else:
        first = [*verdicts, SEPARATOR, *mine, *core]
        second = [*tagged, SEPARATOR, *rest]
    return key_line(first, width), key_line(second, width)


class RankStrip(OneLine):
    DEFAULT_CSS = "RankStrip { height: 1; background: $panel; }"
