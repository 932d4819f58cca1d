"""Annotation quality: agreement coefficients, per-annotator and per-slice figures, conflicts.

Pure functions over :class:`~rankterm.core.model.Judgment` objects (pass
``JournalState.active()``): no I/O, no UI, so the CLI, the TUI stats screen and the task
server all report the same numbers. Each coefficient's module names its formula source.
"""

from rankterm.quality.agreement import (
    FleissResult,
    PairKappa,
    cohen_kappa,
    fleiss_from_ratings,
    fleiss_kappa,
    kappa_from_confusion,
    mean_kappa,
    pairwise_cohen,
    percent_agreement,
)
from rankterm.quality.annotators import AnnotatorStats, Rate, annotator_stats
from rankterm.quality.conflicts import (
    RULES,
    Contested,
    ItemAgreement,
    contested_order,
    is_conflict,
    lowest_agreement,
    parse_rule,
)
from rankterm.quality.krippendorff import coincidences, krippendorff_alpha
from rankterm.quality.slices import Coverage, Quota, SliceStats, coverage, parse_quota, slice_stats
from rankterm.quality.stats import binomial_two_sided
from rankterm.quality.summary import overall_agreement, quality_summary
from rankterm.quality.table import (
    NotEnoughData,
    Ratings,
    first_by_unit,
    ratings_from_grouped,
    ratings_from_judgments,
)

__all__ = [
    "RULES",
    "AnnotatorStats",
    "Contested",
    "Coverage",
    "FleissResult",
    "ItemAgreement",
    "NotEnoughData",
    "PairKappa",
    "Quota",
    "Rate",
    "Ratings",
    "SliceStats",
    "annotator_stats",
    "binomial_two_sided",
    "cohen_kappa",
    "coincidences",
    "contested_order",
    "coverage",
    "first_by_unit",
    "fleiss_from_ratings",
    "fleiss_kappa",
    "is_conflict",
    "kappa_from_confusion",
    "krippendorff_alpha",
    "lowest_agreement",
    "mean_kappa",
    "overall_agreement",
    "pairwise_cohen",
    "parse_quota",
    "parse_rule",
    "percent_agreement",
    "quality_summary",
    "ratings_from_grouped",
    "ratings_from_judgments",
    "slice_stats",
]
