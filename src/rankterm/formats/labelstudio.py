"""Label Studio task exports with ``Pairwise`` or ``Ranker`` results, and tasks to import.

A task is ``{"id", "data": {...}, "annotations": [{"result": [...], "completed_by", ...}]}``.
The labeling config names the data fields, and the export does not carry it, so the data must
use rankterm's names: ``prompt`` (or ``messages``) and ``response_a``/``response_b``; the Label
Studio templates' ``text1``/``text2`` (Pairwise classification) and ``answer1``/``answer2``
(Human Preference collection for RLHF) are taken as the two responses too. The ``Pairwise``
tag's result is ``{"type": "pairwise", "value": {"selected": "left" | "right"}}`` (its source,
``web/libs/editor/src/tags/control/Pairwise.js``); left is A. A cancelled annotation counts for
nothing. Annotations that disagree give no prior label (they are kept in ``metadata``): a label
picked from a disagreement would be silently wrong.

``Ranker`` tasks (the "LLM Ranker" template: ``<List name="answers" value="$items"/>`` and
``<Ranker name="rank" toName="answers"/>``) hold a list of items ``{"id", "title", "body"}`` in
``data.items`` (or the one list of such objects in ``data``); the item's text is its ``body``
(or ``text``). A result is ``{"type": "ranker", "from_name": "rank", "value": {"ranker":
{"rank": [item ids, best first]}}}`` (label-studio-sdk's ``RankerValue``). The task becomes
every pair of its items, each labelled with the preference the rankings imply (see
:mod:`rankterm.formats.rankings`; the import summary says so for rankings of more than two
items). Bucketed results (``{"ranker": {"<bucket>": [...]}}`` with ``<Bucket>`` tags) sort items
into categories, not an order: they give no labels. Pair ids are ``ls-<task>-<item>-<item>``.

Export writes a JSON array of tasks whose one annotation has the label of record as a
``Pairwise`` result (``from_name`` ``pairwise``, ``to_name`` ``response_a,response_b``), which
Label Studio's import takes with a config such as
``<Pairwise name="pairwise" toName="response_a,response_b"/>`` over two ``Text`` tags (tested
against a real Label Studio in ``tests/formats/test_label_studio_live.py``). Pairwise cannot say
tie or both bad.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import orjson

from rankterm.core.model import Choice, Pair
from rankterm.formats.base import (
    META_KEY,
    SOURCE_STRENGTH,
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
from rankterm.formats.rankings import RANKING_NOTE, implied_pairs, ranks_of
from rankterm.labels import Label

NAME = "label-studio"
DESCRIPTION = "Label Studio tasks with Pairwise or Ranker annotations (JSON array)"

_SIDES = {"left": Choice.A, "right": Choice.B}
_RESPONSES = (("response_a", "response_b"), ("text1", "text2"), ("answer1", "answer2"))
#: Note for bucketed Ranker results (categories, not an order).
BUCKETS_NOTE = (
    "Label Studio Ranker results sorted into buckets are categories, not an order: "
    "no labels were taken from them"
)


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


def convert(record: dict[str, Any], line: int, options: object = None) -> Imported | list[Imported]:
    data = record["data"] if isinstance(record.get("data"), dict) else {}
    keys = next((k for k in _RESPONSES if k[0] in data and k[1] in data), None)
    if keys is None:
        items_key = _items_key(data)
        if items_key is not None:
            return _convert_ranker(record, data, items_key, line)
        raise RecordError(
            "data has no response_a/response_b (or text1/text2, answer1/answer2) and no list "
            f"of items to rank; keys: {', '.join(data)[:200]}"
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


def _items_key(data: dict[str, Any]) -> str | None:
    """The data key holding a Ranker's items: ``items``, else the one list of ``{"id"}``s."""
    if isinstance(data.get("items"), list):
        return "items"
    keys = [
        k
        for k, v in data.items()
        if isinstance(v, list) and v and all(isinstance(i, dict) and "id" in i for i in v)
    ]
    return keys[0] if len(keys) == 1 else None


