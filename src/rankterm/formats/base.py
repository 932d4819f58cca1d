"""What every format module shares: the imported record, read options, writers, id and side rules.

Two rules here make imports reproducible:

* **Ids.** A record without an id of its own gets ``<prefix>-<sha1>``, the hash taken over the
  conversation and the *set* of the two responses, so re-importing the same file (or the same
  comparison from another file of the same format) gives the same id.
* **Sides.** When a source says which response was chosen, the chosen one is placed as A or B by a
  stable hash of the pair id, not always as A. Annotators then see the preferred response on
  either side equally often, and their agreement with the original label can be measured without
  position bias leaking in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

import orjson

from rankterm.core.model import Choice, Message, Order, Pair, RankTask
from rankterm.labels import Label

#: Strength given to a source label that has none (binary chosen/rejected): "better", the middle.
SOURCE_STRENGTH = 2

#: Key under which writers put rankterm's own metadata in formats that tolerate extra keys.
META_KEY = "rankterm"


@dataclass(frozen=True, slots=True)
class SourceLabel:
    """A verdict the source file already carried (chosen/rejected, a winner), in A/B terms."""

    choice: Choice
    strength: int | None = None
    rationale: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Imported:
    """One pair read from a source file, with the source's own label when it had one."""

    #: A pair, or a K-way :class:`~rankterm.core.model.RankTask` (ranking readers).
    pair: Pair | RankTask
    label: SourceLabel | None = None
    line: int = 0
    #: Something the import summary must say about how this record was read (counted per text):
    #: e.g. that a ranking of more than two items became the pairwise preferences it implies.
    note: str = ""
    #: A ranking task's order as the source gave it (its label: a prior ranking on import).
    order: Order | None = None


@dataclass(frozen=True)
class ReadOptions:
    """Per-format reading choices (documented on the import command)."""

    #: UltraFeedback raw: "best-worst" (one pair per prompt) or "all" (every pair over min_gap).
    uf_pairing: str = "best-worst"
    #: UltraFeedback raw: the score compared, "fine-grained" (mean of the four 1-5 ratings) or
    #: "overall" (the critique's 1-10 overall_score).
    uf_score: str = "fine-grained"
    #: UltraFeedback raw: minimum score gap for a pair; the gap must also be > 0.
    uf_min_gap: float = 0.0
    #: CSV: target field -> column name.
    column_map: dict[str, str] = field(default_factory=dict)
    #: Argilla: a ranking of 3 to 9 responses as one K-way ranking task, not its implied pairs.
    as_rankings: bool = False


class RecordError(ValueError):
    """A record that cannot become a pair; the message is the one-line reason."""


# -- conversations ------------------------------------------------------------------------------


def as_text(value: Any, what: str) -> str:
    """A string field, or a clear reason why it is not one."""
    if isinstance(value, str):
        return value
    if value is None:
        raise RecordError(f"{what}: missing")
    raise RecordError(f"{what}: expected a string, got {type(value).__name__}")


def as_messages(value: Any, what: str) -> list[Message]:
    """A list of ``{role, content}`` turns (content may be a list of text parts).

    Other keys of a turn (``name``, ``weight``, ``tool_calls``, ``tool_call_id``) are kept on the
    message, so a re-export writes them back. A tool-call turn has no text: its null content is
    kept as "" (the writers that know tool calls write it back as null).
    """
    if not isinstance(value, list):
        raise RecordError(f"{what}: expected a list of messages, got {type(value).__name__}")
    messages = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise RecordError(f"{what}[{i}]: expected an object, got {type(item).__name__}")
        role = item.get("role")
        if not isinstance(role, str) or not role:
            raise RecordError(f"{what}[{i}].role: expected a string")
        content = item.get("content")
        if content is None and item.get("tool_calls"):
            text = ""
        else:
            text = content_text(content, f"{what}[{i}]")
        extra = {k: v for k, v in item.items() if k not in ("role", "content")}
        messages.append(Message(role=role, content=text, **extra))
    return messages


def is_tool_call(message: Message) -> bool:
    """A turn that calls tools (its text, if any, is not the whole of it)."""
    return bool((message.model_extra or {}).get("tool_calls"))


def content_text(content: Any, what: str) -> str:
    """Message content as text; OpenAI-style lists of ``{"type": "text", "text": ...}`` joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                raise RecordError(f"{what}.content: only text parts are supported")
        return "".join(parts)
    raise RecordError(f"{what}.content: expected a string, got {type(content).__name__}")


def common_prefix(a: list[Message], b: list[Message]) -> int:
    """How many leading turns two conversations share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x.role != y.role or x.content != y.content:
            break
        n += 1
    return n


