"""``rankterm sample`` and ``rankterm monitor``: watching a deployed model with people's verdicts.

``sample`` turns production logs into monitoring pairs (production answer against a reference
answer, stratified by slice and time window) for a local file or a server project; people judge
them as any pairs; ``monitor`` reads the pairs and the journals back and reports the win rate
with its interval, the error-tag rates, and a drift alarm. ``monitor`` is its own command rather
than ``report --monitor``: ``report`` writes a Markdown audit file, while ``monitor`` prints (or
writes JSON) and exits :data:`EXIT_DRIFT` on an alarm, so a cron job can page someone.

Exit codes: 0 ok, 1 error, 2 usage, 5 drift alarm (``monitor`` only; 3 and 4 already mean
"journal in use" and "quit with pairs left" elsewhere in rankterm).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rankterm.core.errors import RanktermError, UsageError
from rankterm.core.exits import ExitCode

#: ``rankterm monitor`` exit status when a drift alarm is raised (cron alerts on it).
EXIT_DRIFT = ExitCode.DRIFT


def sample(
    logs: list[Path] = typer.Argument(
        ...,
        metavar="LOGS...",
        help="Production logs (JSONL, gzip ok): prompt, response, time, model_version, metadata.",
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the pairs to this JSONL."),
    force: bool = typer.Option(False, "--force", "-f", help="Replace --out if it exists."),
    server: str | None = typer.Option(
        None, "--server", help="Add the pairs to this task server's project (admin token)."
    ),
    project: str | None = typer.Option(None, "--project", "-p", help="Project on --server."),
    production: str | None = typer.Option(
        None, "--production", help="Model version in production (default: the newest logged)."
    ),
    reference: str | None = typer.Option(
        None,
        "--reference",
        help="Reference model version (default: the one serving before --production).",
    ),
    per_stratum: int = typer.Option(
        20, "--per-stratum", min=1, help="Pairs drawn per (slice, window) cell."
    ),
    window: str = typer.Option("week", "--window", help="Time window: hour, day, week, month."),
    slice_key: str = typer.Option("slice", "--slice-key", help="metadata key naming the slice."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draw and of the side order."),
    generated: list[Path] = typer.Option(
        [],
        "--generated",
        help="Pairs from `rankterm generate` whose --reference model answers prompts the "
        "logs lack (repeatable).",
    ),
    missing: Path | None = typer.Option(
        None,
        "--missing",
        help="Write prompts with no reference answer here (JSONL `rankterm generate` reads).",
    ),
) -> None:
    """Draw monitoring pairs from production logs: per slice and time window, production's
    answer against a reference answer to the same prompt (sides shuffled, so people judge
    blind). Prompts with no reference answer are named and left out."""
    from rankterm.core.errors import display_path
    from rankterm.core.sanitize import inert
    from rankterm.quality import sampling

    if window not in sampling.WINDOWS:
        raise UsageError(f"--window {window!r}: expected one of {', '.join(sampling.WINDOWS)}")
    if out is None and server is None:
        raise UsageError("say where the pairs go: --out FILE, or --server URL --project NAME")
    if out is not None:
        from rankterm.formats.transfer import refuse_overwrite

        refuse_overwrite(out, force)
    if missing is not None:
        from rankterm.formats.transfer import refuse_overwrite

        refuse_overwrite(missing, force)
    entries, issues = sampling.read_logs(logs)
    for issue in issues:
        typer.echo(str(issue), err=True)
    if not entries:
        raise RanktermError("no usable log line: nothing to sample")
    versions = sorted({e.model_version for e in entries})
    production = production or sampling.latest_version(entries)
    if production not in versions:
        raise UsageError(f"--production {production!r}: not in the logs ({', '.join(versions)})")
    reference = reference or sampling.previous_version(entries, production)
    if reference is None:
        raise UsageError(
            f"the logs hold only {production!r}: name a --reference version, and give its "
            "answers with --generated (from `rankterm generate`)"
        )
    extra = _generated_references(generated, reference)
    if reference not in versions and not extra:
        raise UsageError(
            f"--reference {reference!r}: not in the logs ({', '.join(versions)}) and no "
            "--generated answers from it"
        )
    drawn = sampling.draw(
        entries,
        production=production,
        reference=reference,
        per_stratum=per_stratum,
        window=window,
        slice_key=slice_key,
        seed=seed,
        extra_references=extra,
    )
    typer.echo(f"production {inert(production)} against reference {inert(reference)}", err=True)
    for cell in drawn.strata:
        typer.echo(
            f"  {inert(cell.slice)} {cell.window}: {cell.drawn} drawn of {cell.with_reference} "
            f"with a reference ({cell.available} logged)",
            err=True,
        )
    if drawn.missing:
        typer.echo(
            f"{len(drawn.missing)} prompt(s) had no answer from {inert(reference)}, left out:",
            err=True,
        )
        for entry in drawn.missing[:10]:
            typer.echo(f"  {entry.where}: {inert(entry.prompt[:60])}", err=True)
        if len(drawn.missing) > 10:
            typer.echo(f"  … and {len(drawn.missing) - 10} more", err=True)
        if missing is not None:
            _write_jsonl(missing, [{"prompt": e.prompt} for e in drawn.missing])
            shown = display_path(missing)
            typer.echo(
                f"  wrote them to {shown} (rankterm generate {shown} -m {inert(reference)}=URL "
                "--samples 2 -o GEN.jsonl, then --generated GEN.jsonl)",
                err=True,
            )
    if out is not None:
        _write_jsonl(out, [p.model_dump(mode="json", exclude_defaults=True) for p in drawn.pairs])
        typer.echo(f"wrote {len(drawn.pairs)} pairs to {display_path(out)}")
    if server is not None:
        result = _to_server(server, project, drawn.pairs)
        typer.echo(
            f"{result['added']} added to project {inert(str(project))}, "
            f"{result['existing']} already present, {result['invalid']} invalid"
        )
        for line in result["issues"]:
            typer.echo(f"  {inert(str(line))}", err=True)
        if result["invalid"]:  # the valid pairs went in; a script must still notice
            raise typer.Exit(ExitCode.INCOMPLETE)


def _generated_references(paths: list[Path], version: str) -> dict[str, str]:
    """Prompt -> ``version``'s answer, from pairs files written by ``rankterm generate``."""
    from rankterm.formats.registry import ImportReader
    from rankterm.quality.sampling import references_from_pairs

    pairs = []
    for path in paths:
        with ImportReader(path, "rankterm") as reader:
            for item in reader:
                if hasattr(item, "pair"):
                    pairs.append(item.pair)
                else:
                    typer.echo(str(item), err=True)
    return references_from_pairs(pairs, version)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """Replace ``path`` (never through a link: see :func:`atomic_output`)."""
    import orjson

    from rankterm.formats.transfer import atomic_output

    with atomic_output(path) as handle:
        for row in rows:
            handle.write(orjson.dumps(row) + b"\n")


