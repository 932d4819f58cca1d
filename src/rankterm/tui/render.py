"""Turn pairs into terminal lines, ahead of time and off the event loop.

Responses are rendered once per width into lines of Rich segments (Markdown with
syntax-highlighted code) and cached, so showing the next pair is a pointer swap rather than a
Markdown parse. Lines are kept as plain segment lists, not Textual Strips: a Strip carries
seven small caches, and thousands of them per cached response made every full garbage
collection walk ~100k extra objects (100+ ms, the keypress p99). The pane wraps only the
visible lines in Strips, per frame. Every string passes through
:func:`rankterm.sanitize.inert` first: this module is the single door through which untrusted
text reaches the screen.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Hashable

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from rankterm.diff import Span, word_diff
from rankterm.model import Pair
from rankterm.sanitize import has_controls, inert

CODE_THEME = "monokai"
LEFT_ONLY = "on #5c1f2a"
RIGHT_ONLY = "on #1f4d2c"
#: One rendered terminal line: segments filling exactly the width it was rendered at.
Line = list[Segment]
Lines = list[Line]

ROLE_STYLES = {"user": "bold cyan", "assistant": "bold magenta", "system": "bold yellow"}


def markdown(text: str) -> RenderableType:
    """Untrusted Markdown, made inert; links are shown as text, never as terminal hyperlinks."""
    return Markdown(inert(text), code_theme=CODE_THEME, hyperlinks=False)


def plain(text: str, style: str = "") -> Text:
    """Untrusted plain text (no markup interpretation), made inert."""
    return Text(inert(text), style=style)


def warning_line(text: str) -> RenderableType | None:
    if has_controls(text):
        return Text(
            "⚠ this text contains terminal control characters; they are shown inert",
            style="bold black on yellow",
        )
    return None


def with_warning(text: str, body: RenderableType) -> RenderableType:
    warning = warning_line(text)
    return body if warning is None else Group(warning, body)


def conversation(pair: Pair) -> RenderableType:
    """The prompt, or every turn of a multi-turn conversation, with role labels."""
    turns = pair.conversation
    if len(turns) == 1 and turns[0].role == "user":
        return with_warning(turns[0].content, markdown(turns[0].content))
    parts: list[RenderableType] = []
    for number, message in enumerate(turns, start=1):
        role = inert(message.role)
        label = Text(f"{role.upper()} · turn {number}", style=ROLE_STYLES.get(role, "bold"))
        parts.append(label)
        parts.append(with_warning(message.content, markdown(message.content)))
        parts.append(Text(""))
    return Group(*parts)


def diff_text(spans: list[Span], changed_style: str) -> Text:
    text = Text()
    for chunk, changed in spans:
        text.append(inert(chunk), style=changed_style if changed else "")
    return text


_local = threading.local()


def _console(width: int) -> Console:
    """A private Console per thread: rendering runs in workers, and Console is not re-entrant."""
    console: Console | None = getattr(_local, "console", None)
    if console is None:
        console = Console(
            file=io.StringIO(),
            force_terminal=True,
            color_system="truecolor",
            legacy_windows=False,
            width=max(width, 10),
            emoji=False,
            highlight=False,
        )
        _local.console = console
    return console


_NULL_STYLE = Style()


def to_lines(renderable: RenderableType, width: int) -> Lines:
    """Render to lines of exactly ``width`` cells, adjacent same-style segments merged."""
    width = max(width, 10)
    console = _console(width)
    options = console.options.update(width=width, min_width=width, max_width=width, height=None)
    lines = console.render_lines(renderable, options, pad=True, new_lines=False)
    # No segment without a style: Textual's NO_COLOR filter (monochrome) assumes every segment
    # has one, and crashed the app on the first unstyled one.
    return [
        [
            segment if segment.style is not None else Segment(segment.text, _NULL_STYLE)
            for segment in Segment.simplify(line)
        ]
        for line in lines
    ]


class RenderCache:
    """A small thread-safe LRU of rendered lines, keyed by what determines the rendering."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[Hashable, Lines] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_render(self, key: Hashable, make: callable) -> Lines:  # type: ignore[valid-type]
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        lines = make()
        with self._lock:
            self._items[key] = lines
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return lines


class PairRenderer:
    """Renders the three panes of a pair (context, left, right) at given widths, cached."""

    def __init__(self) -> None:
        self.cache = RenderCache()

    def word_counts(self, pair: Pair) -> tuple[int, int]:
        """Words in responses A and B (counted once per pair: splitting two 4k-word answers
        on the event loop was a sixth of showing the next pair)."""
        return self.cache.get_or_render(
            ("words", pair.id),
            lambda: (len(pair.response_a.split()), len(pair.response_b.split())),
        )

    def context(self, pair: Pair, width: int) -> Lines:
        return self.cache.get_or_render(
            ("ctx", pair.id, width), lambda: to_lines(conversation(pair), width)
        )

    def responses(
        self, pair: Pair, swapped: bool, width: int, diff: bool = False
    ) -> tuple[Lines, Lines]:
        left_text = pair.response_b if swapped else pair.response_a
        right_text = pair.response_a if swapped else pair.response_b
        if diff:
            key = ("diff", pair.id, swapped, width)

            def make_diff() -> Lines:
                left_spans, right_spans = word_diff(left_text, right_text)
                return [
                    *to_lines(diff_text(left_spans, LEFT_ONLY), width),
                    None,  # type: ignore[list-item]  # separator between the two sides
                    *to_lines(diff_text(right_spans, RIGHT_ONLY), width),
                ]

            both = self.cache.get_or_render(key, make_diff)
            cut = both.index(None)  # type: ignore[arg-type]
            return both[:cut], both[cut + 1 :]
        left = self.cache.get_or_render(
            ("md", pair.id, "a" if not swapped else "b", width),
            lambda: to_lines(with_warning(left_text, markdown(left_text)), width),
        )
        right = self.cache.get_or_render(
            ("md", pair.id, "b" if not swapped else "a", width),
            lambda: to_lines(with_warning(right_text, markdown(right_text)), width),
        )
        return left, right
