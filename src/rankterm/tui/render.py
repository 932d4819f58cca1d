"""Turn pairs into terminal lines, ahead of time and off the event loop.

Responses are rendered once per width into lines of Rich segments (Markdown with
syntax-highlighted code) and cached, so showing the next pair is a pointer swap rather than a
Markdown parse. Lines are kept as plain segment lists, not Textual Strips: a Strip carries
seven small caches, and thousands of them per cached response made every full garbage
collection walk ~100k extra objects (100+ ms, the keypress p99). The pane wraps only the
visible lines in Strips, per frame. Every string passes through
:func:`rankterm.core.sanitize.inert` first: this module is the single door through which untrusted
text reaches the screen.

What is rendered must not alter what was written: line breaks are kept (``FaithfulMarkdown``),
rows holding right-to-left text are isolated (``raw_lines.isolate``), the raw view and texts too
big to render up front are :class:`~rankterm.tui.raw_lines.RawLines`, made row by row, and a
multi-turn context opens at the turn the responses answer (``conversation_lines``).
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

from rankterm.core.diff import Span, word_diff
from rankterm.core.model import Message, Pair
from rankterm.core.sanitize import has_controls, inert
from rankterm.tui.raw_lines import RawLines, isolate

CODE_THEME = "monokai"
LEFT_ONLY = "on #5c1f2a"
RIGHT_ONLY = "on #1f4d2c"
#: One rendered terminal line: segments filling exactly the width it was rendered at.
Line = list[Segment]
#: Rendered lines: a list, or :class:`RawLines` (made row by row) for raw and huge texts.
Lines = list[Line] | RawLines

#: Above either size a text is shown raw, made row by row, with a notice: rendering it as
#: Markdown up front took seconds (a 9 MB response 23 s and ~1 GB), and the first paint of
#: any pair must stay under a second. 2-4k-word answers (15-30k characters) stay rendered.
LARGE_CHARS = 60_000
LARGE_LINES = 2_000

ROLE_STYLES = {"user": "bold cyan", "assistant": "bold magenta", "system": "bold yellow"}


class FaithfulMarkdown(Markdown):
    """Markdown that does not hide what was written.

    CommonMark joins a paragraph's lines into one (a "soft break"), so a haiku became prose
    and email headers ran together: every line break of the text is kept (a hard break).
    Rich drops raw HTML (``<br>`` vanished from the sentence explaining it, a ``<div>`` block
    from a frontend answer): inline HTML is shown as text, an HTML block as a code block. An
    autolink (``<ana@example.com>``) keeps its brackets instead of growing a ``(mailto:…)``.
    """

    def __init__(self, markup: str, **kwargs) -> None:
        super().__init__(markup, **kwargs)
        for token in self.parsed:
            if token.type == "html_block":
                token.type, token.tag, token.info = "code_block", "code", "html"
            for child in token.children or ():
                if child.type == "softbreak":
                    child.type, child.tag = "hardbreak", "br"
                elif child.type == "html_inline":
                    child.type = "text"
                elif child.markup == "autolink" and child.type in ("link_open", "link_close"):
                    # <ana@example.com> stays as written, not "ana@… (mailto:ana@…)".
                    child.content = "<" if child.type == "link_open" else ">"
                    child.type, child.tag = "text", ""


def markdown(text: str) -> RenderableType:
    """Untrusted Markdown, made inert; links are shown as text, never as terminal hyperlinks."""
    return FaithfulMarkdown(inert(text), code_theme=CODE_THEME, hyperlinks=False)


def is_large(text: str) -> bool:
    """Too big to render as Markdown before first paint (see ``LARGE_CHARS``)."""
    return len(text) > LARGE_CHARS or text.count("\n") > LARGE_LINES


def plain(text: str, style: str = "") -> Text:
    """Untrusted plain text (no markup interpretation), made inert."""
    return Text(inert(text), style=style)


def _warning() -> Text:
    return Text(
        "⚠ invisible or control characters, shown as markers (<U+…>, ␛)",
        style="bold black on yellow",
    )


def warning_line(text: str) -> RenderableType | None:
    return _warning() if has_controls(text) else None


def large_notice(text: str) -> Text:
    size = len(text.encode("utf-8", "surrogatepass"))
    shown = f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 2**10:.0f} kB"
    lines = text.count("\n") + 1
    return Text(
        f"⚠ {shown}, {lines:,} line{'' if lines == 1 else 's'}: too long to render as Markdown"
        " here, shown as raw text",
        style="bold black on yellow",
    )


def raw_lines(text: str, width: int) -> RawLines:
    """``text`` exactly as written (see :mod:`rankterm.tui.raw_lines`), with a notice when it
    is shown raw because of its size, and the control-character warning when it applies
    (known from the fold's own pass over the text: a second pass cost 20-40 ms on 9 MB)."""
    lines = RawLines(text, width)
    header: list[RenderableType] = []
    if is_large(text):
        header.append(large_notice(text))
    if lines.marked:
        header.append(_warning())
    if header:
        lines.set_header(to_lines(Group(*header), width))
    return lines


#: Above this size a response not rendered ahead (the first pair, a pair gone back to) is
#: first shown by its head -- the blocks that fill the pane and as much again -- and rendered
#: whole in a worker right after: Markdown for two 3,000-word answers took most of the
#: first paint. Below it the whole response costs no more than a head would.
HEAD_CHARS = 6_000


def head_lines(text: str, width: int, rows: int) -> Lines | None:
    """The first rows of ``response_lines(text, width)``: the response cut before the first
    top-level Markdown block that starts past ``rows`` rows' worth of text (never inside a
    code block or list), rendered. None when that would be the whole response."""
    safe = inert(text)
    budget = rows * width * 3 // 2
    if len(safe) <= budget:
        return None
    cut_line = safe.count("\n", 0, budget) + 1
    body = FaithfulMarkdown(safe, code_theme=CODE_THEME, hyperlinks=False)
    tokens = body.parsed
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting >= 0 and token.map and token.map[0] >= cut_line:
            body.parsed = tokens[:index]
            return to_lines(with_warning(text, body), width)
    return None


def response_lines(text: str, width: int, raw: bool = False) -> Lines:
    """One response pane: rendered Markdown, or raw when asked for or when huge."""
    if raw or is_large(text):
        return raw_lines(text, width)
    return to_lines(with_warning(text, markdown(text)), width)


def with_warning(text: str, body: RenderableType) -> RenderableType:
    warning = warning_line(text)
    return body if warning is None else Group(warning, body)


def _turn_label(number: int, message: Message) -> str:
    return f"{inert(message.role).upper()} · turn {number}"


def _turns(turns: list[Message], first: int, *, last: bool = True) -> RenderableType:
    """Turns from number ``first``, a blank line between them (and after them unless they
    are the ``last`` of the conversation)."""
    parts: list[RenderableType] = []
    for number, message in enumerate(turns, start=first):
        role = inert(message.role)
        parts.append(Text(_turn_label(number, message), style=ROLE_STYLES.get(role, "bold")))
        parts.append(with_warning(message.content, markdown(message.content)))
        parts.append(Text(""))
    if last and parts:
        parts.pop()
    return Group(*parts)


def conversation(pair: Pair) -> RenderableType:
    """The prompt, or every turn of a multi-turn conversation, with role labels."""
    turns = pair.conversation
    if len(turns) == 1 and turns[0].role == "user":
        return with_warning(turns[0].content, markdown(turns[0].content))
    return _turns(turns, 1)


def _answered_turn(turns: list[Message]) -> int:
    """Index of the turn the responses answer: the last user turn (else the last turn)."""
    for index in range(len(turns) - 1, -1, -1):
        if turns[index].role == "user":
            return index
    return max(len(turns) - 1, 0)


def conversation_lines(pair: Pair, width: int, raw: bool = False) -> tuple[Lines, int]:
    """The context pane's lines, and the row to open it at: the start of the last user turn,
    with the earlier turns above it (the first rows of a long conversation are its system
    prompt, and at 80x24 that was all the pane showed)."""
    turns = pair.conversation
    single = len(turns) == 1 and turns[0].role == "user"
    whole = "\n\n".join(message.content for message in turns)
    if raw or is_large(whole):
        if single:
            return raw_lines(turns[0].content, width), 0
        blocks = [f"{_turn_label(n, m)}\n{m.content}\n" for n, m in enumerate(turns, start=1)]
        lines = raw_lines("\n".join(blocks), width)
        answered = _answered_turn(turns)
        before = sum(block.count("\n") + 1 for block in blocks[:answered])
        return lines, lines.row_of_line(before)
    if single:
        return to_lines(conversation(pair), width), 0
    answered = _answered_turn(turns)
    head = to_lines(_turns(turns[:answered], 1, last=False), width) if answered else []
    tail = to_lines(_turns(turns[answered:], answered + 1), width)
    return [*head, *tail], len(head)


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
        isolate(
            [
                segment if segment.style is not None else Segment(segment.text, _NULL_STYLE)
                for segment in Segment.simplify(line)
            ]
        )
        for line in lines
    ]


