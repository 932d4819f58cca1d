"""``rankterm agreement`` and ``rankterm report``: how reliable the annotations are.

The numbers come from :mod:`rankterm.quality` (pure functions); this module reads the files,
reports bad lines as ``file:line: reason`` on stderr and keeps going, and renders the result
as rich tables, one JSON object, or a Markdown audit report.

Exit codes: 0 success, 1 nothing to measure (no pair judged by two or more annotators) or an
unreadable input, 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rankterm.core.errors import LoadIssue
    from rankterm.core.model import Gold
    from rankterm.quality.report import Source
    from rankterm.storage.index import PairIndex
    from rankterm.storage.journal_columns import LeanState

JOURNALS = typer.Argument(
    ...,
    exists=True,
    dir_okay=False,
    readable=True,
    metavar="JOURNAL",
    help="Journal files (JSONL), e.g. one per annotator.",
)
#: Metadata keys with more distinct values than this are not sliced automatically.
AUTO_SLICE_MAX_VALUES = 30


def agreement_command(
    journals: list[Path] = JOURNALS,
    pairs: Path | None = typer.Option(
        None,
        "--pairs",
        exists=True,
        dir_okay=False,
        help="Pairs file: enables gold accuracy and metadata slices.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead."),
    by: list[str] = typer.Option(
        [],
        "--by",
        metavar="KEY",
        help="Slice by a key: metadata.KEY, tags, model, judgment.tags, "
        "judgment.guideline_version (or another judgment field; repeatable).",
    ),
    judge: list[Path] = typer.Option(
        [],
        "--judge",
        exists=True,
        dir_okay=False,
        help="Verdicts of `rankterm judge` (source: model) to measure against people.",
    ),
) -> None:
    """Inter-annotator agreement: percent, Cohen, Fleiss, Krippendorff, per annotator."""
    from rankterm.core.errors import RanktermError
    from rankterm.quality import quality_summary
    from rankterm.quality.versions import version_figures

    pair_keys = _pair_keys(by)
    if pair_keys and pairs is None:
        _usage(f"--by {pair_keys[0]} needs --pairs (pair properties are in the pairs file)")
    state, issues, sources = _read_journals(journals)
    gold: dict[str, Gold] = {}
    labels: dict[str, dict[str, list[str]]] = {}
    model_pairs: dict[str, str] = {}
    if pairs is not None:
        index, gold, labels, pair_source = _scan_pairs(pairs, pair_keys, auto=False)
        _check_pair_keys(pair_keys, labels)
        model_pairs = _model_pairs(index)
        index.close()
        issues += index.issues
        sources.append(pair_source)
    rankings, issues = _ranking_section(journals, pairs, issues)
    _report_issues(issues)
    judgments = state.active()
    summary = quality_summary(
        judgments,
        gold=gold,
        resolutions=state.latest_resolutions(),
        slice_labels=labels,
        slice_keys=by,
    )
    if rankings is not None:
        summary["rankings"] = rankings
    if summary["n_units"] == 0 and (rankings is None or not rankings["n_shared_tasks"]):
        raise RanktermError(
            f"nothing to measure: no pair has judgments from two or more annotators "
            f"({summary['n_judgments']} judgments on {summary['n_pairs']} pairs)"
        )
    _add_cost(summary, judgments, gold, state.latest_resolutions(), by, labels, model_pairs)
    summary["guideline_versions"] = version_figures(judgments, gold, summary)
    _add_model_figures(summary, judge, judgments, state.latest_resolutions(), pairs, labels)
    if as_json:
        import orjson

        summary["sources"] = [_source_dict(s) for s in sources]
        summary["bad_lines"] = len(issues)
        typer.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        return
    if summary["n_units"]:
        _print_summary(summary)
    else:
        typer.echo("no pair has judgments from two or more annotators (pairwise: nothing to show)")
    if "cost" in summary:
        total, currency = summary["cost"]["total"], summary["cost"]["currency"]
        typer.echo(
            f"cost: {total['cost']} {currency} for {total['labels']} labels; per label "
            f"{total['cost_per_label']}, per accepted label {total['cost_per_accepted_label']}"
        )
    if rankings is not None:
        _print_rankings(rankings)
    for name, figures in summary.get("judges", {}).items():
        typer.echo(
            f"judge {name}: kappa vs humans {figures['kappa_vs_humans']} "
            f"(n={figures['n_vs_humans']}), vs adjudicated {figures['kappa_vs_adjudicated']}, "
            f"flip rate {figures['flip_rate']}, longer wins "
            f"{figures['length_bias']['judge_longer_win_rate']} (people "
            f"{figures['length_bias']['human_longer_win_rate']})"
        )
    from rankterm.core.sanitize import inert

    for name, figures in summary.get("suggestions", {}).items():
        rates = ", ".join(
            f"{who} {row['agree']}/{row['n']}" for who, row in figures["annotators"].items()
        )
        typer.echo(inert(f"agreement with {name} ({figures['n_pairs']} pairs): {rates or '-'}"))


def _add_model_figures(
    summary: dict[str, Any],
    judge: list[Path],
    judgments: list[Any],
    resolutions: dict[str, Any],
    pairs: Path | None,
    labels: dict[str, dict[str, list[str]]],
) -> None:
    """The judges' figures (``--judge``) and agreement with suggestions (judges' verdicts and
    reward scores in the pairs file), added to ``summary`` when there is anything to measure.
    Model verdicts are compared with people, never counted among them."""
    from rankterm.quality.suggestions import suggestion_figures

    records = _read_model_verdicts(judge) if judge else []
    if judge:
        from rankterm.quality.judges import judge_metrics

        summary["judges"] = judge_metrics(
            records,
            judgments,
            resolutions,
            _response_lengths(pairs) if pairs is not None else None,
            labels,
        )
    rewards = _pair_rewards(pairs) if pairs is not None else {}
    if records or rewards:
        summary["suggestions"] = suggestion_figures(judgments, records, rewards)


def _pair_rewards(pairs: Path) -> dict[str, dict[str, Any]]:
    """pair id -> metadata, for the pairs that carry a reward-model score."""
    import orjson

    from rankterm.core.suggestions import reward_scores

    found = {}
    with pairs.open("rb") as handle:
        for raw in handle:
            if b"reward" not in raw and b"score_a" not in raw:
                continue  # most lines: no need to parse
            try:
                data = orjson.loads(raw)
                metadata = data.get("metadata") or {}
                if reward_scores(metadata) is not None:
                    found[str(data["id"])] = metadata
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                continue  # bad lines are already reported by the pairs scan
    return found


def _read_model_verdicts(paths: list[Path]) -> list[dict[str, Any]]:
    """Records of ``rankterm judge`` files (torn lines skipped, as the writer allows)."""
    from rankterm.llm.writer import read_records

    return [record for path in paths for record in read_records(path)]


def _response_lengths(pairs: Path) -> dict[str, tuple[int, int]]:
    """pair id -> (len(response_a), len(response_b)), for the judges' length bias."""
    import orjson

    lengths = {}
    with pairs.open("rb") as handle:
        for raw in handle:
            try:
                data = orjson.loads(raw)
                lengths[str(data["id"])] = (len(data["response_a"]), len(data["response_b"]))
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue  # bad lines are already reported by the pairs scan
    return lengths


