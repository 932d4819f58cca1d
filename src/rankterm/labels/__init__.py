"""Labels: which verdict leaves rankterm as a pair's label, and what is dropped and why.

:mod:`~rankterm.labels.rules` holds the rules once (:class:`ChoicePolicy`, fast enough for the
leaderboard over millions of judgments); :mod:`~rankterm.labels.policy` makes their decisions
into :class:`Label` records with provenance for export (:class:`LabelPolicy`).
"""

from rankterm.labels.policy import Label, LabelPolicy, LabelResult, describe_drops, select_labels
from rankterm.labels.rules import (
    BOTH_BAD,
    FLAGGED,
    GOLD,
    LOW_AGREEMENT,
    SPLIT,
    TIE,
    UNCLEAR,
    UNJUDGED,
    UNKNOWN_PAIR,
    ChoicePolicy,
    GoldRule,
    Keep,
    LabelOptions,
    Policy,
    Vote,
)

__all__ = [
    "BOTH_BAD",
    "FLAGGED",
    "GOLD",
    "LOW_AGREEMENT",
    "SPLIT",
    "TIE",
    "UNCLEAR",
    "UNJUDGED",
    "UNKNOWN_PAIR",
    "ChoicePolicy",
    "GoldRule",
    "Keep",
    "Label",
    "LabelOptions",
    "LabelPolicy",
    "LabelResult",
    "Policy",
    "Vote",
    "describe_drops",
    "select_labels",
]
