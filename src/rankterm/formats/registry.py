"""The format registry: names, capabilities, detection from the first record, and reading.

Every reader is a generator of :class:`Imported` or :class:`LoadIssue` over a stream of lines, so
an import runs in constant memory whatever the file size, and a bad record is a reported line,
never an exception that loses the good ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from rankterm.core.errors import LoadIssue, UsageError
from rankterm.core.model import Pair, is_ranking_record
from rankterm.core.sanitize import inert
from rankterm.formats import (
    arena,
    argilla,
    csvmap,
    hh,
    kto,
    labelstudio,
    native,
    openai,
    parquet,
    ranked_read,
    sft,
    trl,
    ultrafeedback,
)
from rankterm.formats.base import (
    Converted,
    Imported,
    ReadOptions,
    RecordError,
    Writer,
    flatten,
)
from rankterm.formats.io import (
    InputFile,
    is_lfs_pointer,
    iter_json,
    iter_lines,
    open_input,
    parse_json_object,
    peek,
)

Convert = Callable[[dict[str, Any], int, ReadOptions], Converted]
LineReader = Callable[
    [InputFile, ReadOptions, Iterator[tuple[int, bytes] | LoadIssue]],
    Iterator[Imported | LoadIssue],
]

#: How many non-blank lines detection looks at for a first valid JSON record.
DETECT_LINES = 20


@dataclass(frozen=True)
class Format:
    """One external format: what it is called, how to spot it, read it and write it."""

    name: str
    description: str
    detect: Callable[[dict[str, Any]], bool] | None = None
    convert: Convert | None = None
    line_reader: LineReader | None = None
    writer: Callable[[BinaryIO], Writer] | None = None
    #: Whether the format can say "tie" / "both bad" (sets the export's default filters).
    ties: bool = False
    both_bad: bool = False
    #: The conversational variant written instead when the exported pairs have message turns
    #: (``trl`` -> ``trl-conversational``); the ``-standard`` name always writes strings.
    chat_form: str | None = None

    @property
    def readable(self) -> bool:
        return self.convert is not None or self.line_reader is not None

    @property
    def writable(self) -> bool:
        return self.writer is not None

    def read(
        self,
        source: InputFile,
        options: ReadOptions | None = None,
        lines: Iterator[tuple[int, bytes] | LoadIssue] | None = None,
    ) -> Iterator[Imported | LoadIssue]:
        """Pairs (with source labels) and issues from an open input."""
        opts = options or ReadOptions()
        lines = lines if lines is not None else iter_lines(source)
        if self.line_reader is not None:
            return self.line_reader(source, opts, lines)
        if self.convert is None:
            raise UsageError(f"{self.name} is an export-only format")
        return _read_json(self.convert, source, opts, lines)


def _read_json(
    convert: Convert,
    source: InputFile,
    options: ReadOptions,
    lines: Iterator[tuple[int, bytes] | LoadIssue],
) -> Iterator[Imported | LoadIssue]:
    return _convert_all(convert, source, options, iter_json(source, lines))


def _convert_all(
    convert: Convert,
    source: InputFile,
    options: ReadOptions,
    records: Iterator[tuple[int, dict[str, Any]] | LoadIssue],
) -> Iterator[Imported | LoadIssue]:
    for item in records:
        if isinstance(item, LoadIssue):
            yield item
            continue
        line_no, record = item
        try:
            result = list(flatten(convert(record, line_no, options)))
        except RecordError as exc:
            yield LoadIssue(source.name, line_no, str(exc))
            continue
        except RecursionError:
            yield LoadIssue(source.name, line_no, "record is nested too deeply")
            continue
        except Exception as exc:
            reason = f"cannot convert record ({type(exc).__name__}: {str(exc)[:200]})"
            yield LoadIssue(source.name, line_no, reason)
            continue
        yield from result


def mixed_convert(record: dict[str, Any], line: int, options: object = None) -> Imported:
    """Native files and ranking files may each hold both kinds of record (a pairs file with
    K-way tasks mixed in, or one that begins with a task): each record goes to its reader."""
    if is_ranking_record(record):
        return ranked_read.convert(record, line, options)
    return native.convert(record, line, options)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            native.NAME,
            native.DESCRIPTION,
            native.detect,
            mixed_convert,
            writer=native.Writer,
            ties=True,
            both_bad=True,
        ),
        Format(hh.NAME, hh.DESCRIPTION, hh.detect, hh.convert, writer=hh.Writer),
        Format(
            trl.NAME,
            trl.DESCRIPTION,
            trl.detect,
            trl.convert,
            writer=trl.Writer,
            chat_form=trl.CONVERSATIONAL,
        ),
        Format(trl.STANDARD, trl.STANDARD_DESCRIPTION, convert=trl.convert, writer=trl.Writer),
        Format(
            trl.CONVERSATIONAL,
            trl.CONVERSATIONAL_DESCRIPTION,
            convert=trl.convert,
            writer=trl.ConversationalWriter,
        ),
        Format(
            ultrafeedback.NAME,
            ultrafeedback.DESCRIPTION,
            ultrafeedback.detect,
            ultrafeedback.convert,
        ),
        Format(
            ultrafeedback.BINARIZED,
            ultrafeedback.BINARIZED_DESCRIPTION,
            ultrafeedback.detect_binarized,
            ultrafeedback.convert_binarized,
        ),
        Format(
            arena.NAME,
            arena.DESCRIPTION,
            arena.detect,
            arena.convert,
            writer=arena.Writer,
            ties=True,
            both_bad=True,
        ),
        Format(
            openai.NAME, openai.DESCRIPTION, openai.detect, openai.convert, writer=openai.Writer
        ),
        Format(
            labelstudio.NAME,
            labelstudio.DESCRIPTION,
            labelstudio.detect,
            labelstudio.convert,
            writer=labelstudio.Writer,
        ),
        Format(
            argilla.NAME,
            argilla.DESCRIPTION,
            argilla.detect,
            argilla.convert,
            writer=argilla.Writer,
            ties=True,
            both_bad=True,
        ),
        Format(ranked_read.NAME, ranked_read.DESCRIPTION, ranked_read.detect, mixed_convert),
        Format(kto.NAME, kto.DESCRIPTION, writer=kto.Writer, chat_form=kto.CONVERSATIONAL),
        Format(kto.STANDARD, kto.STANDARD_DESCRIPTION, writer=kto.Writer),
        Format(kto.CONVERSATIONAL, kto.CONVERSATIONAL_DESCRIPTION, writer=kto.ConversationalWriter),
        Format(sft.NAME, sft.DESCRIPTION, writer=sft.Writer, ties=True, both_bad=True),
        Format(
            csvmap.NAME,
            csvmap.DESCRIPTION,
            line_reader=csvmap.read,
            writer=csvmap.Writer,
            ties=True,
            both_bad=True,
        ),
    )
}

#: Detection order: the most specific shapes first (binarized UF before plain TRL, HH before TRL,
#: Argilla's flat records, which carry ``_server_id`` and ``<question>.responses`` columns,
#: before rankterm's own).
_DETECTION = [
    FORMATS[n]
    for n in (
        argilla.NAME,  # its flat shape has a pair's columns too, beside Argilla's own
        ranked_read.NAME,  # a responses list (K-way), not response_a/response_b
        native.NAME,
        labelstudio.NAME,
        openai.NAME,
        arena.NAME,
        ultrafeedback.NAME,
        ultrafeedback.BINARIZED,
        hh.NAME,
        trl.NAME,
    )
]


#: Other names people type for a format.
ALIASES = {"hh": hh.NAME, "hh_rlhf": hh.NAME, "anthropic": hh.NAME}


def get_format(name: str) -> Format:
    """The format called ``name`` (or an alias); a UsageError listing the names otherwise."""
    try:
        return FORMATS[ALIASES.get(name, name)]
    except KeyError:
        raise UsageError(f"unknown format {name!r}; formats: {', '.join(FORMATS)}") from None


def choose_form(fmt: Format, pairs: str | Path) -> tuple[Format, str]:
    """The form to write: a format's conversational variant when the pairs are chat data.

    String-form TRL/KTO data suits completion-style text; for pairs with message turns it would
    drop every multi-turn pair and train without the chat template, so ``--to trl`` writes
    ``trl-conversational`` then (and says so). Returns the format and the note to print ("" when
    nothing was switched).
    """
    if fmt.chat_form is None or not pairs_have_messages(pairs):
        return fmt, ""
    chat = FORMATS[fmt.chat_form]
    note = (
        f"the pairs have message turns: wrote the conversational form ({chat.name}); "
        f"--to {fmt.name}-standard writes strings"
    )
    return chat, note


def pairs_have_messages(pairs: str | Path) -> bool:
    """Whether any record of a pairs file has a non-empty ``messages`` list.

    Only lines mentioning ``"messages"`` are parsed, so the scan costs a read of the file.
    """
    with open(pairs, "rb") as handle:
        for raw in handle:
            if b'"messages"' not in raw:
                continue
            try:
                record = parse_json_object(raw)
            except ValueError:
                continue
            if isinstance(record.get("messages"), list) and record["messages"]:
                return True
    return False


def detect_record(record: dict[str, Any]) -> Format | None:
    """The format a JSON record looks like, or None."""
    for fmt in _DETECTION:
        if fmt.detect is not None and fmt.detect(record):
            return fmt
    return None


def _sniff(source: InputFile) -> tuple[Format, list[tuple[int, bytes] | LoadIssue], Iterator]:
    """Detect from the first record; returns the lines consumed so reading can replay them."""
    lines = iter_lines(source)
    seen: list[tuple[int, bytes] | LoadIssue] = []
    looked = 0
    for item in lines:
        seen.append(item)
        if isinstance(item, LoadIssue):
            continue
        line_no, raw = item
        text = raw.strip()
        if not text:
            continue
        looked += 1
        if not text.startswith(b"{"):
            if text.startswith(b"["):
                raise UsageError(
                    f"{source.name}:{line_no}: a JSON array where a record (an object) was expected"
                )
            if looked == 1 and (b"," in text or b"\t" in text):
                return FORMATS[csvmap.NAME], seen, lines
        try:
            record = parse_json_object(text)
        except ValueError:
            if looked >= DETECT_LINES:
                break
            continue
        fmt = detect_record(record)
        if fmt is None:
            if "completion" in record and "label" in record:
                raise UsageError(
                    f"{source.name}:{line_no}: looks like KTO (unpaired) data, which cannot be "
                    "imported as pairs"
                )
            keys = inert(", ".join(repr(k) for k in list(record)[:12])) or "(none)"
            names = ", ".join(n for n, f in FORMATS.items() if f.readable)
            raise UsageError(
                f"{source.name}:{line_no}: cannot tell the format from the first record "
                f"(keys: {keys}); pass --from ({names})"
            )
        return fmt, seen, lines
    unread = next((item for item in seen if isinstance(item, LoadIssue)), None)
    if looked == 0 and unread is not None:  # nothing readable at all: say why (truncated gzip)
        raise UsageError(str(unread))
    raise UsageError(
        f"{source.name}: no JSON record in the first {looked} non-blank lines to detect "
        "the format from; pass --from"
    )


class ImportReader:
    """An open source file with its (detected or given) format; iterate for records."""

    def __init__(
        self,
        path: str | Path,
        name: str | None = None,
        options: ReadOptions | None = None,
        stdin: BinaryIO | None = None,
    ) -> None:
        fmt = get_format(name) if name else None
        if fmt is not None and not fmt.readable:
            raise UsageError(f"{fmt.name} is an export-only format; it cannot be imported")
        self.options = options or ReadOptions()
        self.source = open_input(path, stdin)
        self._rows: Iterator | None = None
        try:
            if peek(self.source, 4) == parquet.MAGIC:
                fmt = self._open_parquet(path, fmt)
            elif is_lfs_pointer(self.source):
                reason = (
                    "a Git LFS pointer, not the data: fetch the file first (git lfs pull, "
                    "or download it from the hub)"
                )
                if fmt is None:
                    raise UsageError(f"{self.source.name} is {reason}")
                # A named format reports bad input as issues, never by raising.
                self._rows = iter([LoadIssue(self.source.name, 1, f"the file is {reason}")])
            elif fmt is None:
                fmt, seen, rest = _sniff(self.source)
                self._lines: Iterator = chain(seen, rest)
            else:
                self._lines = iter_lines(self.source)
        except BaseException:
            self.source.close()
            raise
        self.format: Format = fmt

    def _open_parquet(self, path: str | Path, fmt: Format | None) -> Format:
        """Rows of a Parquet file; the format detected from the first row unless named."""
        name = self.source.name
        try:
            if str(path) == "-" or self.source.compressed:
                raise UsageError(f"{name}: Parquet is read from a file (not stdin or gzip)")
            if fmt is not None and fmt.convert is None:
                raise UsageError(f"{name}: {fmt.name} cannot be read from Parquet")
            rows = parquet.iter_rows(path, name)
            first = next(rows, None)
        except UsageError as exc:
            if fmt is None:
                raise
            # A named format reports bad input as issues, never by raising.
            self._rows = iter([LoadIssue(name, 1, str(exc).removeprefix(f"{name}: "))])
            return fmt
        if fmt is None:
            if first is None or isinstance(first, LoadIssue):
                raise UsageError(f"{name}: no Parquet row to detect the format from; pass --from")
            fmt = detect_record(first[1])
            if fmt is None:
                keys = inert(", ".join(repr(k) for k in list(first[1])[:12])) or "(none)"
                raise UsageError(
                    f"{name}: cannot tell the format from the first row (columns: {keys}); "
                    "pass --from"
                )
        if fmt.convert is None:
            raise UsageError(f"{name}: {fmt.name} cannot be read from Parquet")
        self._rows = chain([first] if first is not None else [], rows)
        return fmt

    def __iter__(self) -> Iterator[Imported | LoadIssue]:
        if self._rows is not None:
            if self.format.convert is None:
                return (item for item in self._rows if isinstance(item, LoadIssue))
            return _convert_all(self.format.convert, self.source, self.options, self._rows)
        return self.format.read(self.source, self.options, self._lines)

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> ImportReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_pairs(
    path: str | Path, name: str | None = None, options: ReadOptions | None = None
) -> Iterator[Pair | LoadIssue]:
    """Pairs (source labels dropped) and issues from any readable format, detected if unnamed."""
    with ImportReader(path, name, options) as reader:
        for item in reader:
            yield item if isinstance(item, LoadIssue) else item.pair
