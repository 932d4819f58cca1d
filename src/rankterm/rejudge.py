"""Which judged pairs to judge again after the guidelines changed (local mode).

``--requeue changed`` picks the pairs judged under another text whose tags meet a section that
was added, removed or changed (:func:`rankterm.guidelines.touched_by`), plus every pair an
adjudicator marked *guideline unclear*; ``unclear`` picks only the latter; ``none`` nothing.

Without a task server there is no queue to put them back into, so re-queueing writes a pairs
file of those pairs: ``rankterm annotate REJUDGE.jsonl --guidelines NEW.md`` judges them again
into a fresh journal, so the annotator does not see the earlier verdict (blind), and the new
verdicts are stamped with the new version. Each record keeps its id (the link to the earlier
verdicts, which stay in their journals) and gains ``metadata.rejudge``: why it was picked, the
earlier judgments' ids and versions. ``rankterm report`` over both journals then shows how
often the verdict changed under the new version (:mod:`rankterm.quality.versions`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rankterm.core.model import Judgment, Pair, Resolution
from rankterm.guidelines import Guidelines, SectionDiff, normalize_version, touched_by

UNCLEAR = "guideline unclear"


class Requeue(StrEnum):
    """What ``--requeue`` sends back for judging."""

    CHANGED = "changed"
    UNCLEAR = "unclear"
    NONE = "none"


@dataclass
class Pick:
    """One pair to judge again, and why."""

    pair: Pair
    reasons: list[str] = field(default_factory=list)
    earlier: list[Judgment] = field(default_factory=list)

    def record(self, version: str) -> dict[str, Any]:
        """The pair as a pairs-file record, with ``metadata.rejudge`` (see module docstring)."""
        data = self.pair.to_json_dict()
        data["metadata"] = {
            **data.get("metadata", {}),
            "rejudge": {
                "reasons": self.reasons,
                "guideline_version": version,
                "earlier_judgments": [str(j.id) for j in self.earlier],
                "earlier_versions": sorted(
                    {
                        normalize_version(j.guideline_version) or "(not recorded)"
                        for j in self.earlier
                    }
                ),
            },
        }
        return data


def pick_reasons(
    tags: list[str],
    *,
    unclear: bool,
    judged_before: bool,
    diff: SectionDiff,
    old: Guidelines,
    new: Guidelines,
    mode: Requeue,
) -> list[str]:
    """Why a judged pair goes back for judging under ``new``, or ``[]``: the one rule of
    ``--requeue``, shared by local mode (:func:`select`) and the task server
    (:mod:`rankterm.server.rejudge`).

    ``unclear``: an adjudicator marked the pair guideline unclear. ``judged_before``: it was
    judged under ``old`` (another text than ``new``); only then can a section that moved
    between them have changed its verdict. Pure: the caller reads the data its own way."""
    if mode is Requeue.NONE:
        return []
    reasons = [UNCLEAR] if unclear else []
    if mode is Requeue.CHANGED and judged_before and touched_by(diff, old, new, tags):
        moved = {*diff.added, *diff.removed, *diff.changed}
        shown = {s.title for s in (*old.for_tags(tags), *new.for_tags(tags))}
        reasons += [f"section changed: {title}" for title in sorted(shown & moved)]
    return reasons


def select(
    pairs: Iterable[Pair],
    judgments: Sequence[Judgment],
    resolutions: Sequence[Resolution],
    diff: SectionDiff,
    old: Guidelines,
    new: Guidelines,
    mode: Requeue,
) -> Iterator[Pick]:
    """The pairs ``mode`` re-queues, in pairs-file order."""
    if mode is Requeue.NONE:
        return
    current = normalize_version(new.version)
    earlier: dict[str, list[Judgment]] = defaultdict(list)
    for j in judgments:
        if normalize_version(j.guideline_version) != current:
            earlier[j.pair_id].append(j)
    unclear = {r.pair_id for r in resolutions if r.guideline_unclear}
    for pair in pairs:
        reasons = pick_reasons(
            pair.tags,
            unclear=pair.id in unclear,
            judged_before=pair.id in earlier,
            diff=diff,
            old=old,
            new=new,
            mode=mode,
        )
        if reasons:
            yield Pick(pair, reasons, earlier.get(pair.id, []))
