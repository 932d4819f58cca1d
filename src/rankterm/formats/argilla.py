"""Argilla v2 records: import with their responses as prior judgments, export as suggestions.

Two shapes are read, JSON (array or lines) or Parquet, detected from the first record:

* **Nested**, what ``dataset.records.to_list()`` / ``to_json()`` and ``Record.to_dict()`` write:
  ``{"id", "fields": {...}, "metadata": {...}, "responses": {"<question>": [{"value",
  "user_id"}]}, "suggestions": {"<question>": {"value", "score", "agent"}}, "status",
  "_server_id"}``. This shape carries no response status, so every response counts (a
  ``status`` key on a response, where present, is honoured).
* **Flat**, what ``to_list(flatten=True)`` and the Hugging Face export (``to_datasets`` /
  ``to_hub``, served as Parquet) write: fields and metadata as top-level columns, and per
  question ``<q>.responses``, ``<q>.responses.users``, ``<q>.responses.status`` lists.
  Responses whose status is not ``submitted`` (drafts, discarded) count for nothing.

The dataset's settings are not in the export, so fields are found by name: the prompt is
``prompt``, ``instruction``, ``question``, ``input`` or ``text`` (a chat field, a list of
``{role, content}``, gives the conversation); the responses are the fields a ranking question
ranks (Argilla's ``Settings.for_ranking`` template: ``instruction``, ``response1``,
``response2``, question ``ranking``), else the fields named ``response_a``/``response_b``,
``response1``... ``responseN`` (also ``answer``/``completion``/``generation`` with a number or
letter). Questions give verdicts:

* a **ranking** question: a list of response field names, best first (or the server's
  ``[{"value", "rank"}]``; equal ranks are a tie);
* a **label** question whose label names a response field: that response is preferred to each
  other one (``tie`` and ``both_bad`` are read for two responses);
* **rating** questions whose name contains a response field's name (``rating_response1``):
  the higher-rated response is preferred, equal ratings are a tie.

More than two responses become every pair of them with the preferences the rankings imply
(:mod:`rankterm.formats.rankings`, said in the import summary). A pair gets a prior label only
when every response agrees. Suggestions are model predictions, not judgments, and are not read,
except those rankterm wrote (``agent`` ``rankterm``), so an export re-imports exactly.

Export writes the nested shape as a JSON array, one record per label::

    {"id": pair id, "fields": {"prompt" | "messages", "response_a", "response_b"},
     "metadata": {"rankterm": "<the metadata block as JSON text>"},
     "suggestions": {"preference": {"value": "response_a" | "response_b" | "tie" | "both_bad",
                                    "score": agreement, "agent": "rankterm"},
                     "strength": {"value": 1-3, "score": agreement, "agent": "rankterm"}},
     "responses": {}}

The label of record goes in as a suggestion because a response needs an Argilla user id on the
target server. A chat field holds ``role`` and ``content`` only: turn keys such as ``tool_calls``
or ``name`` are not written, so pairs with them do not re-import exactly (everything else
does). Log it with the SDK into a dataset with these settings::

    settings = rg.Settings(
        fields=[rg.TextField("prompt", required=False), rg.ChatField("messages", required=False),
                rg.TextField("response_a"), rg.TextField("response_b")],
        questions=[rg.LabelQuestion("preference", labels=["response_a", "response_b", "tie",
                                                          "both_bad"]),
                   rg.RatingQuestion("strength", values=[1, 2, 3], required=False)],
        allow_extra_metadata=True,
    )
    dataset.records.log([rg.Record.from_dict(r) for r in json.load(open("export.json"))])
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO

import orjson
from pydantic import ValidationError

from rankterm.core.errors import describe_validation_error
from rankterm.core.model import MAX_K, MIN_K, Choice, Pair, RankTask, format_order
from rankterm.formats.base import (
    META_KEY,
    SOURCE_STRENGTH,
    Imported,
    ReadOptions,
    RecordError,
    SourceLabel,
    as_messages,
    build_pair,
    label_meta,
    meta_of,
    pair_extras,
    restore_label,
)
from rankterm.formats.rankings import RANKING_NOTE, implied_pairs, ranks_of
from rankterm.labels import Label

NAME = "argilla"
DESCRIPTION = "Argilla v2 records (to_list/to_json, or the flat Hugging Face export)"

_PROMPTS = ("prompt", "instruction", "question", "input", "text")
_CHATS = ("messages", "chat", "conversation", "prompt")
_RESPONSE = re.compile(r"^(response|answer|completion|generation)[-_ ]?([0-9]+|[a-z])$")
_SKIPPED_STATUS = ("draft", "discarded")
#: The question names rankterm's export writes.
PREFERENCE, STRENGTH = "preference", "strength"
AGENT = "rankterm"


def detect(record: dict[str, Any]) -> bool:
    if isinstance(record.get("fields"), dict) and isinstance(
        record.get("responses", record.get("suggestions")), dict
    ):
        return True
    return "_server_id" in record or any(
        isinstance(k, str) and k.endswith((".responses", ".suggestion")) for k in record
    )


# -- reading ------------------------------------------------------------------------------------


def _normalise(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict, dict]:
    """``(fields, metadata, responses, suggestions)`` of either shape.

    ``responses`` maps a question to ``[(value, user, status)]``, ``suggestions`` a question to
    ``(value, agent)``; flat columns that are neither go to ``fields`` (metadata and fields are
    one namespace there).
    """
    responses: dict[str, list[tuple[Any, str, str | None]]] = {}
    suggestions: dict[str, tuple[Any, Any]] = {}
    if isinstance(record.get("fields"), dict):
        fields = record["fields"]
        metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
        raw = record.get("responses") or {}
        if not isinstance(raw, dict):
            raise RecordError("responses: expected an object of question -> list")
        for question, items in raw.items():
            if not isinstance(items, list):
                raise RecordError(f"responses.{question}: expected a list")
            for n, item in enumerate(items):
                if not isinstance(item, dict) or "value" not in item:
                    raise RecordError(f"responses.{question}[{n}]: expected {{value, user_id}}")
                status = item.get("status")
                responses.setdefault(question, []).append(
                    (item["value"], str(item.get("user_id")), status)
                )
        for question, item in (record.get("suggestions") or {}).items():
            if isinstance(item, dict):
                suggestions[question] = (item.get("value"), item.get("agent"))
        return fields, metadata, responses, suggestions
    fields = {}
    for key, value in record.items():
        if not isinstance(key, str) or key in ("id", "status", "_server_id", "score"):
            continue
        question, dot, rest = key.partition(".")
        if not dot:
            fields[key] = value
        elif rest == "responses" and value is not None:
            users = record.get(f"{question}.responses.users") or []
            status = record.get(f"{question}.responses.status") or []
            if not isinstance(value, list):
                raise RecordError(f"{key}: expected a list")
            responses[question] = [
                (v, str(users[i]) if i < len(users) else "", status[i] if i < len(status) else None)
                for i, v in enumerate(value)
            ]
        elif rest == "suggestion":
            suggestions[question] = (value, record.get(f"{question}.suggestion.agent"))
    return fields, {}, responses, suggestions


def _context(fields: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The pair's prompt or messages, and the field it came from."""
    for key in _CHATS:
        value = fields.get(key)
        if isinstance(value, list) and value:
            return {"messages": as_messages(value, f"fields.{key}")}, key
    for key in _PROMPTS:
        if isinstance(fields.get(key), str):
            return {"prompt": fields[key]}, key
    raise RecordError(
        f"no prompt field ({', '.join(_PROMPTS)}); fields: {', '.join(map(str, fields))[:200]}"
    )