def count_words(text: str, chunk: int = 1 << 20) -> int:
    """``len(text.split())`` without a list of every word of a 9 MB text at once."""
    if len(text) <= chunk:
        return len(text.split())
    words, start = 0, 0
    while start < len(text):
        end = min(start + chunk, len(text))
        while end < len(text) and not text[end].isspace():
            end += 1  # never cut a word in two
        words += len(text[start:end].split())
        start = end
    return words


class RenderCache:
    """A small thread-safe LRU of rendered lines, keyed by what determines the rendering."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[Hashable, Lines] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def peek(self, key: Hashable) -> Lines | None:
        """What is cached under ``key``, without rendering it or counting a hit."""
        with self._lock:
            return self._items.get(key)

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
            lambda: (count_words(pair.response_a), count_words(pair.response_b)),
        )

    def word_counts_now(self, pair: Pair) -> tuple[int, int] | None:
        """The word counts if they are cheap to have now (counted already, or texts of
        ordinary size); None for a huge text not counted yet (seconds for 9 MB)."""
        found = self.cache.peek(("words", pair.id))
        if found is not None:
            return found  # type: ignore[return-value]
        if is_large(pair.response_a) or is_large(pair.response_b):
            return None
        return self.word_counts(pair)

    def response_heads(
        self, pair: Pair, swapped: bool, width: int, raw: frozenset[str], rows: int
    ) -> tuple[tuple[Lines, Lines], bool]:
        """Left and right pane lines for a first paint: each side whole when rendered
        already or cheap, else its head (see ``head_lines``). The flag says whether a side
        is a head, to be replaced by :meth:`responses` from a worker."""
        texts = (
            ("left", pair.response_b if swapped else pair.response_a, "b" if swapped else "a"),
            ("right", pair.response_a if swapped else pair.response_b, "a" if swapped else "b"),
        )
        out: list[Lines] = []
        partial = False
        for side, text, which in texts:
            side_raw = side in raw
            key = ("md", pair.id, which, width, side_raw)
            found = self.cache.peek(key)
            head = None
            if found is None and not side_raw and len(text) > HEAD_CHARS and not is_large(text):
                head = head_lines(text, width, rows)
            if head is not None:
                out.append(head)
                partial = True
            else:
                out.append(
                    self.cache.get_or_render(
                        key, lambda t=text, r=side_raw: response_lines(t, width, r)
                    )
                )
        return (out[0], out[1]), partial

    def context(self, pair: Pair, width: int) -> Lines:
        return self.context_view(pair, width)[0]

    def context_view(self, pair: Pair, width: int, raw: bool = False) -> tuple[Lines, int]:
        """The context pane's lines and the row to open it at (the turn being answered)."""
        return self.cache.get_or_render(
            ("ctx", pair.id, width, raw), lambda: conversation_lines(pair, width, raw)
        )

    def responses(
        self,
        pair: Pair,
        swapped: bool,
        width: int,
        diff: bool = False,
        raw: frozenset[str] = frozenset(),
    ) -> tuple[Lines, Lines]:
        """Left and right pane lines; ``raw`` names the sides ("left", "right") shown raw."""
        left_text = pair.response_b if swapped else pair.response_a
        right_text = pair.response_a if swapped else pair.response_b
        if diff and (is_large(left_text) or is_large(right_text)):
            # A word diff of a huge text is quadratic: show both raw, and say why.
            key = ("nodiff", pair.id, swapped, width)

            def make_nodiff() -> tuple[Lines, Lines]:
                notice = Text("⚠ too long for a word diff: both shown raw", style="bold")
                head = to_lines(notice, width)
                return tuple(  # type: ignore[return-value]
                    RawLines(
                        text,
                        width,
                        header=[*head, *(to_lines(w, width) if (w := warning_line(text)) else [])],
                    )
                    for text in (left_text, right_text)
                )

            return self.cache.get_or_render(key, make_nodiff)  # type: ignore[return-value]
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
        left_raw, right_raw = "left" in raw, "right" in raw
        left = self.cache.get_or_render(
            ("md", pair.id, "a" if not swapped else "b", width, left_raw),
            lambda: response_lines(left_text, width, left_raw),
        )
        right = self.cache.get_or_render(
            ("md", pair.id, "b" if not swapped else "a", width, right_raw),
            lambda: response_lines(right_text, width, right_raw),
        )
        return left, right
