"""Reading prompt files: one JSON value per line, a string or an object.

Accepted lines: ``"a prompt"``, ``{"id": ..., "prompt": "..."}`` or
``{"id": ..., "messages": [{"role": ..., "content": ...}, ...]}`` (a conversation whose last
turn the models answer). Lines without an id get ``p<line>``; a bad line is an error naming the
file and line, never a traceback, and nothing is sent until the whole file has been read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rankterm.core.errors import UsageError, display_path


@dataclass(frozen=True, slots=True)
class PromptItem:
    """One prompt to answer: its id, its conversation, and the seed it was augmented from."""

    id: str
    messages: tuple[tuple[str, str], ...]
    prompt: str | None = None
    seed_id: str | None = None

    def chat(self) -> list[dict[str, str]]:
        """The messages in the chat-completions request shape."""
        return [{"role": role, "content": content} for role, content in self.messages]


def item_from(value: object, default_id: str, where: str) -> PromptItem:
    """Validate one decoded line; ``where`` (``file:line``) prefixes every error."""
    if isinstance(value, str):
        if not value.strip():
            raise UsageError(f"{where}: empty prompt")
        return PromptItem(id=default_id, messages=(("user", value),), prompt=value)
    if not isinstance(value, dict):
        raise UsageError(f"{where}: expected a string or an object, got {type(value).__name__}")
    raw_id = value.get("id", default_id)
    if not isinstance(raw_id, str | int) or not str(raw_id):
        raise UsageError(f"{where}: id must be a non-empty string")
    seed_id = value.get("seed_id")
    if "messages" in value:
        raw = value["messages"]
        if not isinstance(raw, list) or not raw:
            raise UsageError(f"{where}: messages must be a non-empty list")
        turns = []
        for index, turn in enumerate(raw):
            if (
                not isinstance(turn, dict)
                or not isinstance(turn.get("role"), str)
                or not isinstance(turn.get("content"), str)
            ):
                raise UsageError(f"{where}: messages[{index}] needs string role and content")
            turns.append((turn["role"], turn["content"]))
        return PromptItem(id=str(raw_id), messages=tuple(turns), seed_id=seed_id)
    prompt = value.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise UsageError(f"{where}: needs a non-empty 'prompt' string or a 'messages' list")
    return PromptItem(id=str(raw_id), messages=(("user", prompt),), prompt=prompt, seed_id=seed_id)


def read_prompts(path: Path) -> list[PromptItem]:
    """All prompts of ``path``; raises :class:`UsageError` at the first bad line."""
    import orjson

    if not path.is_file():
        raise UsageError(f"{display_path(path)}: no such file")
    items: list[PromptItem] = []
    seen: dict[str, int] = {}
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{display_path(path)}:{line_no}"
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise UsageError(f"{where}: not JSON ({exc})") from None
            item = item_from(value, f"p{line_no}", where)
            if item.id in seen:
                raise UsageError(f"{where}: id {item.id!r} already used on line {seen[item.id]}")
            seen[item.id] = line_no
            items.append(item)
    if not items:
        raise UsageError(f"{display_path(path)}: no prompts")
    return items
