"""``rankterm import | export | leaderboard | formats``: data in, labels out, models ranked.

Exit codes: 0 done; 1 nothing could be imported (no valid record) or another failure; 2 usage
errors (unknown format, bad --map, missing input, a filter the format cannot honour).
"""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from rankterm.core.exits import ExitCode
from rankterm.labels import GoldRule, Keep, Policy


class BothBadRule(StrEnum):
    DROP = "drop"
    TIE = "tie"


class UfPairing(StrEnum):
    BEST_WORST = "best-worst"
    ALL = "all"
    RANKING = "ranking"


class UfScore(StrEnum):
    FINE_GRAINED = "fine-grained"
    OVERALL = "overall"


def import_command(
    file: str | None = typer.Argument(
        None, metavar="FILE", help="Source file (.gz read transparently; '-' is stdin)."
    ),
    output: str | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Pairs JSONL to write ('-' stdout; replacing a file needs --force).",
    ),
    from_: str | None = typer.Option(
        None, "--from", help="Source format (default: detected from the first record)."
    ),
    labels: Path | None = typer.Option(
        None,
        "--labels",
        help="Journal to append the source's own labels to, as prior judgments.",
    ),
    labels_annotator: str = typer.Option(
        "source", "--labels-annotator", help="Annotator name of the imported labels."
    ),
    column_map: str | None = typer.Option(
        None, "--map", help="CSV: field=column,... (e.g. prompt=question,chosen=good)."
    ),
    uf_pairing: UfPairing = typer.Option(
        UfPairing.BEST_WORST,
        "--uf-pairing",
        help="UltraFeedback raw: best-worst (one pair per prompt), all (every pair), or "
        "ranking (one K-way ranking task per prompt, ordered by score).",
    ),
    uf_score: UfScore = typer.Option(
        UfScore.FINE_GRAINED,
        "--uf-score",
        help="UltraFeedback raw: fine-grained (mean 1-5 rating) or overall (1-10).",
    ),
    min_gap: float = typer.Option(
        0.0, "--min-gap", help="UltraFeedback raw: minimum score gap of a pair (> 0 always)."
    ),
    as_rankings: bool = typer.Option(
        False,
        "--as-rankings",
        help="Argilla: a record of 3 to 9 responses becomes one K-way ranking task "
        "(default: the pairs its ranking implies).",
    ),
    list_formats: bool = typer.Option(False, "--list", help="List the formats and exit."),
    force: bool = typer.Option(
        False, "--force", "-f", help="Replace the output file if it exists."
    ),
) -> None:
    """Import preference data (HH-RLHF, TRL, UltraFeedback, Arena, OpenAI, CSV; JSON Lines,
    a JSON array or Parquet) as pairs."""
    from rankterm.core.errors import UsageError
    from rankterm.formats import ImportReader, ReadOptions
    from rankterm.formats.csvmap import parse_map
    from rankterm.formats.transfer import run_import

    if list_formats:
        _print_formats()
        return
    if file is None:
        raise UsageError("import needs a FILE (or --list)")
    if output is None:
        raise UsageError("import needs -o/--output: where to write the pairs")
    if file != "-" and output != "-" and Path(file).resolve() == Path(output).resolve():
        raise UsageError("-o names the input file; write the pairs somewhere else")
    from rankterm.formats.transfer import refuse_overwrite

    refuse_overwrite(output, force)
    options = ReadOptions(
        uf_pairing=uf_pairing.value,
        uf_score=uf_score.value,
        uf_min_gap=min_gap,
        column_map=parse_map(column_map),
        as_rankings=as_rankings,
    )
    _require_input(file)
    with ImportReader(file, from_, options) as reader:
        typer.echo(f"importing {reader.source.name} as {reader.format.name}", err=True)
        with _ImportProgress() as progress:
            summary = run_import(
                reader,
                output,
                labels_path=labels,
                annotator=labels_annotator,
                progress=progress,
            )
    _print_import_summary(summary, output, labels, labels_annotator)
    if summary.imported == 0:
        raise typer.Exit(ExitCode.ERROR)


