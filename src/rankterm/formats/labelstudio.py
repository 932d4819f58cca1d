"""Label Studio task exports with ``Pairwise`` results, and tasks with annotations to import.

A task is ``{"id", "data": {...}, "annotations": [{"result": [...], "completed_by", ...}]}``.
The labeling config names the data fields, and the export does not carry it, so the data must
use rankterm's names: ``prompt`` (or ``messages``) and ``response_a``/``response_b``; the Label
Studio template's ``text1``/``text2`` are taken as the two responses too. The ``Pairwise`` tag's
result is ``{"type": "pairwise", "value": {"selected": "left" | "right"}}`` (its source,
``web/libs/editor/src/tags/control/Pairwise.js``); left is A. A cancelled annotation counts for
nothing. Annotations that disagree give no prior label (they are kept in ``metadata``): a label
picked from a disagreement would be silently wrong. ``Ranker`` results are not read yet.

Export writes a JSON array of tasks whose one annotation has the label of record as a
``Pairwise`` result (``from_name`` ``pairwise``, ``to_name`` ``response_a,response_b``), which
Label Studio's import takes with a config such as
``<Pairwise name="pairwise" toName="response_a,response_b"/>`` over two ``Text`` tags. Pairwise
cannot say tie or both bad.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import orjson

from rankterm.formats.base import (
    META_KEY,
    Imported,
    RecordError,
    SourceLabel,
    as_messages,
    as_text,
    build_pair,
    chosen_rejected,
    label_meta,
    meta_of,
    pair_extras,
    restore_label,
)
from rankterm.labels import Label
from rankterm.model import Choice, Pair

NAME = "label-studio"
DESCRIPTION = "Label Studio tasks with Pairwise annotations (JSON array)"

_SIDES = {"left": Choice.A, "right": Choice.B}
_RESPONSES = (("response_a", "response_b"), ("text1", "text2"))


def detect(record: dict[str, Any]) -> bool:
    return isinstance(record.get("data"), dict) and (
        "annotations" in record or "predictions" in record
    )


def _verdicts(record: dict[str, Any]) -> list[Choice]:
    annotations = record.get("annotations") or []
    if not isinstance(annotations, list):
        raise RecordError("annotations: expected a list")
    found = []
    for n, annotation in enumerate(annotations):
        if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
            continue
        for result in annotation.get("result") or []:
            if isinstance(result, dict) and result.get("type") == "pairwise":
                value = result.get("value") or {}
                selected = value.get("selected") if isinstance(value, dict) else None
                if selected not in _SIDES:
                    raise RecordError(
                        f"annotations[{n}]: pairwise selected is {selected!r}, not left/right"
                    )
                found.append(_SIDES[selected])
    return found


def convert(record: dict[str, Any], line: int, options: object = None) -> Imported:
    data = record["data"] if isinstance(record.get("data"), dict) else {}
    keys = next((k for k in _RESPONSES if k[0] in data and k[1] in data), None)
    if keys is None:
        raise RecordError(
            f"data has no response_a/response_b (or text1/text2); keys: {', '.join(data)[:200]}"
        )
    fields: dict[str, Any] = {
        "response_a": as_text(data[keys[0]], f"data.{keys[0]}"),
        "response_b": as_text(data[keys[1]], f"data.{keys[1]}"),
    }
    if "messages" in data:
        fields["messages"] = as_messages(data["messages"], "data.messages")
    else:
        fields["prompt"] = as_text(data.get("prompt"), "data.prompt")
    meta = meta_of(data)
    # A task rankterm wrote carries the pair's id and fields in its block; others get ls-<id>.
    extras = pair_extras(meta, data.get("id"))
    if "id" not in extras:
        if record.get("id") is None:
            raise RecordError("no task id (neither data.id nor id)")
        extras["id"] = f"ls-{record['id']}"
    for key in ("model_a", "model_b"):
        if isinstance(data.get(key), str):
            fields[key] = data[key]
    known = {*keys, "prompt", "messages", "id", "model_a", "model_b", META_KEY}
    metadata = {k: v for k, v in data.items() if k not in known}
    metadata.update(extras.pop("metadata", {}))
    fields.update(extras)
    verdicts = _verdicts(record)
    label: SourceLabel | None = None
    if verdicts and all(v is verdicts[0] for v in verdicts):
        label = restore_label(meta, verdicts[0])
    elif verdicts:
        metadata["label_studio_verdicts"] = [v.value for v in verdicts]
    if metadata:
        fields["metadata"] = metadata
    return Imported(build_pair(fields), label, line)


class Writer:
    """A JSON array of tasks, one annotation each."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.count = 0

    def write(self, pair: Pair, label: Label) -> int | str:
        picked = chosen_rejected(pair, label)
        if isinstance(picked, str):
            return picked
        data: dict[str, Any] = {"id": pair.id}
        if pair.messages:
            data["messages"] = [m.model_dump(mode="json") for m in pair.messages]
        else:
            data["prompt"] = pair.prompt
        data["response_a"], data["response_b"] = pair.response_a, pair.response_b
        for key in ("model_a", "model_b"):
            if getattr(pair, key) is not None:
                data[key] = getattr(pair, key)
        data[META_KEY] = label_meta(pair, label)
        result = {
            "from_name": "pairwise",
            "to_name": "response_a,response_b",
            "type": "pairwise",
            "value": {"selected": "left" if label.choice is Choice.A else "right"},
        }
        task = {"data": data, "annotations": [{"result": [result]}]}
        self.out.write((b"[\n" if self.count == 0 else b",\n") + orjson.dumps(task))
        self.count += 1
        return 1

    def close(self) -> None:
        self.out.write(b"[]\n" if self.count == 0 else b"\n]\n")
        self.out.flush()