def split_branches(
    chosen: list[Message], rejected: list[Message], what: tuple[str, str] = ("chosen", "rejected")
) -> tuple[list[Message], str, str]:
    """Shared context plus the two final assistant turns of two branches of one conversation."""
    k = common_prefix(chosen, rejected)
    if k == len(chosen) and k == len(rejected):
        raise RecordError(f"{what[0]} and {what[1]} are identical")
    tails = []
    for name, conv in zip(what, (chosen, rejected), strict=True):
        tail = conv[k:]
        if len(tail) != 1:
            if not tail:
                raise RecordError(f"{name} has no turn after the shared context")
            raise RecordError(
                f"{what[0]} and {what[1]} diverge at turn {k + 1} of {len(conv)}, before "
                "the final turn (a multi-turn comparison); rankterm compares one final response"
            )
        if tail[0].role != "assistant":
            raise RecordError(f"{name}: final turn is {tail[0].role!r}, expected 'assistant'")
        tails.append(tail[0].content)
    return chosen[:k], tails[0], tails[1]


def context_fields(context: list[Message]) -> dict[str, Any]:
    """``prompt`` for a lone user turn, ``messages`` otherwise (the Pair's two shapes)."""
    if len(context) == 1 and context[0].role == "user" and not context[0].model_extra:
        return {"prompt": context[0].content}
    if not context:
        raise RecordError("no prompt: the conversation before the responses is empty")
    return {"messages": context}


def single_prompt(pair: Pair) -> str | None:
    """The prompt as one string when the context is one user turn, else None."""
    conv = pair.conversation
    if len(conv) == 1 and conv[0].role == "user":
        return conv[0].content
    return None


