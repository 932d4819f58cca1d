"""Sending pairs where an LLM judge and the human majority disagree to adjudication.

A referral is a :class:`~rankterm.core.model.Comment` in the pair's thread, marked
``source: "model"`` and carrying the judge's verdict (``judge``, ``choice``, ``strength``) and
its rationale as the text, plus the human majority it disagreed with. A comment, because
comments are what every store already keeps whole and never counts: a model's verdict in a
journal or on the server can then not enter a majority vote, Fleiss' kappa or the label of
record, and the adjudicator sees it beside the human verdicts, marked as a model's.
Locally the referrals go to the adjudications journal (the adjudicator's own), on a server to
``POST /projects/{p}/referrals``; either way the pair joins the adjudication queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rankterm.core.model import Choice, Comment, Judgment
from rankterm.core.suggestions import Suggestion, judge_suggestions

MODEL = "model"
NO_RATIONALE = "(the judge gave no rationale)"


@dataclass(frozen=True, slots=True)
class Referral:
    """One pair a judge disagreed with people on."""

    pair_id: str
    judge: str
    choice: Choice
    strength: int | None
    rationale: str
    human_majority: str

    def comment(self) -> Comment:
        return Comment(
            pair_id=self.pair_id,
            author=f"model:{self.judge}",
            text=self.rationale or NO_RATIONALE,
            source=MODEL,
            judge=self.judge,
            choice=self.choice.value,
            strength=self.strength,
            human_majority=self.human_majority,
        )

    def wire(self) -> dict[str, Any]:
        return {
            "pair_id": self.pair_id, "judge": self.judge, "choice": self.choice.value,
            "strength": self.strength, "rationale": self.rationale,
            "human_majority": self.human_majority,
        }  # fmt: skip


def is_model_verdict(comment: Comment) -> bool:
    """A judge's verdict sent to adjudication, not a person's note."""
    return (comment.model_extra or {}).get("source") == MODEL


def model_fields(comment: Comment) -> dict[str, Any]:
    """judge, choice (a Choice or None), strength and human_majority of a model comment."""
    extra = comment.model_extra or {}
    try:
        choice = Choice(extra.get("choice"))
    except ValueError:
        choice = None
    strength = extra.get("strength")
    return {
        "judge": str(extra.get("judge") or comment.author),
        "choice": choice,
        "strength": strength if isinstance(strength, int) and 1 <= strength <= 3 else None,
        "human_majority": extra.get("human_majority"),
    }


def disagreements(
    records: Iterable[Mapping[str, Any]], judgments: Iterable[Judgment]
) -> list[Referral]:
    """Pairs where a judge's verdict (both side orders combined, as the judge figures count
    it) differs from the strict human majority; pairs without a majority are left out."""
    from rankterm.quality.judges import human_majority

    majority = human_majority(j for j in judgments if j.source is None)
    found = []
    for pair_id, suggestions in sorted(judge_suggestions(records).items()):
        people = majority.get(pair_id)
        if people is None:
            continue
        for s in suggestions:
            if s.choice.value != people:
                found.append(_referral(pair_id, s, people))
    return found


def _referral(pair_id: str, s: Suggestion, people: str) -> Referral:
    judge = s.source.removeprefix("judge ")
    return Referral(pair_id, judge, s.choice, s.strength, s.rationale, people)


def already_referred(comments: Iterable[Comment]) -> set[tuple[str, str, str | None]]:
    """(pair, judge, choice) of referrals made before: sending again adds nothing."""
    seen = set()
    for comment in comments:
        if is_model_verdict(comment):
            fields = model_fields(comment)
            choice = fields["choice"].value if fields["choice"] is not None else None
            seen.add((comment.pair_id, fields["judge"], choice))
    return seen


def new_referrals(
    referrals: Iterable[Referral], earlier: Iterable[Comment]
) -> tuple[list[Referral], int]:
    """The referrals not made before (by pair, judge and verdict), and how many were."""
    seen = already_referred(earlier)
    fresh, repeated = [], 0
    for r in referrals:
        key = (r.pair_id, r.judge, r.choice.value)
        if key in seen:
            repeated += 1
        else:
            seen.add(key)
            fresh.append(r)
    return fresh, repeated


def refer_to_journal(referrals: Iterable[Referral], path) -> tuple[int, int]:
    """Append the new referrals to the adjudications journal (fsynced): (sent, already there).

    The journal is locked while written, so an adjudicator working in it makes this a clear
    "journal in use" error rather than an interleaved file."""
    from rankterm.storage.journal import Journal, read_journal

    earlier = [e for e in read_journal(path, []) if isinstance(e, Comment)] if path.exists() else []
    fresh, repeated = new_referrals(referrals, earlier)
    if fresh:
        journal = Journal.open(path)
        try:
            journal.append_many([r.comment() for r in fresh])
        finally:
            journal.close()
    return len(fresh), repeated
