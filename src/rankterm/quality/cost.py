"""Cost per label: hourly rates turned into money per judgment, per accepted judgment, per
slice and per model pair.

Time is the judgments' ``duration_ms``: the annotate screen's active-time clock, which stops
after ``idle_seconds`` without input, so a coffee break is never billed to a label. A judgment
without a recorded duration (0: an import, an old journal) is counted as a label but adds no
time, and the figures say how many such labels there were.

A label is *accepted* when it survives quality control: on a gold item it matches the gold
choice; on an adjudicated pair (the latest resolution settles it) it matches the label of
record; a pair the adjudicator marked guideline-unclear accepts nothing; any other label is
accepted. Cost per accepted label divides all the money spent (rejected labels were paid for
too) by the accepted ones: what a usable label really cost.

Rates come from the ``[rates]`` table of the config file, per annotator per hour, with
``"*"`` as the rate of anyone not named. An annotator with no rate is listed as unpriced and
left out of the money figures rather than priced at zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rankterm.core.model import Gold, Judgment, Resolution
from rankterm.quality.slices import (
    JUDGMENT_TAGS,
    MISSING,
    UNKNOWN_PAIR,
    is_judgment_key,
    judgment_value,
)

MS_PER_HOUR = 3_600_000
DEFAULT_RATE = "*"


def rate_for(rates: Mapping[str, float], annotator: str) -> float | None:
    """The hourly rate of ``annotator``: their own, else the ``"*"`` default, else None."""
    rate = rates.get(annotator)
    return rates.get(DEFAULT_RATE) if rate is None else rate


def accepted(
    judgment: Judgment,
    gold: Mapping[str, Gold],
    resolutions: Mapping[str, Resolution],
) -> bool:
    """Whether a label survives gold and adjudication (see the module docstring)."""
    item_gold = gold.get(judgment.pair_id)
    if item_gold is not None:
        return judgment.choice == item_gold.choice
    resolution = resolutions.get(judgment.pair_id)
    if resolution is not None:
        return resolution.choice is not None and judgment.choice == resolution.choice
    return True


class _Tally:
    """Labels, accepted labels, active milliseconds and money of one group."""

    __slots__ = ("accepted", "cost", "labels", "ms", "untimed")

    def __init__(self) -> None:
        self.labels = self.accepted = self.ms = self.untimed = 0
        self.cost = 0.0

    def add(self, judgment: Judgment, rate: float, ok: bool) -> None:
        self.labels += 1
        self.accepted += ok
        self.ms += judgment.duration_ms
        self.untimed += judgment.duration_ms == 0
        self.cost += judgment.duration_ms / MS_PER_HOUR * rate

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "accepted_labels": self.accepted,
            "labels_without_time": self.untimed,
            "active_hours": round(self.ms / MS_PER_HOUR, 4),
            "cost": round(self.cost, 4),
            "cost_per_label": _per(self.cost, self.labels),
            "cost_per_accepted_label": _per(self.cost, self.accepted),
        }


def _per(cost: float, count: int) -> float | None:
    return round(cost / count, 4) if count else None


def cost_summary(
    judgments: Iterable[Judgment],
    rates: Mapping[str, float],
    *,
    currency: str = "",
    gold: Mapping[str, Gold] | None = None,
    resolutions: Mapping[str, Resolution] | None = None,
    slice_keys: Sequence[str] = (),
    slice_labels: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    model_pairs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Money per label overall, per annotator, per slice value and per model pair.

    ``slice_keys`` are the report's slice keys: a pair key's labels come from
    ``slice_labels`` (``{pair id: labels}``; a pair in two slices of one key counts in both),
    ``judgment.tags`` from each judgment's own tags, and ``judgment.FIELD`` from the field.
    ``model_pairs`` maps a pair id to its ``"model_a vs model_b"`` name.
    """
    gold = gold or {}
    resolutions = resolutions or {}
    slice_labels = slice_labels or {}
    model_pairs = model_pairs or {}
    total = _Tally()
    people: dict[str, _Tally] = defaultdict(_Tally)
    keys = list(dict.fromkeys(slice_keys))
    slices: dict[str, dict[str, _Tally]] = {key: defaultdict(_Tally) for key in keys}
    by_models: dict[str, _Tally] = defaultdict(_Tally)
    unpriced: dict[str, int] = defaultdict(int)
    for j in judgments:
        rate = rate_for(rates, j.annotator)
        if rate is None:
            unpriced[j.annotator] += 1
            continue
        ok = accepted(j, gold, resolutions)
        total.add(j, rate, ok)
        people[j.annotator].add(j, rate, ok)
        for key in keys:
            for value in _values(j, key, slice_labels):
                slices[key][value].add(j, rate, ok)
        if model_pairs:
            by_models[model_pairs.get(j.pair_id, UNKNOWN_PAIR)].add(j, rate, ok)
    return {
        "currency": currency,
        "rates_per_hour": dict(rates),
        "total": total.to_dict(),
        "annotators": [
            {"annotator": name, "rate_per_hour": rate_for(rates, name), **t.to_dict()}
            for name, t in sorted(people.items())
        ],
        "slices": {
            key: [{"value": v, **t.to_dict()} for v, t in _largest(table)]
            for key, table in slices.items()
        },
        "model_pairs": [{"models": m, **t.to_dict()} for m, t in _largest(by_models)],
        "unpriced": [{"annotator": a, "labels": n} for a, n in sorted(unpriced.items())],
    }