def export_command(
    journals: list[Path] = typer.Argument(..., help="Journal(s) with the judgments."),
    pairs: Path = typer.Option(..., "--pairs", help="The pairs file the journals judge."),
    to: str = typer.Option(..., "--to", help="Output format (see `rankterm formats`)."),
    output: str = typer.Option(..., "-o", "--output", help="File to write ('-' stdout)."),
    policy: Policy = typer.Option(
        Policy.ADJUDICATED,
        "--policy",
        help="adjudicated: resolution, else majority; majority; all: every judgment.",
    ),
    ties: Keep | None = typer.Option(
        None, "--ties", help="keep|drop ties (default: keep if the format can say tie)."
    ),
    both_bad: Keep | None = typer.Option(
        None, "--both-bad", help="keep|drop both_bad (default: keep if the format can)."
    ),
    flagged: Keep = typer.Option(
        Keep.DROP, "--flagged", help="keep|drop flagged, unadjudicated labels."
    ),
    min_agreement: float | None = typer.Option(
        None, "--min-agreement", help="Drop majority labels agreed by a smaller share."
    ),
    gold: GoldRule = typer.Option(
        GoldRule.KEEP, "--gold", help="Gold items: keep, drop, or truth (their known verdict)."
    ),
    direct_only: bool = typer.Option(
        False,
        "--direct-only",
        help="ranking-pairs: only the pairs actually compared, not those the order implies.",
    ),
    force: bool = typer.Option(
        False, "--force", "-f", help="Replace the output file if it exists."
    ),
    negatives: bool = typer.Option(
        False,
        "--negatives",
        help="Write red-team negatives instead of labels: responses tagged unsafe, toxic or "
        "privacy-leaking (and both_bad pairs) as KTO undesirable rows, or as DPO rejected "
        "answers against the ideal answer or the other, safe response.",
    ),
    negative_tag: list[str] = typer.Option(
        [],
        "--negative-tag",
        metavar="TAG",
        help="A tag that makes a response a negative (repeatable; default: unsafe_advice, "
        "toxicity, privacy_leak).",
    ),
) -> None:
    """Export labels of record to a training format; prints what was dropped and why.

    K-way rankings go out with --to ranking-pairs (every implied pair, direct ones flagged),
    ranking-dpo (best vs worst), ranking-kto or ranking-full (the whole order); --policy
    majority gives one mean-rank order per ranking task."""
    from rankterm.core.errors import LoadIssue, UsageError
    from rankterm.formats import get_format
    from rankterm.formats.rank_export import RANK_FORMATS
    from rankterm.formats.registry import choose_form
    from rankterm.formats.transfer import atomic_output, refuse_overwrite, run_export
    from rankterm.labels import LabelOptions, LabelPolicy, describe_drops

    refuse_overwrite(output, force)
    if to in RANK_FORMATS:
        _export_rankings(journals, pairs, to, output, policy, flagged, direct_only)
        return
    if direct_only:
        raise UsageError("--direct-only applies to --to ranking-pairs")
    fmt = get_format(to)
    if fmt.chat_form is not None and pairs.exists():
        fmt, form_note = choose_form(fmt, pairs)
        if form_note:
            typer.echo(form_note, err=True)
    if negative_tag and not negatives:
        raise UsageError("--negative-tag needs --negatives")
    if negatives:
        _export_negatives(journals, pairs, fmt, output, negative_tag)
        return
    if not fmt.writable:
        raise UsageError(f"{fmt.name} is import-only; it cannot be exported to")
    if ties is Keep.KEEP and not fmt.ties:
        raise UsageError(f"--ties keep: {fmt.name} cannot represent a tie")
    if both_bad is Keep.KEEP and not fmt.both_bad:
        raise UsageError(f"--both-bad keep: {fmt.name} cannot represent both bad")
    if min_agreement is not None and not 0 <= min_agreement <= 1:
        raise UsageError("--min-agreement is a share between 0 and 1")
    options = LabelOptions(
        policy=policy,
        ties=ties or (Keep.KEEP if fmt.ties else Keep.DROP),
        both_bad=both_bad or (Keep.KEEP if fmt.both_bad else Keep.DROP),
        flagged=flagged,
        min_agreement=min_agreement,
        gold=gold,
    )
    issues: list[LoadIssue] = []
    state, index = _load(journals, pairs, issues)
    # An order of record belongs to a ranking task (export --to ranking-*), not to a pair.
    state.resolutions = [r for r in state.resolutions if r.order is None]
    with index, atomic_output(output) as out:
        summary = run_export(
            fmt,
            index.iter_pairs(),
            LabelPolicy(state, options),
            out,
            parquet=output.endswith(".parquet"),
        )
    where = "stdout" if output == "-" else output
    typer.echo(
        f"wrote {summary.records} {fmt.name} record{_s(summary.records)} "
        f"({summary.labels} label{_s(summary.labels)}, policy {policy.value}) to {where}",
        err=True,
    )
    typer.echo(describe_drops(summary.dropped), err=True)
    _print_issues(_say_rankings(pairs, issues, f"not written by {fmt.name}"))