def report_command(
    journals: list[Path] = JOURNALS,
    pairs: Path = typer.Option(
        ..., "--pairs", exists=True, dir_okay=False, help="The pairs file that was judged."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the Markdown."),
    force: bool = typer.Option(
        False, "--force", "-f", help="Replace the output file if it exists."
    ),
    profiles: Path | None = typer.Option(
        None,
        "--profiles",
        exists=True,
        dir_okay=False,
        help='Annotator profiles (JSONL: {"annotator", "region", "languages", ...}).',
    ),
    quota: list[str] = typer.Option(
        [],
        "--quota",
        metavar="KEY=VALUE:N",
        help="Collection target, e.g. metadata.dialect=AAVE:200 (repeatable).",
    ),
    by: list[str] = typer.Option(
        [],
        "--by",
        metavar="KEY",
        help="Slice keys (default: every metadata key with few values).",
    ),
    lowest: int = typer.Option(
        20, "--lowest", min=0, help="How many lowest-agreement items to list."
    ),
    judge: list[Path] = typer.Option(
        [],
        "--judge",
        exists=True,
        dir_okay=False,
        help="Verdicts of `rankterm judge` (source: model) to measure against people.",
    ),
) -> None:
    """Write a Markdown audit report: sources, pool, guidelines, agreement, slices, quotas."""
    from rankterm.formats.transfer import refuse_overwrite

    refuse_overwrite(output, force)
    from datetime import UTC, datetime

    from rankterm import __version__
    from rankterm.core.errors import display_path
    from rankterm.quality import lowest_agreement, quality_summary
    from rankterm.quality.report import ReportData, render_report
    from rankterm.quality.slices import JUDGMENT_TAGS, parse_quota
    from rankterm.quality.versions import version_figures

    try:
        quotas = [parse_quota(spec) for spec in quota]
    except ValueError as exc:
        _usage(str(exc))
    wanted = _pair_keys(by) + [q.key for q in quotas if q.key != JUDGMENT_TAGS]
    state, issues, sources = _read_journals(journals)
    index, gold, labels, pair_source = _scan_pairs(pairs, wanted, auto=not by)
    _check_pair_keys(_pair_keys(by), labels)
    issues += index.issues
    sources.append(pair_source)
    rankings, issues = _ranking_section(journals, pairs, issues)
    profile_rows = None
    if profiles is not None:
        profile_rows, profile_source = _read_profiles(profiles, issues)
        sources.append(profile_source)
    _report_issues(issues)
    judgments = state.active()
    slice_keys = list(by) if by else list(labels)
    summary = quality_summary(
        judgments,
        gold=gold,
        resolutions=state.latest_resolutions(),
        slice_labels=labels,
        slice_keys=slice_keys,
        quotas=quotas,
    )
    _add_cost(
        summary,
        judgments,
        gold,
        state.latest_resolutions(),
        slice_keys,
        labels,
        _model_pairs(index),
    )
    summary["guideline_versions"] = version_figures(judgments, gold, summary)
    _add_model_figures(summary, judge, judgments, state.latest_resolutions(), pairs, labels)
    if rankings is not None:
        summary["rankings"] = rankings
    items = lowest_agreement(judgments, limit=lowest) if lowest else []
    items = [item for item in items if item.agreement < 1.0]  # full agreement is not low
    prompts = {}
    for item in items:
        if item.pair_id in index:
            prompts[item.pair_id] = index.by_id(item.pair_id).last_user_text
    index.close()
    text = render_report(
        ReportData(
            summary=summary,
            sources=sources,
            judgments=judgments,
            resolutions=state.resolutions,
            lowest=items,
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            version=__version__,
            issues=[str(i) for i in issues],
            profiles=profile_rows,
            prompts=prompts,
            comments=state.comments,
        )
    )
    from rankterm.formats.transfer import atomic_output

    with atomic_output(output) as handle:  # never through a link planted at --output
        handle.write(text.encode("utf-8"))
    typer.echo(
        f"wrote {display_path(output)}: {summary['n_judgments']} judgments, "
        f"{summary['n_units']} pairs with 2+ annotators, {len(items)} low-agreement items"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("agreement")(agreement_command)
    app.command("report")(report_command)


# -- reading ---------------------------------------------------------------------------------


def _model_pairs(index: PairIndex) -> dict[str, str]:
    """pair id -> ``"model_a vs model_b"`` (sorted names), for cost per model pair; empty
    when no rates are configured (the pass over the pairs file is then skipped)."""
    from rankterm.config import load_settings
    from rankterm.quality.cost import model_pair_name
    from rankterm.storage.pair_columns import scan_pairs

    if not load_settings().rates:
        return {}
    return {pair.id: model_pair_name(*pair.models()) for pair in scan_pairs(index)}


def _add_cost(
    summary: dict[str, Any],
    judgments: list[Any],
    gold: dict[str, Gold],
    resolutions: Any,
    slice_keys: list[str],
    labels: dict[str, dict[str, list[str]]],
    model_pairs: dict[str, str],
) -> None:
    """``summary["cost"]``: cost per label from the config's ``[rates]`` (nothing without)."""
    from rankterm.config import load_settings
    from rankterm.quality.cost import cost_summary

    settings = load_settings()
    if not settings.rates:
        return
    summary["cost"] = cost_summary(
        judgments,
        settings.rates,
        currency=settings.currency,
        gold=gold,
        resolutions=resolutions,
        slice_keys=slice_keys,
        slice_labels=labels,
        model_pairs=model_pairs,
    )


def _pair_keys(by: list[str]) -> list[str]:
    """The ``--by`` keys read from the pairs file; a judgment key that names no field of a
    judgment is a usage error here, before any file is read."""
    from rankterm.quality.slices import JUDGMENT_PREFIX, UnknownSliceKey, check_judgment_key

    try:
        for key in by:
            check_judgment_key(key)
    except UnknownSliceKey as exc:
        _usage(str(exc))
    return [k for k in by if not k.startswith(JUDGMENT_PREFIX)]


def _check_pair_keys(keys: list[str], labels: dict[str, dict[str, list[str]]]) -> None:
    """A pair key that no pair has is a usage error (a typo), not a ``(none)`` slice."""
    from rankterm.quality.slices import UnknownSliceKey, check_pair_key

    try:
        for key in keys:
            check_pair_key(key, labels.get(key, {}))
    except UnknownSliceKey as exc:
        _usage(str(exc))


def _usage(message: str) -> None:
    from rankterm.core.errors import UsageError

    raise UsageError(message)


def _sha256(path: Path) -> str:
    import hashlib

    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_journals(paths: list[Path]) -> tuple[LeanState, list[LoadIssue], list[Source]]:
    """Replay the journals the lean way (a million judgments in a few hundred MB)."""
    import gc

    from rankterm.core.errors import display_path
    from rankterm.quality.report import Source
    from rankterm.storage.journal_columns import kinds_detail, read_lean

    issues: list[LoadIssue] = []
    state = read_lean(paths, issues)
    # An order of record settles a ranking task (its own section), not a pair's vote.
    state.resolutions = [r for r in state.resolutions if r.order is None]
    # A million long-lived rows: keep the cyclic collector from re-scanning them on every
    # allocation burst that follows (this is a one-shot command process).
    gc.freeze()
    sources = [
        Source(
            "journal",
            display_path(f.path),
            _sha256(f.path),
            f.records,
            f.bad_lines,
            kinds_detail(f.kinds),
        )
        for f in state.files
    ]
    return state, issues, sources


def _scan_pairs(
    path: Path, keys: list[str], *, auto: bool
) -> tuple[PairIndex, dict[str, Gold], dict[str, dict[str, list[str]]], Source]:
    """One pass over the pairs file: gold verdicts and slice labels.

    With ``auto``, every top-level metadata key becomes a slice key unless it looks like free
    text (see :func:`_worth_slicing`).
    """
    from rankterm.core.errors import display_path
    from rankterm.quality.report import Source
    from rankterm.quality.slices import MISSING
    from rankterm.storage.index import index_pairs
    from rankterm.storage.pair_columns import scan_pairs

    index = index_pairs(path)
    gold: dict[str, Gold] = {}
    labels: dict[str, dict[str, list[str]]] = {k: {} for k in dict.fromkeys(keys)}
    discovered: dict[str, set[str]] = {}
    # Pairs share a few label lists ("coding", "en"...): one list object per distinct value
    # keeps a million pairs' slice tables small. Nothing downstream mutates them.
    shared: dict[tuple[str, ...], list[str]] = {}
    with_gold = 0
    for pair in scan_pairs(index):
        pair_gold = pair.gold()
        if pair_gold is not None:
            gold[pair.id] = pair_gold
            with_gold += 1
        found: dict[str, list[str]] = {}  # one pair's labels, each key computed once
        for key in labels:
            values = pair.labels(key)
            values = shared.setdefault(tuple(values), values)
            labels[key][pair.id] = found[key] = values
        if auto:
            for name in pair.metadata():
                key = f"metadata.{name}"
                if key in labels and key not in discovered:
                    continue
                values = found.get(key)
                if values is None:
                    values = pair.labels(key)
                    values = shared.setdefault(tuple(values), values)
                seen = discovered.setdefault(key, set())
                if len(seen) <= AUTO_SLICE_MAX_VALUES:
                    seen.update(values)
                    labels.setdefault(key, {})[pair.id] = values
    for key, seen in discovered.items():
        if not _worth_slicing(seen, labels.get(key, {})):
            labels.pop(key, None)
            continue
        table = labels[key]
        missing = [MISSING]
        for pair_id in index.ids:
            table.setdefault(pair_id, missing)
    source = Source(
        "pairs",
        display_path(path),
        _sha256(path),
        len(index),
        len(index.issues),
        f"{len(index)} pairs, {with_gold} with gold",
    )
    return index, gold, labels, source


def _worth_slicing(values: set[str], labelled: dict[str, list[str]]) -> bool:
    """A discovered metadata key is a slice if it has few values that repeat (not free text)."""
    from rankterm.quality.slices import MISSING

    distinct = len(values - {MISSING})
    having = sum(1 for labels in labelled.values() if labels != [MISSING])
    return 0 < distinct <= AUTO_SLICE_MAX_VALUES and (distinct <= 5 or 2 * distinct <= having)


def _read_profiles(path: Path, issues: list[LoadIssue]) -> tuple[list[dict[str, Any]], Source]:
    import orjson

    from rankterm.core.errors import LoadIssue, display_path
    from rankterm.quality.report import Source

    shown = display_path(path)
    rows: list[dict[str, Any]] = []
    bad = 0
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                issues.append(LoadIssue(shown, line_no, f"invalid JSON ({exc.msg})"))
                bad += 1
                continue
            if not isinstance(data, dict) or not isinstance(data.get("annotator"), str):
                issues.append(LoadIssue(shown, line_no, 'expected an object with "annotator"'))
                bad += 1
                continue
            rows.append(data)
    source = Source("profiles", shown, _sha256(path), len(rows), bad, f"{len(rows)} profiles")
    return rows, source


def _ranking_section(
    journals: list[Path], pairs: Path | None, issues: list[LoadIssue]
) -> tuple[dict[str, Any] | None, list[LoadIssue]]:
    """Agreement on K-way rankings (None when the journals hold none), and the issues without
    the pairs file's ranking lines, which the pairwise reader takes for broken pairs."""
    from rankterm.formats.rank_data import read_rank_records, read_rank_tasks
    from rankterm.quality.rank_agreement import gold_tau, rank_agreement

    records = read_rank_records(journals, issues)
    found = read_rank_tasks(pairs) if pairs is not None else None
    if found is not None and found.lines:
        issues = found.without_rank_lines(issues)
    if not records.rankings:
        if found is not None and found.tasks:
            typer.echo(
                f"{len(found.tasks)} K-way ranking tasks in the pairs file, no rankings of "
                "them in the journals",
                err=True,
            )
        return None, issues
    standing = records.standing()
    section = rank_agreement(standing)
    if found is not None:
        section["gold_tau"] = gold_tau(standing, found.tasks)
    return section, issues


def _print_rankings(section: dict[str, Any]) -> None:
    from rankterm.core.sanitize import inert

    w, alpha, implied = section["kendall_w"], section["alpha_ranks"], section["implied_pairs"]
    typer.echo(
        f"rankings: {section['n_rankings']} by {section['n_annotators']} annotators on "
        f"{section['n_tasks']} tasks; {section['n_shared_tasks']} tasks ranked by 2+ annotators"
    )
    typer.echo(f"  Kendall's W (mean over {w['n_tasks']} tasks): {_num(w['mean'])}")
    typer.echo(
        f"  alpha over ranks: ordinal {_num(alpha['ordinal'])}, interval "
        f"{_num(alpha['interval'])} ({alpha['n_units']} candidates)"
    )
    typer.echo(
        f"  implied pairs: {_num(implied['percent'])} agreement, alpha nominal "
        f"{_num(implied['alpha_nominal'])} ({implied['n_comparisons']} comparisons)"
    )
    for who, tau in section.get("gold_tau", {}).items():
        typer.echo(
            f"  gold tau {inert(who)}: mean {_num(tau['mean_tau'])} over {tau['n']} "
            f"gold rankings (min {_num(tau['min_tau'])})"
        )


def _report_issues(issues: list[LoadIssue]) -> None:
    from rankterm.core.sanitize import inert

    for issue in issues:
        typer.echo(inert(str(issue)), err=True)


def _source_dict(source: Source) -> dict[str, Any]:
    return {
        "kind": source.kind,
        "path": source.path,
        "sha256": source.sha256,
        "records": source.records,
        "bad_lines": source.bad_lines,
    }


# -- terminal rendering ----------------------------------------------------------------------


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _rate(rate: dict[str, Any]) -> str:
    return "—" if not rate["n"] else f"{100 * rate['rate']:.0f}%/{rate['n']}"


def _measure_row(name: str, entry: dict[str, Any], note: str = "") -> list[str]:
    reason = entry.get("reason")
    return [name, _num(entry.get("value")), str(entry.get("n_units", "")), reason or note]


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from rankterm.core.sanitize import inert

    def text(value: object) -> Text:
        return Text(inert(str(value)))

    console = Console(highlight=False)
    console.print(
        f"{summary['n_judgments']} judgments by {summary['n_annotators']} annotators on "
        f"{summary['n_pairs']} pairs; {summary['n_units']} pairs with 2+ annotators; "
        f"{summary['repeats_ignored']} repeat judgments not counted as votes."
    )
    alpha = summary["krippendorff_alpha"]
    fleiss = summary["fleiss_kappa"]
    excluded = summary["both_bad_excluded_from_ordinal"]
    overall = Table(title="Agreement", title_justify="left")
    for column in ("measure", "value", "pairs", "note"):
        overall.add_column(column, justify="right" if column in ("value", "pairs") else "left")
    rows = [
        _measure_row("percent agreement", summary["percent_agreement"]),
        _measure_row(
            "Fleiss' kappa",
            fleiss,
            f"{fleiss.get('raters_per_unit', '?')} raters per pair; "
            f"{fleiss.get('units_dropped', 0)} pairs with other counts left out",
        ),
        _measure_row("alpha nominal", alpha["nominal"]),
        _measure_row("alpha nominal (with strength)", alpha["nominal_strength"]),
        _measure_row("alpha ordinal", alpha["ordinal"], f"both_bad excluded: {excluded}"),
        _measure_row("alpha interval", alpha["interval"], f"both_bad excluded: {excluded}"),
    ]
    means = summary["cohen_kappa"]["mean"]
    for weights in ("plain", "linear", "quadratic"):
        rows.append([f"mean Cohen's kappa ({weights})", _num(means[weights]), "", ""])
    for row in rows:
        overall.add_row(*row[:3], text(row[3]))
    console.print(overall)
    console.print(f"both_bad excluded from ordinal: {excluded}")

    pairs = Table(title="Cohen's kappa per annotator pair", title_justify="left")
    for column in ("annotators", "n", "kappa", "linear", "quadratic"):
        pairs.add_column(column, justify="left" if column == "annotators" else "right")
    ranked = sorted(summary["cohen_kappa"]["pairs"], key=lambda p: -p["n"])
    for p in ranked[:30]:
        pairs.add_row(
            text(" / ".join(p["raters"])),
            str(p["n"]),
            _num(p["plain"]),
            _num(p["linear"]),
            _num(p["quadratic"]),
        )
    console.print(pairs)
    if len(ranked) > 30:
        console.print(f"({len(ranked) - 30} more annotator pairs in --json)")

    people = Table(title="Annotators (rate/n)", title_justify="left")
    headers = ("annotator", "n", "gold", "major.", "adjud.", "self", "left", "p", "med s", "Δms")
    for column in headers:
        people.add_column(column, justify="left" if column == "annotator" else "right")
    for a in summary["annotators"]:
        left = a["position_left"]
        seconds = a["median_duration_ms"]
        slope = a["duration_slope_ms"]
        people.add_row(
            text(a["annotator"]),
            str(a["judgments"]),
            _rate(a["gold"]),
            _rate(a["majority"]),
            _rate(a["adjudicated"]),
            _rate(a["self_consistency"]),
            "—" if not left["n"] else f"{100 * left['rate']:.0f}%",
            "—" if a["position_p"] is None else f"{a['position_p']:.2g}",
            "—" if seconds is None else f"{seconds / 1000:.1f}",
            "—" if slope is None else f"{slope:+.0f}",
        )
    console.print(people)

    for key, stats in summary["slices"].items():
        table = Table(title=f"By {inert(key)}", title_justify="left")
        for column in ("value", "pairs", "2+ annotators", "percent", "alpha nominal"):
            table.add_column(column, justify="left" if column == "value" else "right")
        for s in stats:
            percent = s["percent_agreement"]
            table.add_row(
                text(s["value"]),
                str(s["pairs"]),
                str(s["units"]),
                "n/a" if percent is None else f"{100 * percent:.1f}%",
                _num(s["alpha_nominal"]),
            )
        console.print(table)
