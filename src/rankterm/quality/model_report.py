"""The report's sections on models: LLM judges against people, and people against suggestions.

The figures are the ones ``rankterm agreement --json --judge`` prints (``summary["judges"]``
from :func:`rankterm.quality.judges.judge_metrics`, ``summary["suggestions"]`` from
:func:`rankterm.quality.suggestions.suggestion_figures`), laid out as Markdown; nothing is
computed here, so the report and the JSON cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rankterm.quality.markdown import md, number, percent, table

CHOICES = ("A", "B", "tie", "both_bad")


def _confusion(confusion: Mapping[str, Mapping[str, int]]) -> str:
    """Judge's verdict (rows) against the human majority (columns)."""
    seen = [c for c in CHOICES if c in confusion or any(c in r for r in confusion.values())]
    rows = (
        [f"judge {md(mine)}", *(confusion.get(mine, {}).get(theirs, 0) for theirs in seen)]
        for mine in seen
    )
    return table(["", *(f"people {md(c)}" for c in seen)], rows)


def judges_section(summary: Mapping[str, Any]) -> list[str]:
    """Per judge: kappa against people and the label of record, confusion, flips, length."""
    judges = summary.get("judges")
    if judges is None:
        return []
    out = ["## LLM judges", ""]
    if not judges:
        return [*out, "The judge files hold no readable verdict."]
    out += [
        "Model verdicts (`source: model`) are compared with people, never counted among them. "
        "A judge's verdict on a pair is its answer when both side orders agree, else tie. "
        "Kappa: Cohen's, against the human strict majority and against the adjudicated label "
        "of record. Flip rate: share of pairs judged in both orders whose answer changed with "
        "the sides swapped (position bias). Longer wins: how often the longer response won, "
        "with the judge and with people, on the same pairs (length bias).",
        "",
        table(
            ["judge", "pairs", "kappa vs people", "n", "kappa vs adjudicated", "n",
             "flip rate", "both orders", "longer wins (judge)", "longer wins (people)"],
            (
                [md(name), f["n_pairs"], number(f["kappa_vs_humans"]), f["n_vs_humans"],
                 number(f["kappa_vs_adjudicated"]), f["n_vs_adjudicated"],
                 percent(f["flip_rate"]), f["n_both_orders"],
                 percent(f["length_bias"]["judge_longer_win_rate"]),
                 percent(f["length_bias"]["human_longer_win_rate"])]
                for name, f in sorted(judges.items())
            ),
        ),
    ]  # fmt: skip
    for name, figures in sorted(judges.items()):
        out += ["", f"### Judge {md(name)}", "", "Confusion against the human majority:", ""]
        out.append(_confusion(figures["confusion_vs_humans"]))
        for key, values in figures["slices"].items():
            if not values:
                continue
            out += ["", f"Kappa against people by {md(key)}:", ""]
            out.append(
                table(
                    ["value", "pairs", "kappa vs people"],
                    ([md(v, limit=80), s["n"], number(s["kappa_vs_humans"])]
                     for v, s in values.items()),
                )
            )  # fmt: skip
    return out


def suggestions_section(summary: Mapping[str, Any]) -> list[str]:
    """Per annotator, agreement with each suggestion source (judge verdicts, reward scores)."""
    sources = summary.get("suggestions")
    if not sources:
        return []
    out = [
        "## Agreement with suggestions",
        "",
        "How often each annotator's verdict (their first per pair) was the suggestion's choice "
        "(A, B, tie or both bad). Suggestions are shown only after the verdict is saved, so "
        "they cannot anchor it; very high agreement with a model is still worth a look.",
    ]
    for name, figures in sorted(sources.items()):
        out += ["", f"### {md(name)} ({figures['n_pairs']} pairs)", ""]
        out.append(
            table(
                ["annotator", "pairs", "agree", "rate"],
                ([md(a), r["n"], r["agree"], percent(r["rate"])]
                 for a, r in figures["annotators"].items()),
            )
        )  # fmt: skip
    return out
