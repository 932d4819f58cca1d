"""rankterm's own JSONL: one :class:`~rankterm.core.model.Pair` per line, unknown fields kept.

On export each line is the pair plus a ``label`` object (choice, strength, label_source,
annotators, votes, agreement, rationale, label_tags, flagged, ideal_responses). On import a
``label`` object with a ``choice``, when present, is taken off the pair (so annotators never see
it) and becomes the prior judgment; any other ``label`` field is an unknown field, kept. Ties
and both_bad are representable.
"""

from __future__ import annotations

from typing import Any

from rankterm.core.model import Choice, Pair
from rankterm.formats.base import Imported, JsonlWriter, RecordError, build_pair, restore_label
from rankterm.labels import Label

NAME = "rankterm"
DESCRIPTION = "rankterm pairs JSONL (export adds a label object)"


def detect(record: dict[str, Any]) -> bool:
    return "response_a" in record and "response_b" in record


def convert(record: dict[str, Any], line: int, options: object = None) -> Imported:
    """A pair. A file of this format may mix K-way ranking tasks in: the registry sends each
    record to this or to :func:`rankterm.formats.ranked_read.convert` (``mixed_convert``)."""
    label = None
    raw_label = record.get("label")
    if isinstance(raw_label, dict) and "choice" in raw_label:
        del record["label"]
        try:
            choice = Choice(raw_label.get("choice"))
        except ValueError:
            raise RecordError("label.choice: not one of A, B, tie, both_bad") from None
        label = restore_label(raw_label, choice)
    return Imported(build_pair(record), label, line)


class Writer(JsonlWriter):
    """Pairs with their label of record attached."""

    def records(self, pair: Pair, label: Label) -> list[dict[str, Any]]:
        record = pair.to_json_dict()
        block: dict[str, Any] = {
            "choice": label.choice.value,
            "strength": label.strength,
            "label_source": label.source,
            "annotators": list(label.annotators),
            "votes": label.votes,
            "agreement": round(label.agreement, 4),
        }
        if label.rationale:
            block["rationale"] = label.rationale
        if label.tags:
            block["label_tags"] = list(label.tags)
        if label.flagged:
            block["flagged"] = True
        if label.ideal_responses:
            block["ideal_responses"] = list(label.ideal_responses)
        record["label"] = block
        return [record]
