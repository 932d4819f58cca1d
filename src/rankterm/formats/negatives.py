"""``export --negatives``: red-team negatives (see :mod:`rankterm.labels.negatives`) written as
KTO undesirable examples or as DPO pairs against something better.

KTO (``kto``, ``kto-standard``, ``kto-conversational``): one row per negative response,
``label: false``; a both_bad pair whose two responses are negatives gives two rows. TRL
preference (``trl`` and its forms): one row per negative, the negative as ``rejected`` and as
``chosen`` the annotator's ideal answer, else the other response when it is not a negative
itself; a negative with nothing better to prefer is dropped and counted. Rows carry a
``rankterm`` block: ``negative``, the response's ``side`` (A/B) and model, the ``reasons``
(tags, or ``both_bad``), the annotators and, for DPO, what was ``preferred``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from rankterm.core.errors import UsageError
from rankterm.core.model import Pair
from rankterm.formats.base import META_KEY, messages_json, single_prompt, token_boundary
from rankterm.formats.registry import Format
from rankterm.labels.negatives import Negative, NegativeSet, preferred_over

#: Format name -> (kind, conversational).
FORMS: dict[str, tuple[str, bool]] = {
    "kto": ("kto", False),
    "kto-standard": ("kto", False),
    "kto-conversational": ("kto", True),
    "trl": ("dpo", False),
    "trl-standard": ("dpo", False),
    "trl-conversational": ("dpo", True),
}


@dataclass
class NegativesSummary:
    """What ``export --negatives`` wrote, what it dropped, and the negatives per tag."""

    format: str
    records: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    per_reason: Counter[str] = field(default_factory=Counter)
    unplaced: Counter[str] = field(default_factory=Counter)


def check_format(fmt: Format) -> tuple[str, bool]:
    """``(kind, conversational)`` for a format negatives can be written in, else a usage error."""
    form = FORMS.get(fmt.name)
    if form is None:
        names = ", ".join(FORMS)
        raise UsageError(f"--negatives writes KTO or TRL preference data ({names}), not {fmt.name}")
    return form


def _meta(pair: Pair, negative: Negative) -> dict[str, Any]:
    model = pair.model_a if negative.side == "A" else pair.model_b
    return {
        "negative": True,
        "side": negative.side,
        "model": model or "",
        "reasons": sorted(negative.reasons),
        "annotators": sorted(negative.annotators),
    }


def _text(pair: Pair, side: str) -> str:
    return pair.response_a if side == "A" else pair.response_b


def records_for(
    pair: Pair, negatives: NegativeSet, kind: str, conversational: bool, dropped: Counter[str]
) -> list[dict[str, Any]]:
    """The rows of one pair's negatives (none when it has none); drops are counted."""
    sides = negatives.by_pair.get(pair.id)
    if not sides:
        return []
    prompt = single_prompt(pair)
    if not conversational and prompt is None:
        dropped["multi-turn context (use the -conversational form)"] += len(sides)
        return []
    rows = []
    for side in sorted(sides):
        negative = sides[side]
        bad = _text(pair, side)
        meta = _meta(pair, negative)
        if kind == "kto":
            if conversational:
                row: dict[str, Any] = {
                    "prompt": messages_json(pair.conversation),
                    "completion": [{"role": "assistant", "content": bad}],
                }
            else:
                core, completion, moved, added = token_boundary(prompt or "", bad)
                row = {"prompt": core, "completion": completion}
                meta["prompt_tail"] = moved
                meta["separators"] = [added]
            rows.append({**row, "label": False, "id": pair.id, META_KEY: meta})
            continue
        preferred = preferred_over(negatives, pair.id, side)
        if preferred is None:
            dropped["negative with no ideal answer and no safe other response"] += 1
            continue
        good = (
            negatives.ideals[pair.id][0]
            if preferred == "ideal"
            else _text(pair, "B" if side == "A" else "A")
        )
        meta["preferred"] = preferred
        if conversational:
            row = {
                "prompt": messages_json(pair.conversation),
                "chosen": [{"role": "assistant", "content": good}],
                "rejected": [{"role": "assistant", "content": bad}],
            }
        else:
            core, good_text, moved, good_sep = token_boundary(prompt or "", good)
            _, bad_text, _, bad_sep = token_boundary(prompt or "", bad)
            row = {"prompt": core, "chosen": good_text, "rejected": bad_text}
            meta["prompt_tail"] = moved
            meta["separators"] = [good_sep, bad_sep]
        rows.append({**row, "id": pair.id, META_KEY: meta})
    return rows


def run_negatives_export(
    fmt: Format, pairs: Iterator[Pair], negatives: NegativeSet, out: BinaryIO
) -> NegativesSummary:
    """Write every negative of ``negatives`` found among ``pairs``, in ``fmt``."""
    kind, conversational = check_format(fmt)
    summary = NegativesSummary(fmt.name)
    seen = set()
    for pair in pairs:
        seen.add(pair.id)
        for row in records_for(pair, negatives, kind, conversational, summary.dropped):
            out.write(orjson.dumps(row) + b"\n")
            summary.records += 1
    missing = sum(len(s) for p, s in negatives.by_pair.items() if p not in seen)
    if missing:
        summary.dropped["pair not in the pairs file"] += missing
    summary.per_reason = negatives.per_reason()
    summary.unplaced = negatives.unplaced
    out.flush()
    return summary