def _say_rankings(pairs: Path, issues: list, what: str) -> list:
    """Say what a pairwise command did with the ranking tasks of a pairs file.

    The pairwise reader takes a ranking record for a broken pair; those lines are taken out of
    the issues (a bad ranking record is still reported, with its own reason) and counted.
    """
    from rankterm.formats.rank_data import read_rank_tasks

    found = read_rank_tasks(pairs)
    if not found.lines:
        return issues
    n = len(found.tasks)
    typer.echo(
        f"{n} K-way ranking task{_s(n)} in {pairs} {what}; use --to ranking-pairs, "
        "ranking-dpo, ranking-kto or ranking-full",
        err=True,
    )
    return found.without_rank_lines(issues)


def _export_rankings(
    journals: list[Path],
    pairs: Path,
    to: str,
    output: str,
    policy: Policy,
    flagged: Keep,
    direct_only: bool,
) -> None:
    """``export --to ranking-*``: the orders of record of the K-way tasks (see rank_export)."""
    from rankterm.core.errors import LoadIssue, UsageError
    from rankterm.formats.rank_data import read_rank_records, read_rank_tasks
    from rankterm.formats.rank_export import RankPolicy, run_rank_export
    from rankterm.formats.transfer import atomic_output
    from rankterm.labels import describe_drops

    if direct_only and to != "ranking-pairs":
        raise UsageError("--direct-only applies to --to ranking-pairs")
    if output.endswith(".parquet"):
        raise UsageError(f"{to} is written as JSON Lines, not Parquet")
    _check_inputs(journals, pairs)
    issues: list[LoadIssue] = []
    records = read_rank_records(journals, issues)
    found = read_rank_tasks(pairs)
    issues.extend(found.issues)
    rank_policy = {
        Policy.ADJUDICATED: RankPolicy.ADJUDICATED,
        Policy.ALL: RankPolicy.ALL,
        Policy.MAJORITY: RankPolicy.MEAN_RANK,
    }[policy]
    with atomic_output(output) as out:
        summary = run_rank_export(
            to,
            found.tasks,
            records,
            out,
            policy=rank_policy,
            keep_flagged=flagged is Keep.KEEP,
            direct_only=direct_only,
        )
    where = "stdout" if output == "-" else output
    typer.echo(
        f"wrote {summary.records} {to} record{_s(summary.records)} from {summary.labels} "
        f"order{_s(summary.labels)} of record ({summary.tasks} ranking task{_s(summary.tasks)}, "
        f"policy {rank_policy.value}) to {where}",
        err=True,
    )
    if not found.lines:
        typer.echo(f"{pairs} holds no K-way ranking task (a responses list)", err=True)
    elif found.pairs:
        typer.echo(f"{found.pairs} pairwise record{_s(found.pairs)} not written by {to}", err=True)
    typer.echo(describe_drops(summary.dropped), err=True)
    _print_issues(issues)


