"""Per annotator, how often a person's verdict matched a model's suggestion.

The suggestions themselves (judge verdicts, reward scores) are read by
:mod:`rankterm.core.suggestions`; the TUI shows them only after the verdict is journaled, so
agreement here measures people against a model they could not see while deciding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from rankterm.core.model import Choice, Judgment
from rankterm.core.suggestions import REWARD, judge_suggestions, reward_suggestion


def suggestion_agreement(
    judgments: Iterable[Judgment], suggestions: Mapping[str, Choice]
) -> dict[str, dict[str, Any]]:
    """Per annotator: on the pairs with a suggestion, how often their verdict was the same
    choice (A, B, tie or both bad). Each annotator's first verdict per pair counts; repeats
    and gold items served by a server (``source`` set) do not."""
    seen: set[tuple[str, str]] = set()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for judgment in sorted(judgments, key=lambda j: j.created_at):
        if judgment.source is not None or judgment.pair_id not in suggestions:
            continue
        key = (judgment.annotator, judgment.pair_id)
        if key in seen:
            continue
        seen.add(key)
        row = counts[judgment.annotator]
        row[0] += 1
        row[1] += judgment.choice == suggestions[judgment.pair_id]
    return {
        annotator: {"n": n, "agree": agree, "rate": round(agree / n, 4) if n else None}
        for annotator, (n, agree) in sorted(counts.items())
    }


def suggestion_figures(
    judgments: Iterable[Judgment],
    judge_records: Iterable[Mapping[str, Any]] = (),
    rewards: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Agreement with each suggestion source, per annotator (JSON-ready).

    ``rewards`` maps pair id -> metadata (only pairs with a reward score matter).
    """
    judgments = list(judgments)
    sources: dict[str, dict[str, Choice]] = defaultdict(dict)
    for pair_id, found in judge_suggestions(judge_records).items():
        for suggestion in found:
            sources[suggestion.source][pair_id] = suggestion.choice
    for pair_id, metadata in (rewards or {}).items():
        scored = reward_suggestion(metadata)
        if scored is not None:
            sources[REWARD][pair_id] = scored.choice
    return {
        name: {"n_pairs": len(picks), "annotators": suggestion_agreement(judgments, picks)}
        for name, picks in sorted(sources.items())
    }