def _values(
    judgment: Judgment, key: str, labels: Mapping[str, Mapping[str, Sequence[str]]]
) -> Sequence[str]:
    if key == JUDGMENT_TAGS:
        return sorted(set(judgment.tags)) or [MISSING]
    if is_judgment_key(key):
        return [judgment_value(judgment, key)]
    return labels.get(key, {}).get(judgment.pair_id, (UNKNOWN_PAIR,))


def _largest(table: Mapping[str, _Tally]) -> list[tuple[str, _Tally]]:
    return sorted(table.items(), key=lambda item: (-item[1].labels, item[0]))


def model_pair_name(model_a: str | None, model_b: str | None) -> str:
    """One name for a model pair whichever side each model was on: ``a vs b``, sorted."""
    names = sorted(m or "(unknown)" for m in (model_a, model_b))
    return f"{names[0]} vs {names[1]}"


def cost_markdown(summary: Mapping[str, Any]) -> list[str]:
    """The report's "Cost per label" section (nothing when no rates are configured)."""
    from rankterm.quality.markdown import md, table

    cost = summary.get("cost")
    if not cost:
        return []
    unit = f" ({md(cost['currency'])})" if cost["currency"] else ""
    total = cost["total"]
    out = [
        f"## Cost per label{unit}",
        "",
        f"{total['labels']} priced labels, {total['accepted_labels']} accepted after gold and "
        f"adjudication, {total['active_hours']} active hours: {total['cost']} in all, "
        f"{_money(total['cost_per_label'])} per label, "
        f"{_money(total['cost_per_accepted_label'])} per accepted label. Time is active time "
        f"(the clock stops when idle); {total['labels_without_time']} labels had no recorded "
        "time. Accepted: matches gold on gold items, the label of record on adjudicated pairs.",
        "",
    ]
    columns = ["labels", "accepted", "hours", "cost", "per label", "per accepted"]

    def figures(row: Mapping[str, Any]) -> list[object]:
        return [
            row["labels"],
            row["accepted_labels"],
            row["active_hours"],
            row["cost"],
            _money(row["cost_per_label"]),
            _money(row["cost_per_accepted_label"]),
        ]

    out.append(
        table(
            ["annotator", "rate/hour", *columns],
            ([md(r["annotator"]), r["rate_per_hour"], *figures(r)] for r in cost["annotators"]),
        )
    )
    if cost["unpriced"]:
        names = ", ".join(f"{md(u['annotator'])} ({u['labels']})" for u in cost["unpriced"])
        out += ["", f"No rate configured (left out of the figures): {names}."]
    if cost["model_pairs"]:
        out += ["", "### Per model pair", ""]
        out.append(
            table(
                ["models", *columns],
                ([md(r["models"], limit=80), *figures(r)] for r in cost["model_pairs"]),
            )
        )
    for key, rows in cost["slices"].items():
        out += ["", f"### Per slice: {md(key)}", ""]
        out.append(
            table(["value", *columns], ([md(r["value"], limit=80), *figures(r)] for r in rows))
        )
    return out


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
