"""The key lines at the foot of a screen: every essential key in full, as the user mapped it.

Textual's footer cuts its line where the terminal ends ("? He" at 80 columns) and cannot say
which keys matter most. Here each key carries a weight: a line that does not fit first uses
the short word of each key (lightest first), then leaves out the lightest keys, so what stays
is always whole. Keys come from the config's ``[keys]`` through :func:`keys_for`, so a legend
never says "4 tie" once tie is on another key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from rich.text import Text

from rankterm.config import TagSpec
from rankterm.core.sanitize import inert
from rankterm.tui.keymap import key_for
from rankterm.tui.widgets.pair_info import OneLine

#: Never left out.
ALWAYS = 100

#: Short words for the default tags, for lines that cannot hold "needless refusal".
SHORT_TAGS = {
    "hallucination": "halluc",
    "factual_error": "factual",
    "toxicity": "toxic",
    "privacy_leak": "privacy",
    "unsafe_advice": "unsafe",
    "needless_refusal": "refusal",
}


@dataclass(frozen=True)
class KeyItem:
    """One key and what it does. ``short`` stands in for ``label`` on a tight line; ``weight``
    decides what is left out first (lowest first; ``ALWAYS`` never)."""

    key: str
    label: str
    short: str | None = None
    weight: int = 50
    on: bool = False

    @property
    def cells(self) -> int:
        return 1 + len(self.key) + 1 + len(self.label)


SEPARATOR = KeyItem("", "│", weight=ALWAYS)


def fit(items: list[KeyItem], width: int) -> list[KeyItem]:
    """The items that fit in ``width`` cells, in their order: short words first, then the
    lightest items go, until the line fits. A separator left at an end or beside another
    goes too."""
    items = list(items)

    def total(these: Iterable[KeyItem]) -> int:
        return sum(item.cells if item is not SEPARATOR else 2 for item in these)

    by_weight = sorted(range(len(items)), key=lambda i: (items[i].weight, -i))
    for index in by_weight:
        if total(items) <= width:
            break
        item = items[index]
        if item.short is not None and item.short != item.label:
            items[index] = replace(item, label=item.short)
    dropped: set[int] = set()
    for index in by_weight:
        if total(item for i, item in enumerate(items) if i not in dropped) <= width:
            break
        if items[index].weight < ALWAYS:
            dropped.add(index)
    kept = [item for i, item in enumerate(items) if i not in dropped]
    tidy: list[KeyItem] = []
    for item in kept:
        if item is SEPARATOR and (not tidy or tidy[-1] is SEPARATOR):
            continue
        tidy.append(item)
    while tidy and tidy[-1] is SEPARATOR:
        tidy.pop()
    return tidy


def key_line(items: list[KeyItem], width: int) -> Text:
    """``items`` fitted to ``width`` as one line: each key in reverse video, then its word."""
    text = Text(no_wrap=True, overflow="crop")
    for item in fit(items, width):
        if item is SEPARATOR:
            text.append(" │", style="dim")
            continue
        text.append(" ")
        text.append(item.key, style="bold reverse yellow" if item.on else "bold reverse")
        text.append(" " + item.label, style="bold yellow" if item.on else "")
    return text


VERDICTS = (
    ("verdict.left_much", "L≫"),
    ("verdict.left", "L>"),
    ("verdict.left_slightly", "L›"),
    ("verdict.tie", "tie"),
    ("verdict.right_slightly", "R›"),
    ("verdict.right", "R>"),
    ("verdict.right_much", "R≫"),
    ("verdict.both_bad", "both bad"),
)


def verdict_items(keymap: Mapping[str, str]) -> list[KeyItem]:
    return [KeyItem(key_for(i, keymap), label, weight=ALWAYS) for i, label in VERDICTS]


def tag_items(tags: list[TagSpec], active: set[str]) -> list[KeyItem]:
    return [
        KeyItem(
            inert(tag.key),
            inert(tag.title),
            short=None if tag.label else SHORT_TAGS.get(tag.name),
            weight=80,
            on=tag.name in active,
        )
        for tag in tags
    ]


def action_items(keymap: Mapping[str, str]) -> tuple[list[KeyItem], list[KeyItem]]:
    """The annotation screen's other keys: the ones used on most pairs, and the rest."""

    def item(binding_id: str, label: str, short: str | None = None, weight: int = 50):
        return KeyItem(key_for(binding_id, keymap), label, short, weight)

    core = [
        item("rationale", "rationale", "why", 70),
        item("flag", "flag", weight=70),
        item("skip", "skip", weight=70),
        item("undo", "undo", weight=70),
    ]
    rest = [
        item("guidelines", "guidelines", "guide", 66),
        item("help", "help", weight=90),
        item("quit", "quit", weight=60),
        KeyItem(f"{key_for('prev', keymap)} {key_for('next', keymap)}", "prev/next", "move", 50),
        item("diff", "diff", weight=40),
        item("raw", "raw text", "raw", 15),
        item("criteria", "criteria", weight=30),
        item("ideal_answer", "write answer", "answer", 25),
        item("maximize", "maximize", "max", 20),
        item("context", "prompt", weight=20),
        item("focus.next", "pane", weight=20),
        item("sync_scroll", "sync scroll", "sync", 10),
        item("stats", "stats", weight=10),
    ]
    return core, rest