def _items(data: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    """Item id -> item, in the task's order; a clear reason for a malformed list."""
    items: dict[str, dict[str, Any]] = {}
    for n, item in enumerate(data[key]):
        what = f"data.{key}[{n}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str | int):
            raise RecordError(f"{what}: expected an object with an id")
        item_id = str(item["id"])
        if item_id in items:
            raise RecordError(f"{what}: id {item_id!r} repeated")
        text = item.get("body", item.get("text"))
        if not isinstance(text, str):
            raise RecordError(f"{what}: no text (body or text)")
        items[item_id] = item
    if len(items) < 2:
        raise RecordError(f"data.{key}: {len(items)} item(s); a ranking needs two or more")
    return items


def _rankings(record: dict[str, Any], items: dict[str, Any]) -> tuple[list[dict[str, int]], bool]:
    """Item -> rank per annotation's Ranker result, and whether bucketed results were seen."""
    annotations = record.get("annotations") or []
    if not isinstance(annotations, list):
        raise RecordError("annotations: expected a list")
    rankings: list[dict[str, int]] = []
    bucketed = False
    for n, annotation in enumerate(annotations):
        if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
            continue
        for result in annotation.get("result") or []:
            if not isinstance(result, dict) or result.get("type") != "ranker":
                continue
            value = result.get("value") or {}
            lists = value.get("ranker") if isinstance(value, dict) else None
            if not isinstance(lists, dict):
                raise RecordError(f"annotations[{n}]: ranker result without a ranker object")
            name = result.get("from_name")
            if name not in lists and len(lists) == 1 and name is None:
                name = next(iter(lists))
            if name not in lists:
                bucketed = True
                continue
            order = lists[name]
            if not isinstance(order, list) or not all(isinstance(i, str) for i in order):
                raise RecordError(f"annotations[{n}]: ranker.{name} is not a list of item ids")
            unknown = [i for i in order if i not in items]
            if unknown:
                raise RecordError(
                    f"annotations[{n}]: ranker.{name} names items not in the task: "
                    f"{', '.join(unknown)[:200]}"
                )
            rankings.append(ranks_of(order))
    return rankings, bucketed


def _convert_ranker(
    record: dict[str, Any], data: dict[str, Any], key: str, line: int
) -> list[Imported]:
    """Every pair of a Ranker task's items, labelled where its rankings agree."""
    if record.get("id") is None:
        raise RecordError("no task id")
    task = str(record["id"])
    items = _items(data, key)
    context: dict[str, Any] = {}
    if "messages" in data:
        context["messages"] = as_messages(data["messages"], "data.messages")
    else:
        context["prompt"] = as_text(data.get("prompt"), "data.prompt")
    rankings, bucketed = _rankings(record, items)
    shared = {k: v for k, v in data.items() if k not in (key, "prompt", "messages")}
    shared["label_studio_task"] = record["id"]
    note = BUCKETS_NOTE if bucketed and not rankings else ""
    if len(items) > 2 and rankings:
        note = RANKING_NOTE
    out = []
    for implied in implied_pairs(list(items), rankings, f"ls-{task}"):
        item_a, item_b = items[implied.a], items[implied.b]
        metadata = dict(shared, item_a=implied.a, item_b=implied.b, ranked_items=len(items))
        for side, item in (("a", item_a), ("b", item_b)):
            if isinstance(item.get("title"), str):
                metadata[f"title_{side}"] = item["title"]
        label = None
        if implied.agreed is not None:
            strength = SOURCE_STRENGTH if implied.agreed in (Choice.A, Choice.B) else None
            label = SourceLabel(implied.agreed, strength)
        elif implied.verdicts:
            metadata["label_studio_verdicts"] = [v.value for v in implied.verdicts]
        fields = {
            "id": f"ls-{task}-{implied.a}-{implied.b}",
            **context,
            "response_a": item_a.get("body", item_a.get("text")),
            "response_b": item_b.get("body", item_b.get("text")),
            "metadata": metadata,
        }
        out.append(Imported(build_pair(fields), label, line, note))
    return out


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
