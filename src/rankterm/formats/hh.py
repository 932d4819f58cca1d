"""Anthropic HH-RLHF: ``{"chosen": transcript, "rejected": transcript}``.

A transcript is ``"\\n\\nHuman: ...\\n\\nAssistant: ..."`` turns. The two transcripts share every
turn but the last assistant one; that shared prefix becomes the pair's context (a prompt for one
Human turn, messages otherwise) and the two final turns its responses. The chosen one is placed
as A or B by a stable hash of the id (``hh-<sha1>`` of the content), and is the prior label.

Export writes the same two transcripts plus ``id`` and a ``rankterm`` metadata block (label
provenance, rationale, tags, annotators, models), which HH loaders ignore. Ties and both_bad
cannot be said; contexts with roles other than user/assistant are skipped.
"""

from __future__ import annotations

import re
from typing import Any

from rankterm.core.model import Message, Pair
from rankterm.formats.base import (
    META_KEY,
    Imported,
    JsonlWriter,
    RecordError,
    SourceLabel,
    as_text,
    build_pair,
    chosen_rejected,
    content_id,
    context_fields,
    label_meta,
    meta_of,
    pair_extras,
    place,
    restore_label,
    split_branches,
)
from rankterm.labels import Label

NAME = "hh-rlhf"
DESCRIPTION = "Anthropic HH-RLHF Human:/Assistant: transcripts"

_TURN = re.compile(r"\n\n(Human|Assistant): ?")
_ROLES = {"Human": "user", "Assistant": "assistant"}
_SPEAKERS = {"user": "Human", "assistant": "Assistant"}


def detect(record: dict[str, Any]) -> bool:
    chosen = record.get("chosen")
    return (
        isinstance(chosen, str)
        and isinstance(record.get("rejected"), str)
        and "prompt" not in record
        and ("\n\nHuman:" in chosen or chosen.startswith("Human:"))
    )


def parse_transcript(text: str, what: str) -> list[Message]:
    """Turns of an HH transcript; text before the first marker is an error."""
    if text.startswith("Human:"):
        text = "\n\n" + text
    parts = _TURN.split(text)
    if parts[0].strip():
        raise RecordError(f"{what}: does not start with a '\\n\\nHuman:' turn")
    if len(parts) < 3:
        raise RecordError(f"{what}: no Human:/Assistant: turns")
    return [
        Message(role=_ROLES[speaker], content=content)
        for speaker, content in zip(parts[1::2], parts[2::2], strict=True)
    ]


def render_transcript(messages: list[Message]) -> str:
    return "".join(f"\n\n{_SPEAKERS[m.role]}: {m.content}" for m in messages)


def convert(record: dict[str, Any], line: int, options: object = None) -> Imported:
    chosen = parse_transcript(as_text(record.get("chosen"), "chosen"), "chosen")
    rejected = parse_transcript(as_text(record.get("rejected"), "rejected"), "rejected")
    context, good, bad = split_branches(chosen, rejected)
    meta = meta_of(record)
    extras = pair_extras(meta, record.get("id"))
    pair_id = extras.pop("id", None) or content_id("hh", context, good, bad)
    response_a, response_b, choice = place(pair_id, good, bad, meta.get("choice"))
    pair = build_pair(
        {
            "id": pair_id,
            **context_fields(context),
            "response_a": response_a,
            "response_b": response_b,
            **extras,
        }
    )
    label: SourceLabel = restore_label(meta, choice)
    return Imported(pair, label, line)


class Writer(JsonlWriter):
    def records(self, pair: Pair, label: Label) -> list[dict[str, Any]] | str:
        picked = chosen_rejected(pair, label)
        if isinstance(picked, str):
            return picked
        good, bad, _ = picked
        context = pair.conversation
        odd = sorted({m.role for m in context} - set(_SPEAKERS))
        if odd:
            return f"role {odd[0]!r} has no HH-RLHF equivalent"
        prefix = render_transcript(context)
        return [
            {
                "chosen": prefix + render_transcript([Message(role="assistant", content=good)]),
                "rejected": prefix + render_transcript([Message(role="assistant", content=bad)]),
                "id": pair.id,
                META_KEY: label_meta(pair, label),
            }
        ]
