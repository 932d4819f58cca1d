"""Read a few fields of every pair without building a :class:`~rankterm.core.model.Pair` each.

Analytics walk the whole pairs file for a handful of fields (model names, gold, a metadata
key). :meth:`PairIndex.iter_pairs` reads each record with its own ``pread`` and validates it
against the model again, which at a million pairs costs more than the statistics. Every
record in the index has already been validated (when it was indexed, or from the sidecar),
so here the file is read sequentially and each record only parsed with orjson.

Values are the model's: a raw value is used only where the model keeps it unchanged (a string
model name, a metadata dict, a list of string tags); anything else (a numeric model name the
model turns into a string, a ``gold`` shorthand, a key the model interprets) falls back to
:meth:`PairIndex.get` for that one record. A record whose id is not the indexed one (a
duplicate ``id`` key, a file changed while open) also goes through ``get``, which skips it
exactly as ``iter_pairs`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from rankterm.core.model import Gold, Pair, RankTask, is_ranking_record
from rankterm.storage.index import BadPairError, PairIndex

_NAME_TYPES = (str, type(None))

MISSING = "(none)"
"""The slice label of a pair without the property."""
JUDGMENT_TAGS = "judgment.tags"
"""The slice key of the tags annotators applied (a property of judgments, not of a pair)."""


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _labels(value: Any) -> list[str]:
    if value is None or value == "" or value == []:
        return [MISSING]
    if isinstance(value, list | tuple | set):
        return sorted({_label(v) for v in value if v is not None}) or [MISSING]
    return [_label(value)]


def pair_labels(pair: Pair, key: str) -> list[str]:
    """The slice labels of one pair under ``key`` (a slice key: see
    :mod:`rankterm.quality.slices`); :meth:`RawPair.labels` is the lean path to the same."""
    if key.startswith("metadata."):
        value: Any = pair.metadata
        for part in key.removeprefix("metadata.").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return _labels(value)
    if key in ("tags", "tag"):
        return _labels(pair.tags)
    if key == "model":
        return _labels([m for m in (pair.model_a, pair.model_b) if m])
    if key in type(pair).model_fields:
        return _labels(getattr(pair, key))
    return _labels((pair.model_extra or {}).get(key))


class RawPair:
    """One valid record as parsed JSON, with the model at hand for anything not plain."""

    __slots__ = ("_index", "_pair", "data", "id", "position")

    def __init__(
        self, index: PairIndex, position: int, pair_id: str, data: dict, pair: Pair | None = None
    ) -> None:
        self._index = index
        #: Set when the record had to go through the model: then every field comes from it.
        self._pair = pair
        self.position = position
        self.id = pair_id
        self.data = data

    @property
    def pair(self) -> Pair:
        """The validated model of this record (read again, only when asked)."""
        if self._pair is None:
            self._pair = self._index.get(self.position)
        return self._pair

    def models(self) -> tuple[str | None, str | None]:
        """``(model_a, model_b)`` as the model gives them."""
        if self._pair is not None:
            return self._pair.model_a, self._pair.model_b
        get = self.data.get
        a, b = get("model_a"), get("model_b")
        if type(a) in _NAME_TYPES and type(b) in _NAME_TYPES:
            return a, b
        return self.pair.model_a, self.pair.model_b

    def gold(self) -> Gold | None:
        """The gold verdict, or None (the model parses it: shorthand, strength, extras)."""
        if self._pair is None and self.data.get("gold") is None:
            return None
        return self.pair.gold

    def labels(self, key: str) -> list[str]:
        """:func:`pair_labels` of this record."""
        data = self.data
        if key == JUDGMENT_TAGS:
            raise ValueError(f"{key} is not a property of a pair")
        if self._pair is not None:
            return pair_labels(self._pair, key)
        if key.startswith("metadata."):
            value: Any = data.get("metadata", {})
            if type(value) is dict:
                for part in key.removeprefix("metadata.").split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                return _labels(value)
        elif key in ("tags", "tag"):
            tags = data.get("tags", [])
            if type(tags) is list and all(type(t) is str for t in tags):
                return _labels(tags)
        elif key == "model":
            a, b = self.models()
            return _labels([m for m in (a, b) if m])
        return pair_labels(self.pair, key)

    def metadata(self) -> dict[str, Any]:
        """The metadata dict (the model keeps it as given)."""
        if self._pair is not None:
            return self._pair.metadata
        value = self.data.get("metadata", {})
        return value if type(value) is dict else self.pair.metadata


#: Records are read in blocks of at least this many bytes (one read per block, not per pair).
BLOCK = 4 << 20


def scan_pairs(index: PairIndex, *, rankings: list[str] | None = None) -> Iterator[RawPair]:
    """Every valid pair of the index in file order, as :meth:`PairIndex.iter_pairs` has them.

    K-way ranking tasks are left out, as ``iter_pairs`` leaves them out: every reader here
    wants a pair's two models, its gold verdict or its slice labels, which a ranking task does
    not have in that shape. Their ids are appended to ``rankings`` when given, so that a
    caller can say what it did with them instead of counting them as unjudged pairs.

    The file is read in blocks with plain reads rather than memory-mapped: a mapping would
    count the whole file in the process's resident set.
    """
    n = len(index)
    if not n:
        return
    offsets, lengths, ids = index.offsets, index.lengths, index.ids
    bad = index.bad_positions()
    loads = orjson.loads
    block = b""
    block_start = 0
    with open(index.path, "rb", buffering=0) as handle:
        for i in range(n):
            if i in bad:
                continue
            start = offsets[i]
            end = start + lengths[i]
            if start < block_start or end > block_start + len(block):
                handle.seek(start)
                block = handle.read(max(BLOCK, end - start))
                block_start = start
            pair_id = ids[i]
            try:
                data = loads(block[start - block_start : end - block_start])
            except orjson.JSONDecodeError:
                data = None
            if type(data) is not dict or data.get("id") != pair_id or "priority" in data:
                # Not what was indexed (or a priority the index compares): the model decides.
                try:
                    pair = index.get(i)
                except BadPairError:
                    continue
                if isinstance(pair, RankTask):
                    if rankings is not None:
                        rankings.append(pair.id)
                    continue
                yield RawPair(index, i, pair.id, {}, pair)
                continue
            if is_ranking_record(data):
                if rankings is not None:
                    rankings.append(pair_id)
                continue
            yield RawPair(index, i, pair_id, data)