def _to_server(server: str, project: str | None, pairs: list) -> dict[str, Any]:
    """Through the admin import endpoint, with the token from RANKTERM_TOKEN or the config."""
    from rankterm.config import load_settings
    from rankterm.sources.client import TaskClient, token_from_settings

    settings = load_settings({"server": server, "project": project})
    if not settings.project:
        raise UsageError("--server needs --project NAME")
    token = token_from_settings()
    if not token:
        raise UsageError("no token: set RANKTERM_TOKEN (an admin's) or 'token' in the config")
    with TaskClient(settings.server or server, settings.project, token) as client:
        return client.import_pairs(pairs)


def monitor(
    pairs: list[Path] = typer.Option(
        ..., "--pairs", help="Monitoring pairs (from `rankterm sample`); repeatable."
    ),
    journals: list[Path] = typer.Argument(..., metavar="JOURNALS...", help="Journals of verdicts."),
    win_threshold: float = typer.Option(
        0.10, "--threshold", min=0.0, max=1.0, help="Alarm when the win rate moves more than this."
    ),
    tag_threshold: float = typer.Option(
        0.05, "--tag-threshold", min=0.0, max=1.0, help="Alarm when a tag rate moves more."
    ),
    min_pairs: int = typer.Option(
        10, "--min-pairs", min=1, help="Pairs needed on each side of a comparison."
    ),
    tags: list[str] = typer.Option(
        [],
        "--tag",
        help="Error tags to follow (default: hallucination, bias, privacy_leak, "
        "unsafe_advice); repeatable.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    width: int = typer.Option(80, "--width", min=40, max=400, help="Chart width in columns."),
) -> None:
    """Monitoring report over time windows: production's win rate against the reference
    with a 95% Wilson interval, error-tag rates per window and slice, a terminal chart, and
    a drift alarm (newest window against the earlier ones pooled).

    Exit codes: 0 no drift, 1 error, 2 usage, 5 drift alarm raised (for cron alerts).
    """
    import orjson

    from rankterm.quality.monitor import DEFAULT_TAGS, monitor_report, text_report
    from rankterm.storage.journal_columns import read_lean

    meta, issues = _pair_metadata(pairs)
    state = read_lean(journals, issues)
    for issue in issues:
        typer.echo(str(issue), err=True)
    report = monitor_report(
        meta,
        state.active(),
        tags=tags or DEFAULT_TAGS,
        win_threshold=win_threshold,
        tag_threshold=tag_threshold,
        min_pairs=min_pairs,
    )
    if as_json:
        typer.echo(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        from rankterm.core.sanitize import inert

        # Slice names and windows come from the data: no terminal control reaches the screen.
        typer.echo("\n".join(inert(line) for line in text_report(report, width).splitlines()))
    if report.drift:
        raise typer.Exit(EXIT_DRIFT)


def _pair_metadata(paths: list[Path]) -> tuple[dict[str, dict[str, Any]], list]:
    """Pair id -> metadata, for every pair of the files (bad lines as issues)."""
    from rankterm.quality.sampling import read_records

    def id_and_metadata(record: dict[str, Any], _file: str, _line: int) -> tuple[str, dict]:
        pair_id, metadata = record.get("id"), record.get("metadata")
        if not isinstance(pair_id, str) or not pair_id:
            raise ValueError("'id' must be a non-empty string")
        return pair_id, metadata if isinstance(metadata, dict) else {}

    rows, issues = read_records(paths, id_and_metadata)
    return dict(rows), issues


def register(app: typer.Typer) -> None:
    """Add ``sample`` and ``monitor`` to the ``rankterm`` app."""
    app.command("sample")(sample)
    app.command("monitor")(monitor)
