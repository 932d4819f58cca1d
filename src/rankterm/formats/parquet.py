"""Parquet in and out, the container Hugging Face serves most preference datasets in.

Parquet is a container, not a record shape: each row is read as the JSON record it would be in
JSON Lines, and the format is detected from the first row (or named with ``--from``), so every
reader works on it (UltraFeedback binarized, Arena conversations, TRL, ...). Rows are read one
row group at a time in batches, so a multi-GB file never has to fit in memory; an issue names the
row (``file:row N``). Export writes the records a JSON Lines writer would, in row groups of
:data:`ROW_GROUP` rows, with the schema of the first group (the metadata block is stable across
rows for that reason). pyarrow is optional: ``uv sync --extra interop`` (or ``pip install
'rankterm[interop]'``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from rankterm.core.errors import LoadIssue, UsageError
from rankterm.core.model import Pair
from rankterm.formats.base import JsonlWriter
from rankterm.labels import Label

MAGIC = b"PAR1"
#: Rows per written row group, and per batch read.
ROW_GROUP = 2000

NEEDS_PYARROW = (
    "Parquet needs pyarrow, which is not installed: install the interop extra "
    "(uv sync --extra interop, or pip install 'rankterm[interop]')"
)


def pyarrow_parquet() -> Any:
    """``pyarrow.parquet``, or a UsageError naming the extra to install."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(NEEDS_PYARROW) from None
    return pq


def iter_rows(path: str | Path, name: str) -> Iterator[tuple[int, dict[str, Any]] | LoadIssue]:
    """``(row number, record)`` per row, one batch of a row group in memory at a time."""
    pq = pyarrow_parquet()
    import pyarrow as pa

    try:
        source = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise UsageError(f"{name}: not a readable Parquet file ({str(exc)[:200]})") from None
    row = 0
    try:
        for batch in source.iter_batches(batch_size=ROW_GROUP):
            for record in batch.to_pylist():
                row += 1
                yield row, record
    except (pa.ArrowException, OSError) as exc:
        yield LoadIssue(name, row + 1, f"cannot read further ({str(exc)[:200]})")


class ParquetWriter:
    """Writes a JSON Lines writer's records as Parquet rows (see the module doc)."""

    def __init__(self, make: Callable[[BinaryIO], Any], out: BinaryIO) -> None:
        import io

        inner = make(io.BytesIO())
        if not isinstance(inner, JsonlWriter):
            raise UsageError("this format has no Parquet form; write it to a .json or .jsonl file")
        self.pq = pyarrow_parquet()
        self.inner = inner
        self.out = out
        self.rows: list[dict[str, Any]] = []
        self.writer: Any = None
        self.schema: Any = None

    def write(self, pair: Pair, label: Label) -> int | str:
        records = self.inner.records(pair, label)
        if isinstance(records, str):
            return records
        self.rows.extend(records)
        if len(self.rows) >= ROW_GROUP:
            self._flush()
        return len(records)

    def _flush(self) -> None:
        import pyarrow as pa

        if not self.rows:
            return
        try:
            table = pa.Table.from_pylist(self.rows, schema=self.schema)
        except (pa.ArrowException, TypeError) as exc:
            raise UsageError(
                f"Parquet: a record does not fit the columns of the first ones ({str(exc)[:200]});"
                " write JSON Lines instead"
            ) from None
        if self.writer is None:
            self.schema = table.schema
            self.writer = self.pq.ParquetWriter(self.out, self.schema)
        self.writer.write_table(table)
        self.rows.clear()

    def close(self) -> None:
        self._flush()
        if self.writer is not None:
            self.writer.close()
        self.out.flush()