def _export_negatives(
    journals: list[Path], pairs: Path, fmt: Any, output: str, tags: list[str]
) -> None:
    """``export --negatives``: see :mod:`rankterm.formats.negatives`."""
    from rankterm.core.errors import LoadIssue
    from rankterm.formats.negatives import check_format, run_negatives_export
    from rankterm.formats.transfer import atomic_output
    from rankterm.labels.negatives import DEFAULT_NEGATIVE_TAGS, find_negatives

    check_format(fmt)
    issues: list[LoadIssue] = []
    state, index = _load(journals, pairs, issues)
    found = find_negatives(
        state.active(), tuple(tags) or DEFAULT_NEGATIVE_TAGS, state.latest_resolutions()
    )
    with index, atomic_output(output) as out:
        summary = run_negatives_export(fmt, index.iter_pairs(), found, out)
    where = "stdout" if output == "-" else output
    typer.echo(
        f"wrote {summary.records} {fmt.name} negative record{_s(summary.records)} "
        f"({len(found)} negative response{_s(len(found))}) to {where}",
        err=True,
    )
    for reason, n in sorted(summary.per_reason.items(), key=lambda kv: (-kv[1], kv[0])):
        typer.echo(f"  {reason}: {n} negative{_s(n)}", err=True)
    for tag, n in sorted(summary.unplaced.items()):
        typer.echo(
            f"  {tag}: {n} pair-level tag{_s(n)} on a verdict other than both_bad (which "
            "response is not said; tag a side to use them)",
            err=True,
        )
    for reason, n in sorted(summary.dropped.items()):
        typer.echo(f"  dropped {n}: {reason}", err=True)
    _print_issues(issues)


