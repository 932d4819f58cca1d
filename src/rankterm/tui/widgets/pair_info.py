"""The lines under the responses: what is set on this pair, and what each key does."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from rankterm.core.model import Choice, Pair, describe, side_for_choice
from rankterm.core.sanitize import inert
from rankterm.guidelines import Section
from rankterm.sources.base import Draft, PairView

SELF_ID_WARNING = "names a model or its maker"


def self_identified_sides(pair: Pair, swapped: bool) -> list[str] | None:
    """Which screen sides ("left", "right") hold a response that names a model or its maker.

    From the mark ``rankterm generate`` puts in the metadata (``self_identified`` and, per
    data side, ``self_identified_names``). The names themselves are never returned: the screen
    hides which models answered, and "As ChatGPT..." would tell. ``None``: not marked;
    ``[]``: marked, but the file does not say on which side.
    """
    meta = pair.metadata
    names = meta.get("self_identified_names")
    sides: list[str] = []
    if isinstance(names, dict):
        by_data = {"a": bool(names.get("a")), "b": bool(names.get("b"))}
        left, right = ("b", "a") if swapped else ("a", "b")
        sides = [side for side, key in (("left", left), ("right", right)) if by_data[key]]
    if sides:
        return sides
    return [] if meta.get("self_identified") is True else None


def self_id_text(pair: Pair, swapped: bool) -> str | None:
    """The warning for the info line, or None: which side, never which model."""
    sides = self_identified_sides(pair, swapped)
    if sides is None:
        return None
    if not sides:
        return f"⚠ a response {SELF_ID_WARNING}"
    where = " and ".join(s.upper() for s in sides)
    return f"⚠ {where} {SELF_ID_WARNING}"


def info_text(
    view: PairView | None,
    draft: Draft,
    sections: list[Section],
    diff: bool,
    criteria: list[str] | None = None,
    suggestions: list[str] | None = None,
) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if view is None:
        text.append(" nothing left to judge ", style="bold reverse green")
        return text
    pair = view.pair
    text.append(f" {inert(pair.id)} ", style="bold reverse")
    warning = self_id_text(pair, view.swapped)
    if warning is not None:  # first, where a narrow screen does not cut it off
        text.append(f" {warning} ", style="bold black on yellow")
    meta = [
        str(pair.metadata.get(k)) for k in ("domain", "language", "dialect") if k in pair.metadata
    ]
    if meta:
        text.append(" " + inert(" · ".join(meta)), style="dim")
    if view.existing is not None:
        verdict = describe(view.existing.choice, view.existing.strength, view.swapped)
        text.append(f"  ✔ judged: {verdict}", style="bold green")
        for line in suggestions or ():  # revealed once judged (``tui.suggestion_view``)
            text.append(f"  💡 {line}", style="cyan")
    if draft.tags:
        text.append("  tags: ")
        names = ", ".join(
            sorted(
                inert(t).replace("_", " ") + _side_mark(draft.tag_sides.get(t), view.swapped)
                for t in draft.tags
            )
        )
        text.append(names, style="bold yellow")
    if draft.flagged:
        text.append("  ⚑ flagged", style="bold red")
    if draft.rationale:
        first = inert(draft.rationale.strip().splitlines()[0]) if draft.rationale.strip() else ""
        text.append(f"  ✎ {first[:40]}", style="italic")
    if draft.ideal_response:
        text.append("  ✍ answer written", style="italic cyan")
    if criteria:
        marked = sum(1 for name in criteria if name in draft.criteria)
        style = "bold green" if marked == len(criteria) else "yellow"
        text.append(f"  criteria {marked}/{len(criteria)} (v)", style=style)
    if diff:
        text.append("  [diff]", style="bold magenta")
    if sections:
        text.append("  📖 " + inert(", ".join(s.title for s in sections)), style="dim")
    return text


def _side_mark(side: str | None, swapped: bool) -> str:
    """Where a sided tag sits on screen: `` (left)``, `` (right)``, `` (both)``; a tag of the
    whole pair gets no mark."""
    if side is None:
        return ""
    if side == "both":
        return " (both)"
    return f" ({side_for_choice(Choice(side), swapped)})"


class OneLine(Widget):
    """A one-line bar whose text is replaced often (once a verdict, at least).

    Drawn with the line API from a Rich ``Text`` that is ``no_wrap`` with an ellipsis: the
    line is that text cut to the width, nothing to wrap or lay out. Through ``Static`` each
    bar cost 0.35-0.45 ms of event-loop CPU per verdict at 80x24 (the text went through
    Textual's content conversion and wrapping every time); now the strip is built once per
    text and width. Its height never depends on the text, so an update repaints this line and
    nothing else, and an unchanged text costs nothing at all."""

    DEFAULT_CSS = "OneLine { height: 1; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: Text | None = None
        self._strip: Strip | None = None
        self._strip_key: tuple[int, Style] | None = None

    def show_text(self, text: Text) -> None:
        if text == self._shown:
            return
        self._shown = text
        self._strip = None
        self.refresh()

    def render(self) -> Text:
        """The text shown (for tests and accessibility); painting goes through
        :meth:`render_line`."""
        return self._shown if self._shown is not None else Text()

    @property
    def content(self) -> Text:
        """What ``Static.content`` gave: the text shown."""
        return self.render()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.visual_style.rich_style
        if y != 0 or self._shown is None:
            return Strip.blank(width, style)
        key = (width, style)
        if self._strip is None or self._strip_key != key:
            text = self._shown.copy()
            text.truncate(width, overflow=text.overflow or "ellipsis")
            segments = text.render(self.app.console)
            strip = Strip(segments).apply_style(style).crop_extend(0, width, style)
            self._strip = strip.simplify()
            self._strip_key = key
        return self._strip


class PairInfo(OneLine):
    DEFAULT_CSS = "PairInfo { height: 1; background: $boost; }"


class Legend(OneLine):
    DEFAULT_CSS = "Legend { height: 1; background: $boost; }"
