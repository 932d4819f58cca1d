"""TRL preference datasets: ``{prompt, chosen, rejected}``, as strings or as message lists.

Reading accepts every shape TRL documents: *standard* (strings), *conversational* (a prompt of
messages, chosen/rejected as one-assistant-turn lists), and *implicit prompt* (no prompt:
chosen and rejected are whole conversations and their common prefix is the prompt), plus the
mix UltraFeedback-binarized uses (a prompt string *and* whole conversations). The chosen
response is placed as A or B by a stable hash of the id (``trl-<sha1>`` unless the record has
an ``id``) and is the prior label. Other columns go to the pair's ``metadata``.

Export: ``trl`` writes the conversational form when the pairs have message turns and the string
form otherwise; ``trl-standard`` always writes strings (skipping pairs whose context is not a
single user turn) and ``trl-conversational`` always message lists. Strings are joined the way
TRL's examples are, the response beginning with a space (see ``base.token_boundary``). All add
``id`` and a ``rankterm`` metadata block (label provenance, strength, rationale, tags,
annotators, models), which TRL ignores. Ties and both_bad cannot be said.
"""

from __future__ import annotations

from typing import Any

from rankterm.core.model import Message, Pair
from rankterm.formats.base import (
    META_KEY,
    Imported,
    JsonlWriter,
    RecordError,
    as_messages,
    build_pair,
    chosen_rejected,
    content_id,
    context_fields,
    label_meta,
    messages_json,
    meta_of,
    pair_extras,
    place,
    restore_label,
    single_prompt,
    split_branches,
    token_boundary,
    undo_boundary,
)
from rankterm.labels import Label

NAME = "trl"
DESCRIPTION = "TRL preference (reads every TRL shape; chat pairs written conversational)"
STANDARD = NAME + "-standard"
STANDARD_DESCRIPTION = 'TRL preference, strings always (prompt + " " response)'
CONVERSATIONAL = "trl-conversational"
CONVERSATIONAL_DESCRIPTION = "TRL preference, written as message lists"

_KNOWN = {"prompt", "chosen", "rejected", "id", META_KEY}


def detect(record: dict[str, Any]) -> bool:
    return "chosen" in record and "rejected" in record


def _turns(value: Any, what: str, role: str) -> list[Message]:
    if isinstance(value, str):
        return [Message(role=role, content=value)]
    if value is None:
        raise RecordError(f"{what}: missing")
    return as_messages(value, what)


def extract_prompt(chosen: str, rejected: str) -> tuple[str, str, str]:
    """Split TRL's implicit string prompt as ``trl.data_utils.extract_prompt`` does.

    The prompt is the longest common character prefix; when the character before the first
    difference is a space, the space stays on the responses ("The sky is" + " blue."), which is
    what TRL trains on. Two cases TRL splits by accident are refused instead, since a wrong
    prompt is a wrong label: nothing in common (an empty prompt), and one text a prefix of the
    other (TRL's loop then cuts one character early, mid-word).
    """
    n = min(len(chosen), len(rejected))
    idx = next((i for i in range(n) if chosen[i] != rejected[i]), n)
    if idx == n:
        if chosen == rejected:
            raise RecordError("chosen and rejected are identical")
        raise RecordError(
            "implicit prompt: one of chosen/rejected is a prefix of the other, so the prompt "
            "cannot be told from the responses; give a 'prompt' column"
        )
    if idx > 0 and chosen[idx - 1] == " ":
        idx -= 1
    if idx == 0:
        raise RecordError(
            "implicit prompt: chosen and rejected have no common prefix to take as the prompt; "
            "give a 'prompt' column"
        )
    return chosen[:idx], chosen[idx:], rejected[idx:]


def convert_preference(
    record: dict[str, Any], line: int, prefix: str, ignore: frozenset[str] = frozenset()
) -> Imported:
    """Any TRL-shaped preference record (also used by UltraFeedback-binarized)."""
    prompt = record.get("prompt")
    chosen_raw, rejected_raw = record.get("chosen"), record.get("rejected")
    if isinstance(prompt, str) and isinstance(chosen_raw, str) and isinstance(rejected_raw, str):
        prompt, (chosen_raw, rejected_raw) = undo_boundary(
            meta_of(record), prompt, [chosen_raw, rejected_raw]
        )
        record = {**record, "prompt": prompt, "chosen": chosen_raw, "rejected": rejected_raw}
    if prompt is None and isinstance(chosen_raw, str) and isinstance(rejected_raw, str):
        prompt, good_text, bad_text = extract_prompt(chosen_raw, rejected_raw)
        record = {**record, "chosen": good_text, "rejected": bad_text}
    context = [] if prompt is None else _turns(prompt, "prompt", "user")
    chosen = _turns(record.get("chosen"), "chosen", "assistant")
    rejected = _turns(record.get("rejected"), "rejected", "assistant")
    n = len(context)
    if not (context and chosen[:n] == context and rejected[:n] == context):
        chosen, rejected = context + chosen, context + rejected
    shared, good, bad = split_branches(chosen, rejected)
    meta = meta_of(record)
    extras = pair_extras(meta, record.get("id"))
    pair_id = extras.pop("id", None) or content_id(prefix, shared, good, bad)
    response_a, response_b, choice = place(pair_id, good, bad, meta.get("choice"))
    other = {k: v for k, v in record.items() if k not in _KNOWN and k not in ignore}
    if other:
        extras["metadata"] = {**other, **extras.get("metadata", {})}
    pair = build_pair(
        {
            "id": pair_id,
            **context_fields(shared),
            "response_a": response_a,
            "response_b": response_b,
            **extras,
        }
    )
    return Imported(pair, restore_label(meta, choice), line)


def convert(record: dict[str, Any], line: int, options: object = None) -> Imported:
    return convert_preference(record, line, "trl")


class Writer(JsonlWriter):
    """Standard form: prompt, chosen and rejected as strings."""

    def records(self, pair: Pair, label: Label) -> list[dict[str, Any]] | str:
        picked = chosen_rejected(pair, label)
        if isinstance(picked, str):
            return picked
        prompt = single_prompt(pair)
        if prompt is None:
            return "multi-turn context (use trl-conversational)"
        good, bad, _ = picked
        core, good, moved, good_sep = token_boundary(prompt, good)
        _, bad, _, bad_sep = token_boundary(prompt, bad)
        meta = label_meta(pair, label)
        meta["prompt_tail"] = moved
        meta["separators"] = [good_sep, bad_sep]
        return [{"prompt": core, "chosen": good, "rejected": bad, "id": pair.id, META_KEY: meta}]


class ConversationalWriter(JsonlWriter):
    """Conversational form: the context as messages, each response as one assistant turn."""

    def records(self, pair: Pair, label: Label) -> list[dict[str, Any]] | str:
        picked = chosen_rejected(pair, label)
        if isinstance(picked, str):
            return picked
        good, bad, _ = picked
        return [
            {
                "prompt": messages_json(pair.conversation),
                "chosen": [{"role": "assistant", "content": good}],
                "rejected": [{"role": "assistant", "content": bad}],
                "id": pair.id,
                META_KEY: label_meta(pair, label),
            }
        ]
