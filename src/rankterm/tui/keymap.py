"""Every key binding of the annotation screen, with a stable id users can remap.

Ids are what the config file's ``[keys]`` table names (``"verdict.left_much" = "a"``); Textual's
``App.set_keymap`` applies them, so remapping never touches private Textual state.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding
from textual.keys import format_key

VERDICT_BINDINGS: list[Binding] = [
    Binding(
        "1",
        "verdict('left', 3)",
        "Left ≫",
        id="verdict.left_much",
        tooltip="left response much better",
        show=False,
    ),
    Binding(
        "2",
        "verdict('left', 2)",
        "Left >",
        id="verdict.left",
        tooltip="left response better",
        show=False,
    ),
    Binding(
        "3",
        "verdict('left', 1)",
        "Left ›",
        id="verdict.left_slightly",
        tooltip="left response slightly better",
        show=False,
    ),
    Binding(
        "4", "verdict('tie', 0)", "Tie", id="verdict.tie", tooltip="tie: equally good", show=False
    ),
    Binding(
        "5",
        "verdict('right', 1)",
        "Right ›",
        id="verdict.right_slightly",
        tooltip="right response slightly better",
        show=False,
    ),
    Binding(
        "6",
        "verdict('right', 2)",
        "Right >",
        id="verdict.right",
        tooltip="right response better",
        show=False,
    ),
    Binding(
        "7",
        "verdict('right', 3)",
        "Right ≫",
        id="verdict.right_much",
        tooltip="right response much better",
        show=False,
    ),
    Binding(
        "0",
        "verdict('both_bad', 0)",
        "Both bad",
        id="verdict.both_bad",
        tooltip="both bad (w first to write the answer that should have been given)",
        show=False,
    ),
    Binding(
        "left",
        "verdict('left', 2)",
        "Left",
        id="verdict.left_arrow",
        tooltip="left response better",
        priority=True,
    ),
    Binding(
        "right",
        "verdict('right', 2)",
        "Right",
        id="verdict.right_arrow",
        tooltip="right response better",
        priority=True,
    ),
]

ACTION_BINDINGS: list[Binding] = [
    Binding(
        "r",
        "rationale",
        "Why",
        id="rationale",
        tooltip="write or edit the rationale (multi-line; ctrl+s saves)",
    ),
    Binding(
        "exclamation_mark",
        "flag",
        "Flag",
        id="flag",
        tooltip="flag this pair for expert review",
        key_display="!",
    ),
    Binding(
        "s",
        "skip",
        "Skip",
        id="skip",
        tooltip="skip: leave it unjudged for now; it comes back later",
    ),
    Binding(
        "z,ctrl+z",
        "undo",
        "Undo",
        id="undo",
        tooltip="undo your last verdict (unlimited; the journal keeps a retraction)",
    ),
    Binding(
        "left_square_bracket",
        "move(-1)",
        "Prev",
        id="prev",
        tooltip="previous pair (a new verdict replaces your old one)",
        key_display="[",
    ),
    Binding(
        "right_square_bracket", "move(1)", "Next", id="next", tooltip="next pair", key_display="]"
    ),
    Binding(
        "d",
        "toggle_diff",
        "Diff",
        id="diff",
        tooltip="highlight the words that differ between the responses",
    ),
    Binding(
        "t",
        "toggle_raw",
        "Raw text",
        id="raw",
        tooltip="flip the focused pane between rendered Markdown and the raw text as written",
        show=False,
    ),
    Binding(
        "l",
        "toggle_sync_scroll",
        "Sync scroll",
        id="sync_scroll",
        tooltip="scroll both responses together",
        show=False,
    ),
    Binding(
        "j",
        "scroll(1)",
        "Scroll down",
        id="scroll.down",
        tooltip="scroll the focused pane down",
        show=False,
    ),
    Binding(
        "k",
        "scroll(-1)",
        "Scroll up",
        id="scroll.up",
        tooltip="scroll the focused pane up",
        show=False,
    ),
    Binding(
        "space",
        "scroll_page(1)",
        "Page down",
        id="scroll.page_down",
        tooltip="page down in the focused pane",
        show=False,
    ),
    Binding(
        "tab",
        "focus_next_pane",
        "Next pane",
        id="focus.next",
        tooltip="focus the next pane",
        show=False,
        priority=True,
    ),
    Binding(
        "m",
        "toggle_maximize",
        "Maximize pane",
        id="maximize",
        tooltip="maximize the focused pane (again to restore)",
        show=False,
    ),
    Binding(
        "c",
        "toggle_context",
        "Expand prompt",
        id="context",
        tooltip="show the whole prompt / conversation",
        show=False,
    ),
    Binding(
        "g",
        "guidelines",
        "Guidelines",
        id="guidelines",
        tooltip="read the whole guidelines document",
    ),
    Binding(
        "v",
        "criteria",
        "Criteria",
        id="criteria",
        tooltip="per-criterion verdicts (helpfulness, harmlessness, ...)",
        show=False,
    ),
    Binding(
        "w",
        "ideal_answer",
        "Write answer",
        id="ideal_answer",
        tooltip="write the answer that should have been given",
        show=False,
    ),
    Binding(
        "S",
        "stats",
        "Stats",
        id="stats",
        tooltip="your stats and the project's agreement",
        show=False,
    ),
    Binding("question_mark,f1", "help", "Help", id="help", tooltip="this help", key_display="?"),
    Binding("q", "quit_app", "Quit", id="quit", tooltip="quit (everything is already saved)"),
]

GROUPS = {
    "verdict": "Verdicts (screen terms: left / right as you see them)",
    "rationale": "Annotate",
    "criteria": "Annotate",
    "flag": "Annotate",
    "skip": "Move",
    "undo": "Move",
    "prev": "Move",
    "next": "Move",
    "rank": "Rank (K-way: candidates as letters)",
}


def group_of(binding_id: str | None) -> str:
    if binding_id is None:
        return "Other"
    head = binding_id.split(".")[0]
    if head == "adjudicate":
        return "Adjudicate (A/B terms: A is on the left)"
    if head in GROUPS:
        return GROUPS[head]
    if head in {"diff", "raw", "sync_scroll", "scroll", "focus", "maximize", "context"}:
        return "Read"
    return "Other"


def all_bindings() -> list[Binding]:
    return [*VERDICT_BINDINGS, *ACTION_BINDINGS]


def binding_ids() -> set[str]:
    return {b.id for b in [*all_bindings(), *ADJUDICATE_BINDINGS, *RANK_BINDINGS] if b.id}


ADJUDICATE_BINDINGS: list[Binding] = [
    Binding("1", "decide('A', 3)", "A ≫", id="adjudicate.a_much", show=False),
    Binding("2", "decide('A', 2)", "A >", id="adjudicate.a", show=False),
    Binding("3", "decide('A', 1)", "A ›", id="adjudicate.a_slightly", show=False),
    Binding("4", "decide('tie', 0)", "Tie", id="adjudicate.tie", show=False),
    Binding("5", "decide('B', 1)", "B ›", id="adjudicate.b_slightly", show=False),
    Binding("6", "decide('B', 2)", "B >", id="adjudicate.b", show=False),
    Binding("7", "decide('B', 3)", "B ≫", id="adjudicate.b_much", show=False),
    Binding("0", "decide('both_bad', 0)", "Both bad", id="adjudicate.both_bad", show=False),
    Binding(
        "r",
        "rationale",
        "Why",
        id="adjudicate.rationale",
        tooltip="rationale for the final verdict",
    ),
    Binding(
        "U",
        "unclear",
        "Guideline unclear",
        id="adjudicate.unclear",
        tooltip="the guideline is unclear: leave a note for its owner",
        key_display="U",
    ),
    Binding("c", "comment", "Comment", id="adjudicate.comment", tooltip="comment on this pair"),
    Binding(
        "o",
        "order",
        "Order of record",
        id="adjudicate.order",
        tooltip="a ranking task: type the order of record (CADB, 3142, C>A=D>B)",
        show=False,
    ),
    Binding("left_square_bracket", "move(-1)", "Prev", id="adjudicate.prev", key_display="["),
    Binding("right_square_bracket", "move(1)", "Next", id="adjudicate.next", key_display="]"),
    Binding("d", "toggle_diff", "Diff", id="adjudicate.diff"),
    Binding(
        "t",
        "toggle_raw",
        "Raw text",
        id="adjudicate.raw",
        tooltip="flip the focused pane between rendered Markdown and the raw text as written",
        show=False,
    ),
    Binding("tab", "focus_next_pane", "Next pane", id="adjudicate.focus", show=False),
    Binding("j", "scroll(1)", "Scroll down", id="adjudicate.down", show=False),
    Binding("k", "scroll(-1)", "Scroll up", id="adjudicate.up", show=False),
    Binding(
        "space",
        "scroll_page(1)",
        "Page down",
        id="adjudicate.page_down",
        tooltip="page down in the focused pane",
        show=False,
    ),
    Binding("m", "toggle_maximize", "Maximize pane", id="adjudicate.maximize", show=False),
    Binding("g", "guidelines", "Guidelines", id="adjudicate.guidelines"),
    Binding("question_mark,f1", "help", "Help", id="adjudicate.help", key_display="?"),
    Binding("q", "quit_app", "Quit", id="adjudicate.quit"),
]


def binding_for(binding_id: str) -> Binding:
    """The default binding with this id (annotation or adjudication)."""
    for binding in [*all_bindings(), *ADJUDICATE_BINDINGS, *RANK_BINDINGS]:
        if binding.id == binding_id:
            return binding
    raise KeyError(binding_id)


def show_key(key: str) -> str:
    """``question_mark`` -> ``?``, ``ctrl+z`` -> ``^z``: a key as a person types it."""
    key = key.strip()
    if key.startswith("ctrl+"):
        return "^" + format_key(key[5:])
    return format_key(key)


def keys_for(binding_id: str, keymap: Mapping[str, str]) -> list[str]:
    """The keys that trigger ``binding_id`` as the user has mapped them (the config's
    ``[keys]``, else the default), for display: a legend that says "4 tie" after tie was
    moved to another key is worse than none."""
    binding = binding_for(binding_id)
    if binding_id in keymap:
        return [show_key(k) for k in keymap[binding_id].split(",") if k.strip()]
    shown = [show_key(k) for k in binding.key.split(",") if k.strip()]
    if binding.key_display:  # the default's own display first ("?" before "f1")
        shown = [binding.key_display, *[k for k in shown if k != binding.key_display]]
    return shown


def key_for(binding_id: str, keymap: Mapping[str, str]) -> str:
    """The first key of ``binding_id`` as mapped: what a one-line legend shows."""
    keys = keys_for(binding_id, keymap)
    return keys[0] if keys else "?"


#: The ranking screen's own keys (K-way ranking), on top of the annotation screen's.
RANK_BINDINGS: list[Binding] = [
    Binding("u", "undo", "Undo", id="rank.undo", tooltip="undo the last comparison"),
    Binding(
        "o",
        "typed_order",
        "Type order",
        id="rank.typed",
        tooltip="type the whole order (3142, CADB, C>A=D>B); checked against your comparisons",
    ),
]
