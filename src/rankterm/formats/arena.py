"""Chatbot Arena battles (``lmsys/chatbot_arena_conversations`` shape).

``{model_a, model_b, winner, conversation_a, conversation_b, question_id, judge, turn, ...}``
with winner ``model_a`` | ``model_b`` | ``tie`` | ``tie (bothbad)``. The two conversations share
the user turns; the shared prefix is the context and the two final assistant turns the
responses. Multi-turn battles whose conversations diverge before the last turn are skipped with
that reason: a rankterm pair compares one final response. A and B keep the source's positions
(the Arena already randomised them); the winner is the prior label (A/B with strength 2, tie,
both_bad). Other fields go to ``metadata``. Id: the record's ``id``, else ``arena-<sha1>``.

Export writes the same shape: ``judge`` is the label's annotators joined with ``,``, ``winner``
says ties and both_bad, and a ``rankterm`` block carries strength, rationale, tags and provenance.
"""

from __future__ import annotations

from typing import Any

from rankterm.core.model import Choice, Message, Pair
from rankterm.formats.base import (
    META_KEY,
    Imported,
    JsonlWriter,
    RecordError,
    as_messages,
    build_pair,
    content_id,
    context_fields,
    label_meta,
    messages_json,
    meta_of,
    pair_extras,
    restore_label,
    split_branches,
)
from rankterm.labels import Label

NAME = "arena"
DESCRIPTION = "Chatbot Arena battles (model_a/b, winner, conversation_a/b)"

WINNERS = {
    "model_a": Choice.A,
    "model_b": Choice.B,
    "tie": Choice.TIE,
    "tie (bothbad)": Choice.BOTH_BAD,
}
_WINNER_OF = {choice: name for name, choice in WINNERS.items()}
_KNOWN = {"id", "model_a", "model_b", "winner", "conversation_a", "conversation_b", META_KEY}


def detect(record: dict[str, Any]) -> bool:
    return "winner" in record and "conversation_a" in record and "conversation_b" in record


def convert(record: dict[str, Any], line: int, options: object = None) -> Imported:
    winner = record.get("winner")
    if winner not in WINNERS:
        raise RecordError(f"winner: {winner!r} is not one of {', '.join(WINNERS)}")
    conv_a = as_messages(record.get("conversation_a"), "conversation_a")
    conv_b = as_messages(record.get("conversation_b"), "conversation_b")
    context, response_a, response_b = split_branches(
        conv_a, conv_b, ("conversation_a", "conversation_b")
    )
    meta = meta_of(record)
    extras = pair_extras(meta, record.get("id"))
    pair_id = extras.pop("id", None) or content_id("arena", context, response_a, response_b)
    # A record rankterm exported carries the pair's own metadata in its block; the top-level
    # judge/turn/question_id were derived from it, so only the block is restored.
    metadata = (
        extras.pop("metadata", {}) if meta else {k: v for k, v in record.items() if k not in _KNOWN}
    )
    fields: dict[str, Any] = {
        "id": pair_id,
        **context_fields(context),
        "response_a": response_a,
        "response_b": response_b,
        **extras,
    }
    for key in ("model_a", "model_b"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise RecordError(f"{key}: expected a string, got {type(value).__name__}")
        if value is not None:
            fields[key] = value
    if metadata:
        fields["metadata"] = metadata
    return Imported(build_pair(fields), restore_label(meta, WINNERS[winner]), line)


class Writer(JsonlWriter):
    def records(self, pair: Pair, label: Label) -> list[dict[str, Any]]:
        context = pair.conversation
        record: dict[str, Any] = {
            "id": pair.id,
            "model_a": pair.model_a,
            "model_b": pair.model_b,
            "winner": _WINNER_OF[label.choice],
            "judge": ",".join(label.annotators),
            "conversation_a": messages_json(
                [*context, Message(role="assistant", content=pair.response_a)]
            ),
            "conversation_b": messages_json(
                [*context, Message(role="assistant", content=pair.response_b)]
            ),
            "turn": sum(1 for m in context if m.role == "user"),
        }
        if "question_id" in pair.metadata:
            # Always a string (the Arena's are hex): one column type for Arrow-based readers.
            record["question_id"] = str(pair.metadata["question_id"])
        record[META_KEY] = label_meta(pair, label)
        return [record]