def messages_json(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """Turns as JSON, extra keys included; a tool-call turn without text has null content."""
    out = []
    for m in messages:
        data = m.model_dump(mode="json")
        if not m.content and is_tool_call(m):
            data["content"] = None
        out.append(data)
    return out


# -- ids and sides ------------------------------------------------------------------------------


def content_id(prefix: str, context: list[Message], first: str, second: str) -> str:
    """A stable id from the content; the two responses count as a set (order-free)."""
    body = orjson.dumps([[[m.role, m.content] for m in context], sorted([first, second])])
    return f"{prefix}-{hashlib.sha1(body).hexdigest()[:16]}"


def chosen_is_a(pair_id: str) -> bool:
    """Where the chosen response goes: a stable coin per pair, independent of screen swapping."""
    return not hashlib.sha256(b"rankterm-side\x00" + pair_id.encode()).digest()[0] & 1


def place(pair_id: str, chosen: str, rejected: str, side: Any = None) -> tuple[str, str, Choice]:
    """``(response_a, response_b, choice)``; ``side`` ("A"/"B") restores an exported placement."""
    a_chosen = side == "A" if side in ("A", "B") else chosen_is_a(pair_id)
    if a_chosen:
        return chosen, rejected, Choice.A
    return rejected, chosen, Choice.B


def build_pair(record: dict[str, Any]) -> Pair:
    """Validate a pair dict, turning pydantic's error into a one-line reason."""
    from pydantic import ValidationError

    from rankterm.core.errors import describe_validation_error

    try:
        return Pair.model_validate(record)
    except ValidationError as exc:
        raise RecordError(describe_validation_error(exc)) from None


def meta_of(record: dict[str, Any]) -> dict[str, Any]:
    """rankterm's own metadata block of an exported record ({} when absent or malformed)."""
    meta = record.get(META_KEY)
    return meta if isinstance(meta, dict) else {}


def restore_label(meta: dict[str, Any], choice: Choice) -> SourceLabel:
    """A source label, with strength/rationale/tags restored from rankterm's metadata block."""
    strength = meta.get("strength")
    if choice in (Choice.A, Choice.B):
        strength = strength if isinstance(strength, int) and 1 <= strength <= 3 else SOURCE_STRENGTH
    else:
        strength = None
    rationale = meta.get("rationale")
    tags = json_list(meta.get("label_tags"))
    return SourceLabel(
        choice=choice,
        strength=strength,
        rationale=rationale if isinstance(rationale, str) else "",
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
    )


def json_list(value: Any) -> list[str]:
    """Strings of a list, or of a list written as JSON text (the metadata block's form)."""
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return []
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def pair_extras(meta: dict[str, Any], record_id: Any = None) -> dict[str, Any]:
    """Fields a writer stashed in the metadata block that make the pair identical on re-import."""
    extras: dict[str, Any] = {}
    pair_id = record_id if record_id is not None else meta.get("pair_id")
    if isinstance(pair_id, str | int) and str(pair_id):
        extras["id"] = str(pair_id)
    for key in ("model_a", "model_b"):
        if isinstance(meta.get(key), str) and meta[key]:
            extras[key] = meta[key]
    metadata = meta.get("metadata")
    if isinstance(metadata, str):  # written as JSON text (see label_meta)
        try:
            metadata = orjson.loads(metadata)
        except orjson.JSONDecodeError:
            metadata = None
    if isinstance(metadata, dict):
        extras["metadata"] = metadata
    tags = json_list(meta.get("tags"))
    if tags:
        extras["tags"] = tags
    return extras


def label_meta(pair: Pair, label: Label) -> dict[str, Any]:
    """The metadata block writers attach: the label's provenance and the pair's own fields.

    Every value has one type whatever the row, so Arrow-based readers (``datasets.load_dataset
    ("json")``, pandas, polars) infer one schema for the file: they stop at a column whose type
    changes between rows. The pair's own ``metadata`` is free-form (a ``question_id`` that is an
    int in one record and a hex string in the next), so it travels as JSON text; rankterm's
    readers parse it back, and older exports with an object there are still read.
    """
    # The same keys in every row, never null: a key first seen in a later chunk, or a null
    # column (or an empty list) that later holds text, fails the cast to Arrow's schema of the
    # first chunk. 0 is "no strength" (ties), "" "no model"; tags are JSON text like metadata.
    return {
        "pair_id": pair.id,
        "choice": label.choice.value,
        "strength": label.strength or 0,
        "label_source": label.source,
        "annotators": list(label.annotators),
        "votes": label.votes,
        "agreement": round(label.agreement, 4),
        "rationale": label.rationale,
        "label_tags": orjson.dumps(list(label.tags)).decode(),
        "flagged": bool(label.flagged),
        "model_a": pair.model_a or "",
        "model_b": pair.model_b or "",
        "metadata": orjson.dumps(pair.metadata).decode(),
        "tags": orjson.dumps(list(pair.tags)).decode(),
    }


def chosen_rejected(pair: Pair, label: Label) -> tuple[str, str, str] | str:
    """``(chosen, rejected, side)`` for a preference label, or the reason there is none."""
    if label.choice is Choice.A:
        return pair.response_a, pair.response_b, "A"
    if label.choice is Choice.B:
        return pair.response_b, pair.response_a, "B"
    return f"{label.choice.value} has no chosen response"


def token_boundary(prompt: str, response: str) -> tuple[str, str, str, str]:
    """Prompt and response for string-form training data whose trainer concatenates them.

    TRL tokenizes the prompt alone and prompt + response, and needs the first to be a token
    prefix of the second. Joined with nothing ("...do you" + "I don't") the last prompt word and
    the first response word fuse into other tokens. The boundary chosen is the one TRL's own
    examples use ("The sky is" + " blue."): the prompt ends without whitespace and the response
    begins with a space. Every common pre-tokenizer (GPT-2 byte-level, Llama 3 / cl100k, and
    SentencePiece's metaspace) starts a new pre-token at a space after a non-space, and BPE only
    merges inside a pre-token, so the prompt's tokens stay a prefix. A separator ending the
    prompt would not: "\n\n" alone is one token but "\n\nI" splits differently, and Llama 3
    glues punctuation to the newlines after it ("?\n\n").

    So the prompt's trailing whitespace moves onto the response (the joined text is unchanged),
    and a single space is added in front when the response does not already begin with one.
    Returns ``(prompt, response, moved, added)``; ``moved`` and ``added`` go into the metadata
    block, so a re-import restores the exact texts.
    """
    core = prompt.rstrip()
    moved = prompt[len(core) :]
    rest = moved + response
    added = "" if rest.startswith(" ") else " "
    return core, added + rest, moved, added


def undo_boundary(meta: dict[str, Any], prompt: str, responses: list[str]) -> tuple[str, list[str]]:
    """Reverse :func:`token_boundary` for a record rankterm wrote (recorded in its block).

    ``prompt_tail`` is the whitespace moved off the prompt, ``separators`` the space added in
    front of each response (in the record's order); anything that does not fit is left as is.
    """
    moved, added = meta.get("prompt_tail"), meta.get("separators")
    if not isinstance(moved, str) or not isinstance(added, list) or len(added) != len(responses):
        return prompt, responses
    cuts = [a + moved if isinstance(a, str) else None for a in added]
    if not all(c is not None and r.startswith(c) for c, r in zip(cuts, responses, strict=True)):
        return prompt, responses
    return prompt + moved, [r[len(c) :] for c, r in zip(cuts, responses, strict=True)]  # type: ignore[arg-type]


# -- writers ------------------------------------------------------------------------------------


class Writer(Protocol):
    """Writes labelled pairs to one output stream."""

    def write(self, pair: Pair, label: Label) -> int | str:
        """Records written for this label, or the reason it could not be written."""
        ...

    def close(self) -> None: ...


class JsonlWriter:
    """A writer whose records are JSON lines; subclasses implement :meth:`records`."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def records(self, pair: Pair, label: Label) -> list[dict[str, Any]] | str:
        raise NotImplementedError

    def write(self, pair: Pair, label: Label) -> int | str:
        records = self.records(pair, label)
        if isinstance(records, str):
            return records
        for record in records:
            self.out.write(orjson.dumps(record) + b"\n")
        return len(records)

    def close(self) -> None:
        self.out.flush()


Converted = Imported | list[Imported]
"""What a record converter returns: one pair, or several (UltraFeedback raw)."""


def flatten(result: Converted) -> Iterator[Imported]:
    if isinstance(result, list):
        yield from result
    else:
        yield result
