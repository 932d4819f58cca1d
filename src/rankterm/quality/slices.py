"""Agreement and counts per slice of the data, and coverage against collection quotas.

A *slice key* names a property of a pair: ``metadata.domain`` (dots reach into nested
metadata), ``tags`` (the pair's own tags), ``model`` (either model of the pair), any other
top-level field of the pair (``model_a``, a team's own column), or ``judgment.tags`` (tags
that annotators applied). A pair can fall into several slices of one key (a list value, two
tags); a pair without the property falls into ``(none)``.

``judgment.FIELD`` (``judgment.guideline_version``, ``judgment.source``...) slices the
*judgments*, not the pairs: the slice ``v2`` holds every verdict made under version 2, so a pair
judged by one person under v1 and another under v2 is a unit of neither (their verdicts were
made under different texts and their agreement says nothing about either). A key that names
nothing (a judgment field that does not exist, a pair property no pair has) is an error
(:class:`UnknownSliceKey`), never a silent ``(none)`` slice.
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
JUDGMENT_PREFIX = "judgment."
#: Judgment fields a slice can be keyed on: one short value per judgment.
JUDGMENT_FIELDS = (
    "guideline_version",
    "source",
    "annotator",
    "choice",
    "strength",
    "flagged",
    "shown_swapped",
)
#: Pair keys that always exist (the model's own fields and aliases): never "unknown".
_PAIR_KEYS = frozenset({"tags", "tag", "model", *Pair.model_fields})


class UnknownSliceKey(ValueError):
    """A ``--by`` key that names no property of the data (a typo, most likely)."""


def is_judgment_key(key: str) -> bool:
    """Whether ``key`` slices judgments (``judgment.FIELD``) rather than pairs."""
    return key.startswith(JUDGMENT_PREFIX) and key != JUDGMENT_TAGS


def check_judgment_key(key: str) -> None:
    """Raise :class:`UnknownSliceKey` unless ``key`` is ``judgment.tags`` or a known field."""
    if key == JUDGMENT_TAGS or not key.startswith(JUDGMENT_PREFIX):
        return
    name = key.removeprefix(JUDGMENT_PREFIX)
    if name not in JUDGMENT_FIELDS:
        known = ", ".join(JUDGMENT_PREFIX + f for f in ("tags", *JUDGMENT_FIELDS))
        raise UnknownSliceKey(f"--by {key}: no such judgment field (known: {known})")


def check_pair_key(key: str, labels: Mapping[str, Sequence[str]]) -> None:
    """Raise :class:`UnknownSliceKey` when ``key`` is not a field of the pair model and no
    pair has it (every label ``(none)``): a misspelt ``metadata.domian`` would otherwise
    report one ``(none)`` slice holding everything."""
    if key in _PAIR_KEYS or not labels:
        return
    if all(values == [MISSING] for values in labels.values()):
        raise UnknownSliceKey(f"--by {key}: no pair in the pairs file has this key")


def judgment_value(judgment: Judgment, key: str) -> str:
    """The slice label of one judgment under ``judgment.FIELD`` (a version stamp normalized
    as the report does)."""
    name = key.removeprefix(JUDGMENT_PREFIX)
    value = getattr(judgment, name)
    if name == "guideline_version":
        from rankterm.guidelines import normalize_version

        value = normalize_version(value)
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))


def judgment_slice_stats(
    grouped: Mapping[str, Mapping[str, Judgment]], key: str
) -> list[SliceStats]:
    """Agreement per value of a judgment field: each slice's table holds only the verdicts
    made with that value (see the module docstring). Sorted by slice size, largest first."""
    from rankterm.quality.table import ratings_from_grouped

    check_judgment_key(key)
    parts: dict[str, dict[str, dict[str, Judgment]]] = defaultdict(dict)
    for pair_id, cell in grouped.items():
        for annotator, judgment in cell.items():
            value = judgment_value(judgment, key)
            parts[value].setdefault(pair_id, {})[annotator] = judgment
    results = [
        _stats(key, value, ratings_from_grouped(part, scale="nominal"))
        for value, part in parts.items()
    ]
    results.sort(key=lambda s: (-s.judgments, s.value))
    return results


def _stats(key: str, value: str, part: Ratings) -> SliceStats:
    percent = alpha = None
    reason = ""
    try:
        percent = percent_agreement(part)
        alpha = krippendorff_alpha(part, "nominal")
    except NotEnoughData as exc:
        reason = str(exc)
    return SliceStats(
        key, value, len(part), part.n_values(), part.n_pairable(), percent, alpha, reason
    )


def labels_by_key(pairs: Iterable[Pair], keys: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """``{key: {pair id: labels}}`` for pair-based keys, in one pass over the pairs."""
    wanted = [k for k in dict.fromkeys(keys) if not k.startswith(JUDGMENT_PREFIX)]
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
    results = [_stats(key, value, ratings.subset(units)) for value, units in members.items()]
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
