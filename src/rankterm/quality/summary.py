"""Every agreement figure in one JSON-ready dict: what the CLI, TUI stats and server show.

A coefficient that is undefined for the data is ``{"value": null, "reason": "..."}`` rather
than missing or NaN, so that a consumer can always say why a figure is absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rankterm.core.model import Gold, Judgment, Resolution
from rankterm.quality.agreement import (
    fleiss_from_ratings,
    mean_kappa,
    pairwise_cohen,
    percent_agreement,
)
from rankterm.quality.annotators import annotator_stats
from rankterm.quality.krippendorff import (
    Coincidences,
    Level,
    alpha_from_coincidences,
    coincidences,
)
from rankterm.quality.slices import (
    JUDGMENT_TAGS,
    Quota,
    coverage,
    is_judgment_key,
    judgment_slice_stats,
    judgment_tag_labels,
    slice_stats,
)
from rankterm.quality.table import (
    NotEnoughData,
    Ratings,
    bulk_pass,
    first_by_unit,
    ratings_from_grouped,
)


def _measure(compute: Callable[[], float], **extra: Any) -> dict[str, Any]:
    try:
        return {"value": compute(), **extra}
    except NotEnoughData as exc:
        return {"value": None, "reason": str(exc), **extra}


def _alpha(table: Coincidences, level: Level, **extra: Any) -> dict[str, Any]:
    return _measure(
        lambda: alpha_from_coincidences(table, level),
        n_units=table.n_units,
        n_values=round(table.n),
        **extra,
    )


@bulk_pass
def overall_agreement(
    judgments: Iterable[Judgment],
    *,
    grouped: Mapping[str, Mapping[str, Judgment]] | None = None,
    repeats: int = 0,
) -> dict[str, Any]:
    """Percent agreement, Cohen (per annotator pair), Fleiss and Krippendorff's alpha.

    Nominal figures read the choice (A, B, tie, both_bad); ordinal figures read -3..+3 and
    leave both_bad out (``both_bad_excluded_from_ordinal``); ``nominal_strength`` reads the
    finer A1..B3 scale.
    """
    if grouped is None:
        grouped, repeats = first_by_unit(judgments)
    return _overall(grouped, repeats)[0]


def _overall(
    grouped: Mapping[str, Mapping[str, Judgment]], repeats: int
) -> tuple[dict[str, Any], Ratings]:
    """:func:`overall_agreement` and its nominal table, which the slices reuse."""
    # The finer scale is only needed for its coincidence matrix: tabulate it and let the
    # table go, so that three full tables are never alive at once (a million judgments).
    fine = coincidences(ratings_from_grouped(grouped, scale="nominal", with_strength=True))
    nominal = ratings_from_grouped(grouped, scale="nominal", repeats=repeats)
    ordinal = ratings_from_grouped(grouped, scale="ordinal")
    ordered = coincidences(ordinal)
    pairs = pairwise_cohen(nominal, ordinal)
    fleiss = _fleiss(nominal)
    return {
        "n_judgments": nominal.n_values() + repeats,
        "n_annotators": len(nominal.raters()),
        "n_pairs": len(nominal),
        "repeats_ignored": repeats,
        "n_units": nominal.n_pairable(),
        "both_bad_excluded_from_ordinal": ordinal.excluded,
        "percent_agreement": _measure(
            lambda: percent_agreement(nominal), n_units=nominal.n_pairable()
        ),
        "cohen_kappa": {
            "pairs": [
                {
                    "raters": list(p.raters),
                    "n": p.n,
                    "plain": p.plain,
                    "n_ordinal": p.n_ordinal,
                    "linear": p.linear,
                    "quadratic": p.quadratic,
                }
                for p in pairs
            ],
            "mean": {w: mean_kappa(pairs, w) for w in ("plain", "linear", "quadratic")},
        },
        "fleiss_kappa": fleiss,
        "krippendorff_alpha": {
            "nominal": _alpha(coincidences(nominal), "nominal"),
            "nominal_strength": _alpha(fine, "nominal"),
            "ordinal": _alpha(ordered, "ordinal", both_bad_excluded=ordinal.excluded),
            "interval": _alpha(ordered, "interval", both_bad_excluded=ordinal.excluded),
        },
    }, nominal


def _fleiss(nominal: Ratings) -> dict[str, Any]:
    try:
        result = fleiss_from_ratings(nominal)
    except NotEnoughData as exc:
        return {"value": None, "reason": str(exc), "n_units": 0}
    out: dict[str, Any] = {
        "value": result.value,
        "raters_per_unit": result.raters_per_unit,
        "n_units": result.n_units,
        "units_dropped": result.units_dropped,
    }
    if result.reason:
        out["reason"] = result.reason
    return out


@bulk_pass
def quality_summary(
    judgments: Sequence[Judgment],
    *,
    gold: Mapping[str, Gold] | None = None,
    resolutions: Mapping[str, Resolution] | None = None,
    slice_labels: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    slice_keys: Sequence[str] = (),
    quotas: Sequence[Quota] = (),
) -> dict[str, Any]:
    """Overall agreement plus per-annotator figures, slices and quota coverage.

    ``slice_labels`` is :func:`~rankterm.quality.slices.labels_by_key` output for the
    pair-based keys in ``slice_keys`` and in the quotas; ``judgment.tags`` is derived here.
    """
    grouped, repeats = first_by_unit(judgments)
    out, nominal = _overall(grouped, repeats)
    labels: dict[str, Mapping[str, Sequence[str]]] = dict(slice_labels or {})
    if JUDGMENT_TAGS in slice_keys or any(q.key == JUDGMENT_TAGS for q in quotas):
        labels[JUDGMENT_TAGS] = judgment_tag_labels(grouped)
    # Slices reuse the overall nominal table, done before the per-annotator pass so that the
    # table is gone by then (one fewer million-entry structure alive at the peak).
    slices = {
        key: [
            s.to_dict()
            for s in (
                judgment_slice_stats(grouped, key)
                if is_judgment_key(key)
                else slice_stats(nominal, key, labels.get(key, {}))
            )
        ]
        for key in dict.fromkeys(slice_keys)
    }
    del nominal
    out["annotators"] = [
        s.to_dict()
        for s in annotator_stats(judgments, gold=gold, resolutions=resolutions, grouped=grouped)
    ]
    out["slices"] = slices
    per_pair = {pair_id: len(cell) for pair_id, cell in grouped.items()}
    out["coverage"] = [c.to_dict() for c in coverage(quotas, labels, per_pair)]
    return out
