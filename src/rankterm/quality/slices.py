"""Agreement and counts per slice of the data, and coverage against collection quotas.

A *slice key* names a property of a pair: ``metadata.domain`` (dots reach into nested
metadata), ``tags`` (the pair's own tags), ``model`` (either model of the pair), any other
top-level field of the pair (``model_a``, a team's own column), or ``judgment.tags`` (tags
that annotators applied). A pair can fall into several slices of one key (a list value, two
tags); a pair without the property falls into ``(none)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rankterm.core.model import Judgment, Pair
from rankterm.quality.agreement import percent_agreement
from rankterm.quality.krippendorff import krippendorff_alpha
from rankterm.quality.table import NotEnoughData, Ratings
from rankterm.storage.pair_columns import JUDGMENT_TAGS, MISSING, pair_labels

UNKNOWN_PAIR = "(pair not in pairs file)"


def labels_by_key(pairs: Iterable[Pair], keys: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """``{key: {pair id: labels}}`` for pair-based keys, in one pass over the pairs."""
    wanted = [k for k in dict.fromkeys(keys) if k != JUDGMENT_TAGS]
    out: dict[str, dict[str, list[str]]] = {k: {} for k in wanted}
    if not wanted:
        return out
    for pair in pairs:
        for key in wanted:
            out[key][pair.id] = pair_labels(pair, key)
    return out


def judgment_tag_labels(grouped: Mapping[str, Mapping[str, Judgment]]) -> dict[str, list[str]]:
    """Per pair, the tags any annotator applied (from :func:`~.table.first_by_unit` output)."""
    out = {}
    for pair_id, cell in grouped.items():
        tags = {t for j in cell.values() for t in j.tags}
        out[pair_id] = sorted(tags) or [MISSING]
    return out


@dataclass(frozen=True, slots=True)
class SliceStats:
    """Counts and agreement of one slice; coefficients are None when undefined."""

    key: str
    value: str
    #: Pairs of the slice with at least one judgment.
    pairs: int
    #: Judgments in the agreement table (one per annotator and pair).
    judgments: int
    #: Pairs with two or more annotators (the ones agreement is measured on).
    units: int
    percent: float | None
    alpha_nominal: float | None
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "value": self.value,
            "pairs": self.pairs,
            "judgments": self.judgments,
            "units": self.units,
            "percent_agreement": self.percent,
            "alpha_nominal": self.alpha_nominal,
            **({"reason": self.reason} if self.reason else {}),
        }


def slice_stats(
    ratings: Ratings, key: str, labels: Mapping[str, Sequence[str]]
) -> list[SliceStats]:
    """Agreement per slice of ``key``; ``labels`` maps pair id to its slice labels.

    Units missing from ``labels`` (pairs not in the pairs file) form their own slice, so that
    the counts always add up to the whole table. Sorted by slice size, largest first.
    """
    members: dict[str, list[str]] = defaultdict(list)
    for unit in ratings.units:
        for label in labels.get(unit, (UNKNOWN_PAIR,)):
            members[label].append(unit)
    results = []
    for value, units in members.items():
        part = ratings.subset(units)
        percent = alpha = None
        reason = ""
        try:
            percent = percent_agreement(part)
            alpha = krippendorff_alpha(part, "nominal")
        except NotEnoughData as exc:
            reason = str(exc)
        results.append(
            SliceStats(
                key, value, len(part), part.n_values(), part.n_pairable(), percent, alpha, reason
            )
        )
    results.sort(key=lambda s: (-s.pairs, s.value))
    return results


# -- coverage -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quota:
    """A collection target: ``need`` judged pairs whose ``key`` has ``value``."""

    key: str
    value: str
    need: int

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


_FORM = "KEY=VALUE:N, e.g. metadata.dialect=AAVE:200"


def parse_quota(text: str, need: int | None = None) -> Quota:
    """Parse ``KEY=VALUE:N`` (command line), or ``KEY=VALUE`` with ``need`` given separately.

    Raises ValueError with a message that shows the expected form.
    """
    spec = text.strip()
    if need is None:
        spec, sep, count = spec.rpartition(":")
        if not sep:
            raise ValueError(
                f"quota {text!r}: expected KEY=VALUE:N, e.g. metadata.dialect=AAVE:200"
            )
        try:
            need = int(count)
        except ValueError:
            raise ValueError(f"quota {text!r}: N must be a whole number, got {count!r}") from None
    key, sep, value = spec.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise ValueError(f"quota {text!r}: expected {_FORM}")
    if need < 0:
        raise ValueError(f"quota {text!r}: N must not be negative")
    return Quota(key.strip(), value.strip(), need)


def parse_quotas(quotas: Mapping[str, int] | Iterable[str]) -> list[Quota]:
    """Quotas from ``{"metadata.dialect=AAVE": 200}`` or from ``["metadata.dialect=AAVE:200"]``."""
    if isinstance(quotas, Mapping):
        return [parse_quota(spec, int(need)) for spec, need in quotas.items()]
    return [parse_quota(spec) for spec in quotas]


@dataclass(frozen=True, slots=True)
class Coverage:
    """How far one quota is met."""

    quota: Quota
    #: Pairs of the slice judged by at least ``min_annotators`` annotators.
    have: int
    #: Pairs of the slice in the pairs file (what could still be judged).
    available: int

    @property
    def need(self) -> int:
        return self.quota.need

    @property
    def gap(self) -> int:
        return max(0, self.quota.need - self.have)

    @property
    def met(self) -> bool:
        return self.have >= self.quota.need

    def to_dict(self) -> dict[str, object]:
        return {
            "quota": str(self.quota),
            "have": self.have,
            "need": self.need,
            "gap": self.gap,
            "available": self.available,
            "met": self.met,
        }


def coverage(
    quotas: Iterable[Quota],
    labels: Mapping[str, Mapping[str, Sequence[str]]],
    annotators_per_pair: Mapping[str, int],
    *,
    min_annotators: int = 1,
) -> list[Coverage]:
    """Have / need / gap for each quota.

    ``labels`` is :func:`labels_by_key` output covering every quota key (plus
    ``judgment.tags`` if used); ``annotators_per_pair`` counts distinct annotators per pair.
    """
    results = []
    for quota in quotas:
        table = labels.get(quota.key, {})
        have = available = 0
        for pair_id, values in table.items():
            if quota.value in values:
                available += 1
                if annotators_per_pair.get(pair_id, 0) >= min_annotators:
                    have += 1
        results.append(Coverage(quota, have, available))
    return results
