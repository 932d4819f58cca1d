"""Figures per guideline version, and what re-judging under a new version changed.

Every judgment carries the stamp of the guideline text it was made under
(``guideline_version``, normalized as :func:`rankterm.guidelines.normalize_version` does). Per
version: how many judgments and annotators, agreement among the verdicts made under it (a pair
judged by one person under v1 and another under v2 is a unit of neither), gold accuracy, and
how often each tag was used. A guideline change should show up here: a clarified section
lifts agreement, or moves a tag's rate.

Re-judgments: a pair judged under an earlier version and again under a later one (re-queued
after the guidelines changed, see ``rankterm guidelines requeue``). Its verdict under a version
is the most common choice among that version's judgments of it (ties broken by the earliest
verdict); a pair *changed* when the later version's verdict differs from the earliest one's.
Earlier verdicts stay in the journals; nothing here drops them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from rankterm.core.model import Gold, Judgment
from rankterm.guidelines import normalize_version
from rankterm.quality.agreement import percent_agreement
from rankterm.quality.krippendorff import krippendorff_alpha
from rankterm.quality.table import NotEnoughData, first_by_unit, ratings_from_grouped

NOT_RECORDED = "(not recorded)"


def _version(j: Judgment) -> str:
    return normalize_version(j.guideline_version) or NOT_RECORDED


def version_figures(
    judgments: Iterable[Judgment],
    gold: Mapping[str, Gold] | None = None,
    overall: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"versions": [...], "rejudged": {...}}``: per-version figures (first use first) and
    the re-judgment changes between versions (see the module docstring).

    ``overall`` is :func:`~rankterm.quality.summary.quality_summary` output for the same
    judgments: with a single version (the usual case) its agreement is that version's, and
    the table is not built twice."""
    gold = gold or {}
    by_version: dict[str, list[Judgment]] = defaultdict(list)
    first_seen: dict[str, Any] = {}
    for j in judgments:
        version = _version(j)
        by_version[version].append(j)
        if version not in first_seen or j.created_at < first_seen[version]:
            first_seen[version] = j.created_at
    order = sorted(by_version, key=lambda v: first_seen[v])
    shared = overall if len(order) == 1 else None
    versions = [_figures(v, by_version[v], gold, shared) for v in order]
    return {"versions": versions, "rejudged": _rejudged(order, by_version)}


def _agreement(own: list[Judgment]) -> tuple[int, dict[str, Any]]:
    grouped, _ = first_by_unit(own)
    ratings = ratings_from_grouped(grouped, scale="nominal")
    agreement: dict[str, Any] = {"units": ratings.n_pairable()}
    try:
        agreement["percent"] = round(percent_agreement(ratings), 4)
        agreement["alpha_nominal"] = round(krippendorff_alpha(ratings, "nominal"), 4)
    except NotEnoughData as exc:
        agreement.update(percent=None, alpha_nominal=None, reason=str(exc))
    return len(grouped), agreement


