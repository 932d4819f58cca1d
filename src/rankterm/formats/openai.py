"""OpenAI preference fine-tuning (DPO) JSONL.

``{"input": {"messages": [...]}, "preferred_output": [{"role": "assistant", "content": ...}],
"non_preferred_output": [...]}``. OpenAI validates these files strictly, so the writer adds
nothing else: pair ids, strength, rationale, tags and annotators do not travel in this format.
On import the id is ``openai-<sha1>`` of the content and the preferred response is placed as A
or B by a stable hash of it (it is the prior label). The request's other fields (``tools``,
``parallel_tool_calls``) are kept in ``metadata["openai"]`` and written back into ``input``;
turns keep their other keys (``name``, ``weight``, ``tool_calls``, ``tool_call_id``), tool-call
turns included. A tool call as the compared output is refused: a pair compares text. Ties and
both_bad cannot be said.
"""

from __future__ import annotations

from typing import Any

from rankterm.core.model import Pair
from rankterm.formats.base import (
    SOURCE_STRENGTH,
    Imported,
    JsonlWriter,
    RecordError,
    SourceLabel,
    as_messages,
    build_pair,
    chosen_rejected,
    content_id,
    context_fields,
    is_tool_call,
    messages_json,
    place,
    split_branches,
)
from rankterm.labels import Label

NAME = "openai"
#: The metadata key holding the request's other fields (``tools``, ``parallel_tool_calls``).
META = "openai"
DESCRIPTION = "OpenAI preference fine-tuning (DPO) JSONL"


def detect(record: dict[str, Any]) -> bool:
    return "preferred_output" in record and "non_preferred_output" in record


def convert(record: dict[str, Any], line: int, options: object = None) -> Imported:
    source = record.get("input")
    if not isinstance(source, dict):
        raise RecordError("input: expected an object with 'messages'")
    context = as_messages(source.get("messages"), "input.messages")
    good = as_messages(record.get("preferred_output"), "preferred_output")
    bad = as_messages(record.get("non_preferred_output"), "non_preferred_output")
    for name, output in (("preferred_output", good), ("non_preferred_output", bad)):
        if any(is_tool_call(m) for m in output):
            raise RecordError(
                f"{name}: a tool call; rankterm compares text responses, not tool calls"
            )
    # tools, parallel_tool_calls and any other request field travel in metadata["openai"].
    request = {k: v for k, v in source.items() if k != "messages"}
    shared, good_text, bad_text = split_branches(
        context + good, context + bad, ("preferred_output", "non_preferred_output")
    )
    pair_id = content_id("openai", shared, good_text, bad_text)
    response_a, response_b, choice = place(pair_id, good_text, bad_text)
    pair = build_pair(
        {
            "id": pair_id,
            **context_fields(shared),
            "response_a": response_a,
            "response_b": response_b,
            **({"metadata": {META: request}} if request else {}),
        }
    )
    return Imported(pair, SourceLabel(choice, SOURCE_STRENGTH), line)


class Writer(JsonlWriter):
    def records(self, pair: Pair, label: Label) -> list[dict[str, Any]] | str:
        picked = chosen_rejected(pair, label)
        if isinstance(picked, str):
            return picked
        good, bad, _ = picked
        request = pair.metadata.get(META)
        extra = request if isinstance(request, dict) else {}
        return [
            {
                "input": {"messages": messages_json(pair.conversation), **extra},
                "preferred_output": [{"role": "assistant", "content": good}],
                "non_preferred_output": [{"role": "assistant", "content": bad}],
            }
        ]