def _ranking_value(value: Any) -> dict[str, int] | None:
    """Item -> rank for a ranking response (names best first, or ``[{value, rank}]``)."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ranks_of(value)
    if isinstance(value, list) and all(isinstance(v, dict) and "value" in v for v in value):
        if all(isinstance(v.get("rank"), int) for v in value):
            return {str(v["value"]): v["rank"] for v in value}
        return ranks_of([str(v["value"]) for v in value])
    return None


def _responses_of(fields: dict[str, Any], responses: dict) -> list[str]:
    """The response fields, in rank order of the first ranking when a ranking names them."""
    for items in responses.values():
        for value, _, _ in items:
            ranks = _ranking_value(value)
            if ranks and len(ranks) >= 2 and all(isinstance(fields.get(k), str) for k in ranks):
                named = [k for k in fields if k in ranks]
                return named
    if isinstance(fields.get("response_a"), str) and isinstance(fields.get("response_b"), str):
        return ["response_a", "response_b"]
    found = [(m.group(2), k) for k in fields if (m := _RESPONSE.match(str(k)))]
    found = [(s, k) for s, k in found if isinstance(fields[k], str)]
    found.sort(key=lambda sk: (len(sk[0]), sk[0]))
    return [k for _, k in found]


def _verdict_rankings(
    keys: list[str], responses: dict, suggestions: dict
) -> tuple[list[dict[str, int]], list[Choice]]:
    """Rank dicts from every counted response (and rankterm's own suggestion).

    Returns the rankings, and the whole-pair verdicts (both bad) that no ranking can express.
    """
    rankings: list[dict[str, int]] = []
    specials: list[Choice] = []
    ratings: dict[str, dict[str, float]] = {}
    if not any(
        status not in _SKIPPED_STATUS for items in responses.values() for *_, status in items
    ):
        own = suggestions.get(PREFERENCE)
        if own is not None and str(own[1] or "").startswith(AGENT):
            responses = {PREFERENCE: [(own[0], AGENT, "submitted")]}
    for question, items in responses.items():
        target = next((k for k in sorted(keys, key=len, reverse=True) if k in question), None)
        for value, user, status in items:
            if status in _SKIPPED_STATUS:
                continue
            ranks = _ranking_value(value)
            if ranks is not None and set(ranks) <= set(keys):
                rankings.append(ranks)
            elif isinstance(value, str) and value in keys:
                rankings.extend({value: 1, other: 2} for other in keys if other != value)
            elif isinstance(value, str) and value in ("tie", "both_bad") and len(keys) == 2:
                if value == "tie":
                    rankings.append({keys[0]: 1, keys[1]: 1})
                else:
                    specials.append(Choice.BOTH_BAD)
            elif isinstance(value, int | float) and not isinstance(value, bool) and target:
                ratings.setdefault(user, {})[target] = value
    for rated in ratings.values():
        if len(rated) >= 2:
            rankings.append({k: -v for k, v in rated.items()})  # type: ignore[misc]
    return rankings, specials


def convert(record: dict[str, Any], line: int, options: object = None) -> list[Imported]:
    fields, metadata, responses, suggestions = _normalise(record)
    # rankterm's block: JSON text in the metadata (a top-level column in the flat shape).
    meta = meta_of(metadata)
    block = metadata.get(META_KEY, fields.get(META_KEY))
    if not meta and isinstance(block, str):
        try:
            meta = orjson.loads(block)
        except orjson.JSONDecodeError:
            meta = {}
        meta = meta if isinstance(meta, dict) else {}
    context, prompt_key = _context(fields)
    keys = _responses_of(fields, responses)
    if len(keys) < 2:
        raise RecordError(
            "fewer than two response fields (response_a/response_b, response1..N, or the "
            f"fields a ranking names); fields: {', '.join(map(str, fields))[:200]}"
        )
    if record.get("id") is None and not meta.get("pair_id"):
        raise RecordError("no record id")
    rankings, specials = _verdict_rankings(keys, responses, suggestions)
    record_id = str(meta.get("pair_id") or record["id"])
    used = {*keys, prompt_key, "messages"}
    shared = {
        k: v
        for k, v in {**metadata, **fields}.items()
        if k not in used and k != META_KEY and v is not None
    }
    opts = options if isinstance(options, ReadOptions) else ReadOptions()
    if opts.as_rankings and MIN_K <= len(keys) <= MAX_K:
        return [_rank_task(record_id, context, fields, keys, rankings, shared, meta, line)]
    note = RANKING_NOTE if len(keys) > 2 and rankings else ""
    out = []
    # Two responses keep the dataset's own order and the record's id (a re-export keeps them).
    key = None if len(keys) == 2 else f"argilla-{record_id}"
    for implied in implied_pairs(keys, rankings, key):
        a, b = implied.a, implied.b
        verdicts = [*implied.verdicts, *specials]
        pair_fields: dict[str, Any] = {
            "id": record_id if len(keys) == 2 else f"{record_id}-{a}-{b}",
            **context,
            "response_a": fields[a],
            "response_b": fields[b],
        }
        metadata_out = dict(shared)
        if len(keys) > 2:
            metadata_out.update(argilla_record=record.get("id"), response_a=a, response_b=b)
        extras = pair_extras(meta)
        metadata_out.update(extras.pop("metadata", {}))
        extras.pop("id", None)
        pair_fields.update(extras)
        label = None
        if verdicts and all(v is verdicts[0] for v in verdicts):
            label = restore_label(meta, verdicts[0]) if meta else _plain(verdicts[0])
        elif verdicts:
            metadata_out["argilla_verdicts"] = [v.value for v in verdicts]
        if metadata_out:
            pair_fields["metadata"] = metadata_out
        out.append(Imported(build_pair(pair_fields), label, line, note))
    return out


def _rank_task(
    record_id: str,
    context: dict[str, Any],
    fields: dict[str, Any],
    keys: list[str],
    rankings: list[dict[str, int]],
    shared: dict[str, Any],
    meta: dict[str, Any],
    line: int,
) -> Imported:
    """``import --as-rankings``: the record as one K-way ranking task, in the fields' order.

    The order is the source's label when every ranking that places all the responses agrees
    (equal ranks tie); orders that disagree give none and are kept in the task's metadata, as
    disagreeing verdicts are for pairs.
    """
    orders = []
    for ranked in rankings:
        if set(keys) <= ranked.keys():
            tiers: dict[int, list[int]] = {}
            for i, k in enumerate(keys):
                tiers.setdefault(ranked[k], []).append(i)
            orders.append([tiers[r] for r in sorted(tiers)])
    metadata = dict(shared)
    extras = pair_extras(meta)
    metadata.update(extras.pop("metadata", {}))
    extras.pop("id", None)
    order = orders[0] if orders and all(o == orders[0] for o in orders) else None
    if orders and order is None:
        metadata["argilla_orders"] = [format_order(o) for o in orders]
    data: dict[str, Any] = {
        "id": record_id,
        **context,
        "responses": [fields[k] for k in keys],
        **extras,
    }
    if metadata:
        data["metadata"] = metadata
    try:
        task = RankTask.model_validate(data)
    except ValidationError as exc:
        raise RecordError(describe_validation_error(exc)) from None
    return Imported(task, None, line, order=order)


def _plain(choice: Choice) -> SourceLabel:
    return SourceLabel(choice, SOURCE_STRENGTH if choice in (Choice.A, Choice.B) else None)


# -- writing ------------------------------------------------------------------------------------

_PREFERENCE_VALUES = {
    Choice.A: "response_a",
    Choice.B: "response_b",
    Choice.TIE: "tie",
    Choice.BOTH_BAD: "both_bad",
}


class Writer:
    """A JSON array of nested Argilla records (see the module doc)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.count = 0

    def write(self, pair: Pair, label: Label) -> int | str:
        fields: dict[str, Any] = {}
        if pair.messages:
            fields["messages"] = [{"role": m.role, "content": m.content} for m in pair.messages]
        else:
            fields["prompt"] = pair.prompt
        fields["response_a"], fields["response_b"] = pair.response_a, pair.response_b
        score = round(label.agreement, 4)
        suggestions: dict[str, Any] = {
            PREFERENCE: {"value": _PREFERENCE_VALUES[label.choice], "score": score, "agent": AGENT}
        }
        if label.strength:
            suggestions[STRENGTH] = {"value": label.strength, "score": score, "agent": AGENT}
        record = {
            "id": pair.id,
            "fields": fields,
            "metadata": {META_KEY: orjson.dumps(label_meta(pair, label)).decode()},
            "suggestions": suggestions,
            "responses": {},
        }
        self.out.write((b"[\n" if self.count == 0 else b",\n") + orjson.dumps(record))
        self.count += 1
        return 1

    def close(self) -> None:
        self.out.write(b"[]\n" if self.count == 0 else b"\n]\n")
        self.out.flush()
