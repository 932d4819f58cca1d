"""The Markdown audit report: where the data came from, who made it, how reliable it is.

Pure: takes figures already computed (``quality_summary`` output and friends) and returns the
document as a string; the CLI does the reading and writing. Every piece of text that came from
a file goes through :func:`rankterm.quality.markdown.md`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rankterm.core.model import Comment, Judgment, Resolution
from rankterm.core.sanitize import inert
from rankterm.guidelines import normalize_version
from rankterm.quality.conflicts import ItemAgreement
from rankterm.quality.markdown import code, md, number, percent, table
from rankterm.quality.model_report import judges_section, suggestions_section
from rankterm.quality.rank_report import rankings_section

#: Profile fields whose values are summarised as counts; other fields are only named.
POOL_FIELDS = ("region", "country", "languages", "dialects", "expertise", "role")
#: Position-bias p-values below this are flagged in the annotator table.
BIAS_ALPHA = 0.01


@dataclass(frozen=True, slots=True)
class Source:
    """One input file as it was read."""

    kind: str
    path: str
    sha256: str
    records: int
    bad_lines: int
    detail: str = ""


@dataclass(slots=True)
class ReportData:
    summary: Mapping[str, Any]
    sources: Sequence[Source]
    judgments: Sequence[Judgment]
    resolutions: Sequence[Resolution]
    lowest: Sequence[ItemAgreement]
    generated_at: str
    version: str
    issues: Sequence[str] = ()
    profiles: Sequence[Mapping[str, Any]] | None = None
    prompts: Mapping[str, str] = field(default_factory=dict)
    max_issues: int = 50
    #: Comments on pairs (adjudicators' discussion), in journal order.
    comments: Sequence[Comment] = ()


# -- figures that only the report needs ------------------------------------------------------


def guideline_versions(judgments: Iterable[Judgment]) -> list[tuple[str | None, int, int]]:
    """``(guideline_version, judgments, annotators)`` per version, most used first. Stamps
    are normalized (:func:`rankterm.guidelines.normalize_version`): a document stamped by a
    local run and by an older task server is one version, not two."""
    counts: Counter = Counter()
    people: dict[str | None, set[str]] = defaultdict(set)
    for j in judgments:
        version = normalize_version(j.guideline_version)
        counts[version] += 1
        people[version].add(j.annotator)
    return [(v, n, len(people[v])) for v, n in counts.most_common()]


def pool_composition(
    profiles: Sequence[Mapping[str, Any]], annotators: Iterable[str]
) -> dict[str, Any]:
    """Counts over annotator profiles: only what the profiles file says, nothing inferred."""
    judging = set(annotators)
    profiled = {str(p.get("annotator")) for p in profiles if p.get("annotator") is not None}
    values: dict[str, Counter] = {}
    others: Counter = Counter()
    for profile in profiles:
        for key, value in profile.items():
            if key == "annotator":
                continue
            if key in POOL_FIELDS:
                items = value if isinstance(value, list) else [value]
                counts = values.setdefault(key, Counter())
                counts.update(str(v) for v in items if v not in (None, ""))
            else:
                others[key] += 1
    return {
        "profiles": len(profiles),
        "judging_with_profile": len(judging & profiled),
        "judging_without_profile": len(judging - profiled),
        "profiles_without_judgments": len(profiled - judging),
        "values": values,
        "other_fields": others,
    }


def adjudication_summary(
    resolutions: Sequence[Resolution], judgments: Sequence[Judgment]
) -> dict[str, Any]:
    """What was adjudicated and how; the latest resolution per pair is the label of record.
    ``unclear`` is every guideline-unclear note, whatever came after it: an expert marks the
    guideline unclear and then decides the case, and the note is still for the owner."""
    latest = {r.pair_id: r for r in resolutions}
    votes: dict[str, dict[str, Judgment]] = defaultdict(dict)
    for j in judgments:
        if j.pair_id in latest:
            current = votes[j.pair_id].get(j.annotator)
            if current is None or j.created_at < current.created_at:
                votes[j.pair_id][j.annotator] = j
    settled = [r for r in latest.values() if r.choice is not None]
    with_majority = against_majority = 0
    for r in settled:
        tally = Counter(j.choice for j in votes.get(r.pair_id, {}).values())
        top = tally.most_common(2)
        if top and (len(top) == 1 or top[0][1] > top[1][1]):
            if top[0][0] == r.choice:
                with_majority += 1
            else:
                against_majority += 1
    return {
        "records": len(resolutions),
        "pairs": len(latest),
        "settled": len(settled),
        "unclear": [r for r in resolutions if r.guideline_unclear],
        "choices": Counter(r.choice.value for r in settled if r.choice is not None),
        "adjudicators": Counter(r.adjudicator for r in latest.values()),
        "with_majority": with_majority,
        "against_majority": against_majority,
        "considered": sum(len(r.considered) for r in latest.values()),
    }


# -- sections ---------------------------------------------------------------------------------


def _sources(data: ReportData) -> list[str]:
    out = ["## Data sources", ""]
    out.append(
        table(
            ["kind", "file", "sha256", "records", "bad lines", "contents"],
            (
                [s.kind, code(s.path), code(s.sha256), s.records, s.bad_lines, md(s.detail)]
                for s in data.sources
            ),
        )
    )
    if data.issues:
        out += ["", f"Bad lines skipped ({len(data.issues)}):", ""]
        out += [f"- {md(issue, limit=300)}" for issue in data.issues[: data.max_issues]]
        if len(data.issues) > data.max_issues:
            out.append(f"- … and {len(data.issues) - data.max_issues} more")
    return out


def _pool(data: ReportData) -> list[str]:
    out = ["## Annotator pool", ""]
    if data.profiles is None:
        return [*out, "No annotator profiles file was given (`--profiles`)."]
    pool = pool_composition(data.profiles, (j.annotator for j in data.judgments))
    out.append(
        f"{pool['profiles']} profiles; {pool['judging_with_profile']} of the annotators in the "
        f"journals have one, {pool['judging_without_profile']} do not; "
        f"{pool['profiles_without_judgments']} profiled annotators made no judgment."
    )
    for key in POOL_FIELDS:
        counts = pool["values"].get(key)
        if counts:
            out += ["", f"**{key}**", ""]
            out.append(table([key, "annotators"], ([md(v), n] for v, n in counts.most_common())))
    if pool["other_fields"]:
        named = ", ".join(f"{md(k)} ({n})" for k, n in sorted(pool["other_fields"].items()))
        out += ["", f"Other profile fields present (values not summarised): {named}."]
    return out


def _guidelines(data: ReportData) -> list[str]:
    if "guideline_versions" in data.summary:  # agreement, gold and tags per version
        from rankterm.quality.versions import versions_markdown

        return versions_markdown(data.summary["guideline_versions"])
    rows = (
        [code(v) if v is not None else "(not recorded)", n, people]
        for v, n, people in guideline_versions(data.judgments)
    )
    return ["## Guideline versions", "", table(["version", "judgments", "annotators"], rows)]


def _value(entry: Mapping[str, Any]) -> str:
    value = number(entry.get("value"))
    reason = entry.get("reason")
    return f"{value} ({md(reason)})" if reason else value


def _fleiss_label(fleiss: Mapping[str, Any]) -> str:
    if "raters_per_unit" not in fleiss:
        return "Fleiss' kappa"
    return (
        f"Fleiss' kappa ({fleiss['raters_per_unit']} raters per pair; "
        f"{fleiss['units_dropped']} pairs with other counts left out)"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _agreement(summary: Mapping[str, Any]) -> list[str]:
    alpha = summary["krippendorff_alpha"]
    fleiss = summary["fleiss_kappa"]
    cohen = summary["cohen_kappa"]
    out = [
        "## Agreement",
        "",
        f"{_plural(summary['n_judgments'], 'judgment')} by "
        f"{_plural(summary['n_annotators'], 'annotator')} on "
        f"{_plural(summary['n_pairs'], 'pair')}; "
        f"{summary['n_units']} with two or more annotators. "
        f"Blind repeats not counted as votes: {summary['repeats_ignored']}. "
        f"both_bad excluded from ordinal: {summary['both_bad_excluded_from_ordinal']}.",
        "",
        "How to read the table: each measure runs from 1 (perfect agreement) down through 0 "
        "(what chance alone would give; below 0 is worse than chance), except percent agreement "
        "(the share of annotator pairs on a pair that chose the same). Fleiss' kappa and "
        "Krippendorff's alpha correct for chance; alpha also copes with pairs that some "
        "annotators skipped. Nominal: only the choice (A, B, tie, both bad) counts, or choice "
        "and strength as one label; ordinal and interval: the verdict on the -3..+3 scale "
        "(A much better = -3, tie = 0, B much better = +3), where a near miss costs less than "
        "opposite verdicts (ordinal by rank, interval by distance). Cohen's kappa is for two "
        "annotators at a time, averaged over every annotator pair: plain counts any "
        "difference, linear and quadratic weights charge a difference by its distance on the "
        "scale (quadratic: by its square). Pairs: how many pairs the measure used; n/a: too "
        "little data, with the reason.",
        "",
    ]
    rows = [
        ["Percent agreement (pairwise)", _value(summary["percent_agreement"]),
         summary["percent_agreement"].get("n_units", 0)],
        [_fleiss_label(fleiss), _value(fleiss), fleiss.get("n_units", 0)],
        ["Krippendorff's alpha, nominal (choice)", _value(alpha["nominal"]),
         alpha["nominal"]["n_units"]],
        ["Krippendorff's alpha, nominal (choice + strength)", _value(alpha["nominal_strength"]),
         alpha["nominal_strength"]["n_units"]],
        ["Krippendorff's alpha, ordinal (-3..+3)", _value(alpha["ordinal"]),
         alpha["ordinal"]["n_units"]],
        ["Krippendorff's alpha, interval (-3..+3)", _value(alpha["interval"]),
         alpha["interval"]["n_units"]],
    ]  # fmt: skip
    for weights in ("plain", "linear", "quadratic"):
        rows.append([f"Mean Cohen's kappa, {weights}", number(cohen["mean"][weights]), ""])
    out.append(table(["measure", "value", "pairs"], rows))
    if cohen["pairs"]:
        out += ["", "Cohen's kappa per annotator pair:", ""]
        out.append(
            table(
                ["annotators", "shared pairs", "kappa", "linear", "quadratic"],
                (
                    [" / ".join(md(r) for r in p["raters"]), p["n"], number(p["plain"]),
                     number(p["linear"]), number(p["quadratic"])]
                    for p in sorted(cohen["pairs"], key=lambda p: -p["n"])[:100]
                ),
            )
        )  # fmt: skip
        if len(cohen["pairs"]) > 100:
            more = len(cohen["pairs"]) - 100
            out.append(f"\n({more} more pairs in `rankterm agreement --json`.)")
    return out


def _rate(rate: Mapping[str, Any]) -> str:
    return "n/a" if not rate["n"] else f"{percent(rate['rate'])} of {rate['n']}"


def _annotators(summary: Mapping[str, Any]) -> list[str]:
    rows = []
    for a in summary["annotators"]:
        left = a["position_left"]
        bias = "n/a"
        if left["n"]:
            bias = f"{percent(left['rate'])} (p={a['position_p']:.3g})"
            if a["position_p"] is not None and a["position_p"] < BIAS_ALPHA:
                bias = f"**{bias}**"
        seconds = a["median_duration_ms"]
        slope = a["duration_slope_ms"]
        trend = a["agreement_slope"]
        tags = ", ".join(f"{md(t)} {n}" for t, n in list(a["tags"].items())[:3])
        rows.append([
            md(a["annotator"]), a["judgments"], _rate(a["gold"]), _rate(a["gold_close"]),
            _rate(a["majority"]), _rate(a["adjudicated"]), _rate(a["self_consistency"]), bias,
            "n/a" if seconds is None else f"{seconds / 1000:.1f}", a["sessions"],
            "n/a" if slope is None else f"{slope:+.0f}",
            "n/a" if trend is None else f"{100 * trend:+.2f}", tags or "—",
        ])  # fmt: skip
    headers = [
        "annotator", "judgments", "gold", "gold ±1", "majority", "adjudicated",
        "self-consistency", "left picks (p)", "median s", "sessions", "Δ ms/label",
        "Δ agree/100", "top tags",
    ]  # fmt: skip
    return [
        "## Per-annotator quality",
        "",
        "Gold, majority and adjudicated agreement use each annotator's first verdict per pair; "
        "self-consistency compares blind repeats with it. Left picks: share of A/B verdicts for "
        "the response shown on the left, exact binomial test against 50% "
        f"(bold: p below {BIAS_ALPHA}). "
        "Δ columns: within-session trend per label (time) and per 100 labels (agreement with "
        "gold, else with the majority); sessions split at gaps over 30 minutes.",
        "",
        table(headers, rows),
    ]


def _slices(summary: Mapping[str, Any]) -> list[str]:
    out = ["## Slices", ""]
    if not summary["slices"]:
        return [*out, "No slice keys."]
    for key, stats in summary["slices"].items():
        out += [f"### {md(key)}", ""]
        out.append(
            table(
                ["value", "pairs", "judgments", "pairs with 2+", "percent", "alpha (nominal)"],
                (
                    [md(s["value"], limit=80), s["pairs"], s["judgments"], s["units"],
                     percent(s["percent_agreement"]), number(s["alpha_nominal"])]
                    for s in stats
                ),
            )
        )  # fmt: skip
        out.append("")
    return out


def _coverage(summary: Mapping[str, Any]) -> list[str]:
    out = ["## Coverage against quotas", ""]
    if not summary["coverage"]:
        return [*out, "No quotas given (`--quota KEY=VALUE:N`)."]
    gaps = [c for c in summary["coverage"] if not c["met"]]
    out.append(
        f"{len(summary['coverage']) - len(gaps)} of {len(summary['coverage'])} quotas met. "
        "Have: judged pairs in the slice; available: pairs in the pairs file."
    )
    out.append("")
    rows = []
    for c in summary["coverage"]:
        status = "met" if c["met"] else f"**GAP {c['gap']}**"
        if not c["met"] and c["available"] < c["need"]:
            status += " (not enough pairs in the file)"
        rows.append([md(c["quota"]), c["have"], c["need"], c["gap"], c["available"], status])
    out.append(table(["quota", "have", "need", "gap", "available", "status"], rows))
    return out


def _discussion(comments: Sequence[Comment]) -> list[str]:
    if not comments:
        return []
    out = ["", f"Comments on pairs ({len(comments)}):", ""]
    for c in sorted(comments, key=lambda c: (c.pair_id, c.created_at)):
        out.append(f"- {code(c.pair_id)} ({md(c.author)}): {md(c.text, limit=500)}")
    return out


def _adjudication(data: ReportData) -> list[str]:
    out = ["## Adjudication", ""]
    if not data.resolutions:
        return [*out, "No resolutions in the journals.", *_discussion(data.comments)]
    adj = adjudication_summary(data.resolutions, data.judgments)
    unclear_pairs = len({r.pair_id for r in adj["unclear"]})
    out.append(
        f"{adj['records']} resolution records on {adj['pairs']} pairs (the latest per pair is "
        f"the label of record): {adj['settled']} settled, {len(adj['unclear'])} marked "
        f"guideline-unclear (on {_plural(unclear_pairs, 'pair')}). "
        f"Settled labels that agree with the annotators' majority: "
        f"{adj['with_majority']}; that overrule it: {adj['against_majority']}. Judgments on "
        f"the table when deciding: {adj['considered']}."
    )
    by_adjudicator = ([md(a), n] for a, n in adj["adjudicators"].most_common())
    by_label = ([md(c), n] for c, n in adj["choices"].most_common())
    out += ["", table(["adjudicator", "pairs"], by_adjudicator)]
    out += ["", table(["label of record", "pairs"], by_label)]
    if adj["unclear"]:
        out += ["", "Guideline-unclear notes:", ""]
        for r in sorted(adj["unclear"], key=lambda r: r.pair_id):
            note = md(r.note or r.rationale or "(no note)", limit=500)
            out.append(f"- {code(r.pair_id)} ({md(r.adjudicator)}): {note}")
    return [*out, *_discussion(data.comments)]


def _verdict(choice: str, strength: int | None) -> str:
    return choice if strength is None else f"{choice}{strength}"


def _lowest(data: ReportData) -> list[str]:
    out = ["## Lowest-agreement items", ""]
    # A pair everyone agreed on (the same choice, whatever the strength) is not a low one.
    items = [item for item in data.lowest if item.agreement < 1.0]
    if not items:
        if data.summary.get("n_units"):
            return [*out, "Every pair with two or more annotators has their full agreement."]
        return [*out, "No pair has verdicts from two or more annotators."]
    out += [
        "Pairs whose annotators chose differently, least agreement first: agreement is the "
        "share of annotator pairs that chose the same (A, B, tie or both bad); entropy, in "
        "bits, how evenly the choices are split. Verdicts: A or B with strength 1 (slightly), "
        "2 (better) or 3 (much better).",
        "",
    ]
    for item in items:
        out.append(
            f"### {code(item.pair_id)}: agreement {percent(item.agreement)}, "
            f"entropy {item.entropy:.2f} bits"
        )
        prompt = data.prompts.get(item.pair_id)
        if prompt:
            out += ["", f"Prompt: {md(prompt, limit=300)}"]
        out += ["", table(
            ["annotator", "verdict", "rationale", "tags"],
            (
                [md(v.annotator), md(_verdict(v.choice.value, v.strength)),
                 md(v.rationale, limit=500) or "—", md(", ".join(v.tags)) or "—"]
                for v in item.verdicts
            ),
        ), ""]  # fmt: skip
    return out


def render_report(data: ReportData) -> str:
    """The whole audit document."""
    from rankterm.quality.cost import cost_markdown
    from rankterm.quality.negatives_report import negatives_markdown

    sections = [
        [
            "# Annotation audit report",
            "",
            f"Generated {data.generated_at} by rankterm {data.version}.",
        ],
        _sources(data),
        _pool(data),
        _guidelines(data),
        _agreement(data.summary),
        rankings_section(data.summary),
        _annotators(data.summary),
        _slices(data.summary),
        _coverage(data.summary),
        cost_markdown(data.summary),
        negatives_markdown(data.judgments, {r.pair_id: r for r in data.resolutions}),
        _adjudication(data),
        judges_section(data.summary),
        suggestions_section(data.summary),
        _lowest(data),
    ]
    sections = [section for section in sections if section]
    text = "\n\n".join("\n".join(section).rstrip() for section in sections) + "\n"
    return inert(text)
