"""An LLM judge: prompt it with a pair, read back a verdict on the people's scale.

The template is text with ``{prompt}``, ``{response_a}`` and ``{response_b}`` placeholders.
Every pair is judged twice, once with the sides swapped, and the swapped verdict is mapped back
to the data's A/B, so position bias shows up as a flip rather than hiding in the labels.
Parsing is forgiving about the shape of the answer (a JSON object, or ``Choice: A`` /
``[[B]]`` lines) and strict about its meaning: an answer we cannot read is recorded as
unparsed, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from rankterm.core.errors import UsageError, display_path

DEFAULT_TEMPLATE = """\
You compare two responses to the same request. Judge helpfulness, correctness and safety.

Request:
{prompt}

Response A:
{response_a}

Response B:
{response_b}

Answer with one JSON object and nothing else:
{"choice": "A" | "B" | "tie" | "both_bad", "strength": 1 | 2 | 3, "rationale": "<one sentence>"}
(strength: 1 slightly better, 2 better, 3 much better; omit it for tie and both_bad)
"""

CHOICES = {"a": "A", "b": "B", "tie": "tie", "both_bad": "both_bad", "both bad": "both_bad"}
SWAP = {"A": "B", "B": "A", "tie": "tie", "both_bad": "both_bad"}


def load_template(path: Path | None) -> str:
    """The judge template; it must name the prompt and both responses."""
    if path is None:
        return DEFAULT_TEMPLATE
    if not path.is_file():
        raise UsageError(f"{display_path(path)}: no such file")
    text = path.read_text(encoding="utf-8")
    for key in ("{prompt}", "{response_a}", "{response_b}"):
        if key not in text:
            raise UsageError(f"{display_path(path)}: the template needs a {key} placeholder")
    return text


def pair_prompt(pair: dict[str, Any]) -> str:
    """The request as text: the prompt, or the conversation as ``role: content`` lines."""
    if pair.get("prompt"):
        return str(pair["prompt"])
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in pair.get("messages") or [])


def render(template: str, pair: dict[str, Any], swapped: bool) -> list[dict[str, str]]:
    """The judge request; ``swapped`` puts response B first, under the label A."""
    first, second = (pair["response_b"], pair["response_a"]) if swapped else (
        pair["response_a"], pair["response_b"])  # fmt: skip
    text = (
        template.replace("{prompt}", pair_prompt(pair))
        .replace("{response_a}", first)
        .replace("{response_b}", second)
    )
    return [{"role": "user", "content": text}]


@dataclass(frozen=True, slots=True)
class Verdict:
    """A judge's verdict in the template's own A/B (before unswapping)."""

    choice: str | None
    strength: int | None
    rationale: str

    def unswapped(self) -> Verdict:
        """The verdict in the data's A/B when the sides were shown swapped."""
        return Verdict(SWAP[self.choice] if self.choice else None, self.strength, self.rationale)


_JSON_OBJECT = re.compile(r"\{[^{}]*\}", re.S)
_CHOICE_LINE = re.compile(
    r"(?:choice|verdict|winner|better(?: response)?)\s*[:=]\s*\**\s*\[*\s*\"?"
    r"(both[ _]bad|tie|A|B)\b",
    re.I,
)
_BRACKETS = re.compile(r"\[\[\s*(both[ _]bad|tie|A|B)\s*\]\]", re.I)
_STRENGTH = re.compile(r"strength\s*[:=]\s*\"?([123])\b", re.I)
_RATIONALE = re.compile(r"rationale\s*[:=]\s*(.+)", re.I)


def parse_verdict(text: str) -> Verdict:
    """Read choice, strength and rationale from a judge's answer; ``choice`` None if unread."""
    for match in reversed(_JSON_OBJECT.findall(text)):
        try:
            data = orjson.loads(match)
        except orjson.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("choice"), str):
            choice = CHOICES.get(data["choice"].strip().lower())
            if choice is not None:
                return Verdict(choice, _strength(choice, data.get("strength")),
                               str(data.get("rationale") or "").strip())  # fmt: skip
    match = _CHOICE_LINE.search(text) or _BRACKETS.search(text)
    if match is None:
        return Verdict(None, None, text.strip()[:500])
    choice = CHOICES[match.group(1).lower().replace("_", " ").replace("both bad", "both_bad")]
    strength_match = _STRENGTH.search(text)
    rationale_match = _RATIONALE.search(text)
    return Verdict(
        choice,
        _strength(choice, strength_match.group(1) if strength_match else None),
        rationale_match.group(1).strip() if rationale_match else "",
    )


def _strength(choice: str, raw: object) -> int | None:
    if choice not in ("A", "B"):
        return None
    try:
        value = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 3 else None