def annotate_key_lines(
    keymap: Mapping[str, str], tags: list[TagSpec], active: set[str], width: int
) -> tuple[Text, Text]:
    """The annotation screen's two key lines. Wide: verdicts and tags, then actions. Narrow
    (80 columns): verdicts and the keys used on most pairs, then tags and the rest.

    Asked once a verdict with the same answer nearly every time, and a millisecond to work
    out: remembered by what it depends on (the frame after a verdict is budgeted in ms)."""
    return _annotate_key_lines(
        tuple(sorted(keymap.items())),
        tuple((tag.name, tag.key, tag.label) for tag in tags),
        frozenset(active),
        width,
    )


@lru_cache(maxsize=64)
def _annotate_key_lines(
    keymap_items: tuple[tuple[str, str], ...],
    tag_specs: tuple[tuple[str, str, str], ...],
    active: frozenset[str],
    width: int,
) -> tuple[Text, Text]:
    keymap = dict(keymap_items)
    tags = [TagSpec(name=name, key=key, label=label) for name, key, label in tag_specs]
    core, rest = action_items(keymap)
    verdicts, tagged = verdict_items(keymap), tag_items(tags, active)
    if width >= 120:
        first = [*verdicts, SEPARATOR, *tagged]
        second = [*core, *rest]
    else:
        first = [*verdicts, SEPARATOR, *core]
        second = [*tagged, SEPARATOR, *rest]
    return key_line(first, width), key_line(second, width)


def _span(keys: list[str]) -> str:
    """``["1", "2", "3"]`` -> ``1-3``; anything else joined with ``/``."""
    if all(len(k) == 1 and k.isdigit() for k in keys) and len(keys) > 1:
        numbers = [int(k) for k in keys]
        if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            return f"{keys[0]}-{keys[-1]}"
    return "/".join(keys)


def adjudicate_legend(keymap: Mapping[str, str]) -> Text:
    """The adjudicator's verdict keys, in A/B terms, as mapped."""
    a = _span([key_for(f"adjudicate.{k}", keymap) for k in ("a_much", "a", "a_slightly")])
    b = _span([key_for(f"adjudicate.{k}", keymap) for k in ("b_slightly", "b", "b_much")])
    parts = [
        f"{a} A better",
        f"{key_for('adjudicate.tie', keymap)} tie",
        f"{b} B better",
        f"{key_for('adjudicate.both_bad', keymap)} both bad",
        f"{key_for('adjudicate.unclear', keymap)} unclear",
    ]
    return Text(" " + " · ".join(parts) + " ", style="dim")


def adjudicate_key_line(keymap: Mapping[str, str], width: int) -> Text:
    """The adjudication screen's key line (remembered, as :func:`annotate_key_lines`)."""
    return _adjudicate_key_line(tuple(sorted(keymap.items())), width)


@lru_cache(maxsize=16)
def _adjudicate_key_line(keymap_items: tuple[tuple[str, str], ...], width: int) -> Text:
    keymap = dict(keymap_items)

    def item(binding_id: str, label: str, short: str | None = None, weight: int = 50):
        return KeyItem(key_for(f"adjudicate.{binding_id}", keymap), label, short, weight)

    prev_next = f"{key_for('adjudicate.prev', keymap)} {key_for('adjudicate.next', keymap)}"
    items = [
        item("rationale", "rationale", "why", 70),
        item("comment", "comment", weight=70),
        KeyItem(prev_next, "prev/next case", "move", 65),
        item("maximize", "maximize", "max", 60),
        item("focus", "pane", weight=55),
        item("diff", "diff", weight=40),
        item("raw", "raw text", "raw", 15),
        item("guidelines", "guidelines", "guide", 62),
        item("help", "help", weight=90),
        item("quit", "quit", weight=80),
    ]
    return key_line(items, width)


class KeyBar(OneLine):
    """A line of keys (see :func:`key_line`), sized by the screen that owns it."""

    DEFAULT_CSS = "KeyBar { height: 1; background: $panel; }"