def _from_overall(overall: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    percent = overall["percent_agreement"]
    alpha = overall["krippendorff_alpha"]["nominal"]
    agreement: dict[str, Any] = {
        "units": overall["n_units"],
        "percent": None if percent["value"] is None else round(percent["value"], 4),
        "alpha_nominal": None if alpha["value"] is None else round(alpha["value"], 4),
    }
    reason = percent.get("reason") or alpha.get("reason")
    if reason:
        agreement["reason"] = reason
    return overall["n_pairs"], agreement


def _figures(
    version: str,
    own: list[Judgment],
    gold: Mapping[str, Gold],
    overall: Mapping[str, Any] | None,
) -> dict[str, Any]:
    pairs, agreement = _agreement(own) if overall is None else _from_overall(overall)
    on_gold = [j for j in own if j.pair_id in gold]
    hits = sum(1 for j in on_gold if j.choice == gold[j.pair_id].choice)
    tags: Counter[str] = Counter(t for j in own for t in set(j.tags))
    tagged = sum(1 for j in own if j.tags)
    return {
        "version": version,
        "judgments": len(own),
        "annotators": len({j.annotator for j in own}),
        "pairs": pairs,
        "agreement": agreement,
        "gold": {
            "hits": hits,
            "n": len(on_gold),
            "rate": round(hits / len(on_gold), 4) if on_gold else None,
        },
        "tagged_rate": round(tagged / len(own), 4) if own else None,
        "tag_rates": {t: round(n / len(own), 4) for t, n in sorted(tags.items())},
    }


def _verdicts(own: list[Judgment]) -> dict[str, str]:
    """pair id -> the most common choice (earliest verdict first among equals)."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[str, dict[str, Any]] = defaultdict(dict)
    for j in own:
        choice = str(j.choice)
        votes[j.pair_id][choice] += 1
        first[j.pair_id].setdefault(choice, j.created_at)
        if j.created_at < first[j.pair_id][choice]:
            first[j.pair_id][choice] = j.created_at
    return {
        pair: min(counts, key=lambda c: (-counts[c], first[pair][c]))
        for pair, counts in votes.items()
    }


def _rejudged(order: list[str], by_version: Mapping[str, list[Judgment]]) -> dict[str, Any]:
    # Only pairs judged under two versions or more can have changed: the verdicts of the
    # rest are never needed (one version, the usual case, needs none at all).
    seen: Counter[str] = Counter()
    for version in order:
        seen.update({j.pair_id for j in by_version[version]})
    again = {pair for pair, n in seen.items() if n > 1}
    verdicts = {v: _verdicts([j for j in by_version[v] if j.pair_id in again]) for v in order}
    earliest: dict[str, tuple[str, str]] = {}  # pair -> (version, verdict) of its first version
    transitions = []
    pairs_total = changed_total = 0
    for version in order:
        later = verdicts[version]
        moved: Counter[str] = Counter()
        for pair, verdict in later.items():
            before = earliest.get(pair)
            if before is None:
                earliest[pair] = (version, verdict)
                continue
            moved[before[0]] += 1
            moved[f"{before[0]}\x00changed"] += verdict != before[1]
        for old in order:
            n = moved.get(old, 0)
            if n:
                changed = moved[f"{old}\x00changed"]
                transitions.append(
                    {"from": old, "to": version, "pairs": n, "changed": changed,
                     "changed_rate": round(changed / n, 4)}
                )  # fmt: skip
                pairs_total += n
                changed_total += changed
    return {
        "pairs": pairs_total,
        "changed": changed_total,
        "changed_rate": round(changed_total / pairs_total, 4) if pairs_total else None,
        "transitions": transitions,
    }


def versions_markdown(figures: Mapping[str, Any]) -> list[str]:
    """The report's per-version tables (agreement, gold, tags) and the re-judgment changes."""
    from rankterm.quality.markdown import code, md, number, percent, table

    def name(version: str) -> str:
        return version if version == NOT_RECORDED else code(version)

    rows = []
    for v in figures["versions"]:
        top = sorted(v["tag_rates"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        rows.append(
            [
                name(v["version"]),
                v["judgments"],
                v["annotators"],
                v["agreement"]["units"],
                percent(v["agreement"]["percent"]),
                number(v["agreement"]["alpha_nominal"]),
                f"{percent(v['gold']['rate'])} (n={v['gold']['n']})",
                percent(v["tagged_rate"]),
                md(", ".join(f"{t} {percent(r)}" for t, r in top)) or "—",
            ]
        )
    out = [
        "## Guideline versions",
        "",
        "In order of first use. Agreement counts only verdicts made under the same version; "
        "gold: accuracy on gold items; tagged: share of judgments with any tag.",
        "",
        table(
            [
                "version",
                "judgments",
                "annotators",
                "pairs with 2+",
                "percent",
                "alpha",
                "gold",
                "tagged",
                "top tags",
            ],
            rows,
        ),
    ]
    rejudged = figures["rejudged"]
    if rejudged["pairs"]:
        out += [
            "",
            f"Re-judged under a later version: {rejudged['pairs']} pairs, "
            f"{rejudged['changed']} changed verdict ({percent(rejudged['changed_rate'])}).",
            "",
            table(
                ["from", "to", "pairs", "changed", "rate"],
                (
                    [
                        name(t["from"]),
                        name(t["to"]),
                        t["pairs"],
                        t["changed"],
                        percent(t["changed_rate"]),
                    ]
                    for t in rejudged["transitions"]
                ),
            ),
        ]
    return out
