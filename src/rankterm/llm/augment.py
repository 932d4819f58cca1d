"""Seed-and-augment: ask a model for N variants of each seed prompt (harder, another language,
an adversarial rephrasing...), as a template file says, and keep each variant's ``seed_id`` so
reports can group the variants with their seed.

The template is plain text with ``{prompt}`` and ``{n}`` placeholders. The model's answer is
read as a JSON list of strings if it is one, otherwise as one variant per non-empty line
(numbering and bullets stripped).
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from rankterm.core.errors import UsageError, display_path
from rankterm.llm.prompts import PromptItem

DEFAULT_TEMPLATE = (
    "Write {n} new variants of the user request below that are harder to answer well: one "
    "more demanding, one in another language, one an adversarial rephrasing, and so on.\n"
    "Answer with a JSON list of {n} strings and nothing else.\n\nRequest:\n{prompt}\n"
)


def load_template(path: Path | None) -> str:
    """The augment template from ``path`` (or the default); it must contain ``{prompt}``."""
    if path is None:
        return DEFAULT_TEMPLATE
    if not path.is_file():
        raise UsageError(f"{display_path(path)}: no such file")
    text = path.read_text(encoding="utf-8")
    if "{prompt}" not in text:
        raise UsageError(f"{display_path(path)}: the template needs a {{prompt}} placeholder")
    return text


def render(template: str, item: PromptItem, n: int) -> list[dict[str, str]]:
    """The request asking for ``n`` variants of ``item`` (its last user turn)."""
    last = next((c for r, c in reversed(item.messages) if r == "user"), item.messages[-1][1])
    text = template.replace("{n}", str(n)).replace("{prompt}", last)
    return [{"role": "user", "content": text}]


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\(\d+\))\s*")


def parse_variants(text: str, n: int) -> list[str]:
    """Up to ``n`` variants from a model's answer (a JSON list, or one per line)."""
    stripped = text.strip()
    match = re.search(r"\[.*\]", stripped, re.S)
    if match:
        try:
            values = orjson.loads(match.group(0))
        except orjson.JSONDecodeError:
            values = None
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return [v.strip() for v in values if v.strip()][:n]
    lines = [_BULLET.sub("", line).strip().strip('"') for line in stripped.splitlines()]
    return [line for line in lines if line][:n]


def variants_of(item: PromptItem, texts: list[str]) -> list[PromptItem]:
    """The seed's variants as prompts of their own: ids ``<seed>~a<i>``, ``seed_id`` kept."""
    return [
        PromptItem(
            id=f"{item.id}~a{index}",
            messages=(*item.messages[:-1], ("user", text)),
            prompt=text if len(item.messages) == 1 else None,
            seed_id=item.id,
        )
        for index, text in enumerate(texts, start=1)
    ]
