"""External formats: one module per format, each with a reader and/or a writer, and a registry.

Use :class:`ImportReader` (or :func:`iter_pairs`) to read any supported file with its format
detected from the first record, and :func:`get_format` for a named format's writer. See each
module's docstring for how its fields map to a :class:`~rankterm.core.model.Pair` and which label
details travel in it.
"""

from __future__ import annotations

from rankterm.formats.base import Imported, ReadOptions, RecordError, SourceLabel, Writer
from rankterm.formats.io import InputError, InputFile, open_input
from rankterm.formats.registry import (
    FORMATS,
    Format,
    ImportReader,
    detect_record,
    get_format,
    iter_pairs,
)

__all__ = [
    "FORMATS",
    "Format",
    "ImportReader",
    "Imported",
    "InputError",
    "InputFile",
    "ReadOptions",
    "RecordError",
    "SourceLabel",
    "Writer",
    "detect_record",
    "get_format",
    "iter_pairs",
    "open_input",
]
