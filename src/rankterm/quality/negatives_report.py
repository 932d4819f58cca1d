"""The report's "Red-team negatives" section: how many negative responses each tag produced
(see :mod:`rankterm.labels.negatives`), what ``export --negatives`` would write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rankterm.core.model import Judgment, Resolution
from rankterm.labels.negatives import BOTH_BAD, DEFAULT_NEGATIVE_TAGS, find_negatives
from rankterm.quality.markdown import md, table


def negatives_markdown(
    judgments: Iterable[Judgment], resolutions: Mapping[str, Resolution]
) -> list[str]:
    """The section, or nothing when no response is a negative and no tag is unplaced."""
    found = find_negatives(judgments, DEFAULT_NEGATIVE_TAGS, resolutions, ideals=False)
    per_reason = found.per_reason()
    if not per_reason and not found.unplaced:
        return []
    tags = ", ".join(DEFAULT_NEGATIVE_TAGS)
    out = [
        "## Red-team negatives",
        "",
        f"{len(found)} responses on {len(found.by_pair)} pairs are negatives (tagged {tags} "
        f"on their side, or in a both_bad verdict): what `rankterm export --negatives` writes. "
        "A response counts once per tag however many annotators tagged it. Unplaced: tags put "
        "on the pair, not a response, with a verdict other than both_bad.",
        "",
    ]
    names = sorted(set(per_reason) | set(found.unplaced), key=lambda n: (n == BOTH_BAD, n))
    out.append(
        table(
            ["tag", "negatives", "unplaced"],
            ([md(n), per_reason.get(n, 0), found.unplaced.get(n, 0)] for n in names),
        )
    )
    return out