def leaderboard_command(
    journals: list[Path] = typer.Argument(..., help="Journal(s) with the judgments."),
    pairs: Path = typer.Option(..., "--pairs", help="Pairs file with model_a/model_b."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    bootstrap: int = typer.Option(
        200, "--bootstrap", min=0, help="Bootstrap rounds for the intervals (0: none)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap resampling."),
    both_bad: BothBadRule = typer.Option(
        BothBadRule.DROP, "--both-bad", help="drop both_bad verdicts, or count them as ties."
    ),
    policy: Policy = typer.Option(
        Policy.ALL,
        "--policy",
        help="all: every annotator's verdict; majority; adjudicated (resolution first).",
    ),
    anchor: str | None = typer.Option(
        None, "--anchor", help="Model pinned at 1000 (default: the mean is 1000)."
    ),
    exclude_self_identified: bool = typer.Option(
        False,
        "--exclude-self-identified",
        help="Drop votes on pairs where a response names its model or maker (generate's flag).",
    ),
) -> None:
    """Bradley-Terry ratings of the models behind the pairs, with bootstrap intervals."""
    import gc

    import orjson

    from rankterm.core.errors import LoadIssue, UsageError
    from rankterm.labels import ChoicePolicy, LabelOptions
    from rankterm.quality.leaderboard import battle_from, compute_counts
    from rankterm.storage.journal_columns import read_lean
    from rankterm.storage.pair_columns import scan_pairs

    issues: list[LoadIssue] = []
    _check_inputs(journals, pairs)
    # Only each vote's choice and flag matter here: the lean replay, not the full records.
    lean = read_lean(journals, issues)
    gc.freeze()  # a million long-lived rows: keep the collector from re-scanning them
    index = _index(pairs, issues)
    options = LabelOptions(policy=policy, ties=Keep.KEEP, both_bad=Keep.KEEP)
    resolutions = {k: r for k, r in lean.latest_resolutions().items() if r.order is None}
    label_policy = ChoicePolicy(lean.judgments, resolutions, options)
    del lean
    counts: dict = {}
    rank_tasks: list[str] = []  # their battles come from the rankings below, not from votes
    with index:
        for pair in scan_pairs(index, rankings=rank_tasks):
            gold = pair.gold() if options.gold is not GoldRule.KEEP else None
            choices = label_policy.choices_for(pair.id, gold)
            if not choices:
                continue
            if exclude_self_identified and pair.metadata().get("self_identified") is True:
                label_policy.dropped["self-identified"] += len(choices)
                continue
            model_a, model_b = pair.models()
            if not model_a or not model_b:
                label_policy.dropped["no model names"] += len(choices)
                continue
            for choice in choices:
                battle = battle_from(model_a, model_b, choice, both_bad.value)
                if battle is None:
                    reason = "both bad" if model_a != model_b else "same model"
                    label_policy.dropped[reason] += 1
                else:
                    key = (battle.model_a, battle.model_b, battle.outcome)
                    counts[key] = counts.get(key, 0) + 1
    label_policy.unknown_pairs()
    rank_battles = _ranking_battles(journals, pairs, policy, counts, label_policy.dropped, issues)
    if anchor is not None and not any(anchor in (a, b) for a, b, _ in counts):
        raise UsageError(f"--anchor: model {anchor!r} has no battles")
    board = compute_counts(counts, bootstrap=bootstrap, seed=seed, anchor=anchor)
    board.dropped = label_policy.dropped
    if as_json:
        blob = {**board.to_json(), "ranking_battles": rank_battles}
        sys.stdout.buffer.write(orjson.dumps(blob, option=orjson.OPT_INDENT_2))
        sys.stdout.buffer.write(b"\n")
    else:
        _print_board(board)
        if rank_battles:
            typer.echo(f"{rank_battles} of the battles come from K-way rankings", err=True)
        elif rank_tasks:
            typer.echo(
                f"{len(rank_tasks)} K-way ranking tasks in the pairs file: no ranking of them "
                "to count",
                err=True,
            )
    _print_issues(issues)


def _ranking_battles(
    journals: list[Path], pairs: Path, policy: Policy, counts: dict, dropped, issues: list
) -> int:
    """Add the battles of the K-way rankings (every comparison each order states) to ``counts``;
    takes the pairs file's ranking lines out of ``issues`` (in place)."""
    from rankterm.formats.rank_data import read_rank_records, read_rank_tasks
    from rankterm.formats.rank_export import RankPolicy, rank_labels
    from rankterm.quality.rank_battles import add_ranking_battles

    found = read_rank_tasks(pairs)
    issues[:] = found.without_rank_lines(issues)
    if not found.tasks:
        return 0
    records = read_rank_records(journals, issues)
    rank_policy = {
        Policy.ADJUDICATED: RankPolicy.ADJUDICATED,
        Policy.ALL: RankPolicy.ALL,
        Policy.MAJORITY: RankPolicy.MEAN_RANK,
    }[policy]
    return add_ranking_battles(rank_labels(found.tasks, records, rank_policy), counts, dropped)


def formats_command() -> None:
    """List the formats rankterm can import and export."""
    _print_formats()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("leaderboard")(leaderboard_command)
    app.command("formats")(formats_command)


# -- helpers ----------------------------------------------------------------------------------


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _require_input(file: str) -> None:
    from rankterm.core.errors import UsageError

    if file != "-" and not Path(file).exists():
        raise UsageError(f"{file}: no such file")


def _load(journals: list[Path], pairs: Path, issues: list):
    """Replay the journals and index the pairs, collecting bad lines in ``issues``."""
    from rankterm.storage.journal import load_journals

    _check_inputs(journals, pairs)
    state = load_journals(journals, issues)
    return state, _index(pairs, issues)


def _check_inputs(journals: list[Path], pairs: Path) -> None:
    from rankterm.core.errors import UsageError

    for journal in journals:
        if not journal.exists():
            raise UsageError(f"{journal}: no such journal")
    if not pairs.exists():
        raise UsageError(f"{pairs}: no such pairs file")


def _index(pairs: Path, issues: list):
    """Index the pairs file; its bad lines go to ``issues`` after the journals' ones."""
    from rankterm.storage.index import index_pairs

    index = index_pairs(pairs)
    issues.extend(index.issues)
    return index


def _print_formats() -> None:
    from rankterm.formats import FORMATS
    from rankterm.formats.rank_export import RANK_FORMATS

    width = max(len(n) for n in FORMATS)
    for name, fmt in FORMATS.items():
        writable = fmt.writable or name in RANK_FORMATS
        modes = "/".join(m for m, ok in (("import", fmt.readable), ("export", writable)) if ok)
        typer.echo(f"{name:<{width}}  {modes:<13}  {fmt.description}")
    for name, (_, description) in RANK_FORMATS.items():
        if name not in FORMATS:
            typer.echo(f"{name:<{width}}  {'export':<13}  {description}")


def _print_issues(issues: list, shown: int = 5) -> None:
    from rankterm.core.sanitize import inert

    if not issues:
        return
    typer.echo(f"{len(issues)} bad input line{_s(len(issues))} skipped:", err=True)
    for issue in issues[:shown]:
        typer.echo(f"  {inert(str(issue))}", err=True)
    if len(issues) > shown:
        typer.echo(f"  ... and {len(issues) - shown} more", err=True)


def _print_import_summary(summary, output: str, labels: Path | None, annotator: str) -> None:
    from rankterm.core.sanitize import inert

    where = "stdout" if output == "-" else output
    if summary.ranked:
        n = summary.imported - summary.ranked
        typer.echo(
            f"imported {n} pair{_s(n)} and {summary.ranked} K-way ranking "
            f"task{_s(summary.ranked)} to {where}",
            err=True,
        )
    elif summary.imported:
        typer.echo(f"imported {summary.imported} pair{_s(summary.imported)} to {where}", err=True)
    else:
        typer.echo(f"no valid record in {summary.source}; {where} not written", err=True)
    if (
        labels is not None
        and summary.imported
        and not (summary.labels_written or summary.labels_present)
    ):
        typer.echo(f"no source labels in {summary.source}; {labels} unchanged", err=True)
    elif labels is not None and summary.imported:
        text = f"{summary.labels_written} source label{_s(summary.labels_written)} "
        text += f"appended to {labels} as annotator {annotator!r}"
        if summary.labels_present:
            text += f" ({summary.labels_present} already there)"
        typer.echo(text, err=True)
    for note, count in summary.notes.items():
        typer.echo(f"note: {note} ({count} pair{_s(count)})", err=True)
    if summary.skipped:
        typer.echo(f"skipped {summary.skipped} record{_s(summary.skipped)}:", err=True)
        for issue in summary.issues[:5]:
            typer.echo(f"  {inert(str(issue))}", err=True)
        if summary.skipped > 5:
            typer.echo(f"  ... and {summary.skipped - 5} more", err=True)


class _ImportProgress:
    """A rich progress bar on a terminal, a line every 10 s otherwise (logs, pipes)."""

    def __init__(self) -> None:
        self._bar = None
        self._task = None
        self._last = time.monotonic()

    def __enter__(self) -> _ImportProgress:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("{task.fields[records]} pairs"),
                BarColumn(),
                DownloadColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("import", total=None, records=0)
        return self

    def __call__(self, records: int, position: int, total: int | None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=position, total=total, records=records)
            return
        now = time.monotonic()
        if now - self._last >= 10:
            self._last = now
            share = f" ({100 * position / total:.0f}% of the file)" if total else ""
            typer.echo(f"... {records} pairs{share}", err=True)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _print_board(board) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from rankterm.core.sanitize import inert

    console = Console()
    if not board.standings:
        console.print("no battles: no judged pair has both model_a and model_b")
    else:
        table = Table(title=f"Bradley-Terry ratings (95% CI, {board.bootstrap} bootstrap rounds)")
        for name, justify in (
            ("#", "right"),
            ("model", "left"),
            ("rating", "right"),
            ("95% CI", "right"),
            ("W", "right"),
            ("L", "right"),
            ("T", "right"),
            ("battles", "right"),
        ):
            table.add_column(name, justify=justify)
        for rank, s in enumerate(board.standings, start=1):
            table.add_row(
                str(rank),
                Text(inert(s.model)),
                f"{s.rating:.0f}",
                f"{s.ci_low:.0f} – {s.ci_high:.0f}",
                str(s.wins),
                str(s.losses),
                str(s.ties),
                str(s.battles),
            )
        console.print(table)
        # Columns are numbered by rank so that the matrix fits a narrow terminal.
        matrix = Table(title="Win rate of row over column # (battles)")
        matrix.add_column("model")
        order = [s.model for s in board.standings]
        for rank in range(1, len(order) + 1):
            matrix.add_column(f"#{rank}", justify="right")
        for rank, a in enumerate(order, start=1):
            cells = []
            for b in order:
                if a == b or b not in board.win_rate[a]:
                    cells.append("·")
                else:
                    cells.append(f"{board.win_rate[a][b]:.0%} ({board.battles[a][b]})")
            matrix.add_row(Text(f"{rank} {inert(a)}"), *cells)
        console.print(matrix)
    if board.dropped:
        from rankterm.labels import describe_drops

        console.print(f"verdicts not counted: {describe_drops(board.dropped).split(': ', 1)[-1]}")
