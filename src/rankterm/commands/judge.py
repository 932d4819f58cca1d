"""``rankterm judge``: an LLM judge's verdicts on a pairs file, in both side orders."""

from __future__ import annotations

from pathlib import Path

import typer

from rankterm.core.errors import UsageError
from rankterm.core.exits import ExitCode


def judge(
    pairs: Path = typer.Argument(..., help="Pairs file (JSONL)."),
    model: str = typer.Option(
        ..., "--model", "-m", help="BASE_URL#MODEL_ID or NAME=BASE_URL[#MODEL_ID]."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Verdicts file to append to (resumable)."),
    template: Path | None = typer.Option(
        None, "--template", help="Text with {prompt}, {response_a}, {response_b}."
    ),
    one_order: bool = typer.Option(
        False, "--one-order", help="Only the given side order (no swap: no flip rate)."
    ),
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    max_tokens: int = typer.Option(512, "--max-tokens", min=1, help="Answer length cap."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Requests in flight."),
    retries: int = typer.Option(4, "--retries", min=0, help="Retries of a failed request."),
    timeout: float = typer.Option(120.0, "--timeout", min=0.1, help="Seconds per request."),
    to_adjudication: bool = typer.Option(
        False,
        "--to-adjudication",
        help="Then send pairs where the judge and the human majority disagree to the "
        "adjudication queue, the verdict and rationale marked source: model "
        "(local: --journal; or --server/--project).",
    ),
    journal: list[Path] = typer.Option(
        [], "--journal", "-j", help="With --to-adjudication: an annotators' journal (repeatable)."
    ),
    adjudications: Path | None = typer.Option(
        None,
        "--adjudications",
        help="With --to-adjudication: the adjudications journal "
        "(default: <pairs stem>.adjudications.jsonl, as `rankterm adjudicate` uses).",
    ),
    server: str | None = typer.Option(
        None, "--server", help="With --to-adjudication: the task server (adjudicator token)."
    ),
    project: str | None = typer.Option(None, "--project", "-p", help="Project on the server."),
    margins_out: Path | None = typer.Option(
        None,
        "--margins-out",
        help="Also write the pairs with metadata.margin (the judge's mean advantage of A, "
        "-3..3, over both orders) for `admin import` into an informative-order project.",
    ),
) -> None:
    """Ask a model for a verdict (choice, strength, rationale) on every pair, in both side
    orders; records are `source: model`, never counted as people's votes. Compare them with
    people: `rankterm agreement JOURNAL --pairs PAIRS --judge OUT --json`."""
    import asyncio
    from dataclasses import replace

    from rankterm.commands.generate import resolve_endpoints
    from rankterm.core.sanitize import inert
    from rankterm.llm.endpoint import ChatClient, RetryPolicy
    from rankterm.llm.judge import load_template
    from rankterm.llm.judge_run import ORDERS, read_pairs, run_judge
    from rankterm.llm.progress import Progress

    if not to_adjudication and (journal or adjudications or server or project):
        raise UsageError(
            "--journal, --adjudications, --server and --project go with --to-adjudication"
        )
    if to_adjudication and not journal and not server:
        raise UsageError(
            "--to-adjudication needs the annotators' journals (--journal) or --server/--project"
        )
    for path in journal:
        if not path.is_file():
            raise UsageError(f"--journal {path}: no such journal")
    if "=" not in model.partition("#")[0].partition("://")[0]:
        name = model.partition("#")[2] or "judge"
        model = f"{name}={model}"
    (endpoint,) = resolve_endpoints([model], [], [])
    endpoint = replace(endpoint, temperature=temperature, max_tokens=max_tokens)
    text = load_template(template)
    records = read_pairs(pairs)
    if not records:
        raise UsageError(f"{pairs}: no pairs")
    client = ChatClient(
        concurrency=concurrency, policy=RetryPolicy(retries=retries, timeout_s=timeout)
    )
    orders = ORDERS[:1] if one_order else ORDERS

    async def main():
        async with client:
            return await run_judge(records, endpoint, text, out, client, Progress, orders)

    try:
        summary = asyncio.run(main())
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted: verdicts so far are in {out}; rerun to continue", err=True)
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    for error in summary.errors[:5]:
        typer.echo(inert(f"error: {error}"), err=True)
    typer.echo(
        f"{summary.requests - summary.failed} verdicts -> {out} ({summary.reused} already "
        f"there, {summary.unparsed} unreadable, {summary.failed} failed) for {summary.pairs} "
        "pairs",
        err=True,
    )
    if to_adjudication:
        _to_adjudication(pairs, out, journal, adjudications, server, project)
    if margins_out is not None:
        _write_margins(pairs, out, endpoint.name, margins_out)
    if summary.failed:
        raise typer.Exit(ExitCode.ERROR)


def _write_margins(pairs: Path, out: Path, judge: str, target: Path) -> None:
    """Copy the pairs file with the judge's margins in each pair's metadata (every field of
    the original kept); written to a temporary file and renamed, so a crash leaves no half.
    A symbolic link at ``target`` is refused, not written through."""
    import orjson

    from rankterm.core.errors import display_path
    from rankterm.formats.transfer import atomic_output
    from rankterm.llm.margins import judge_margins, with_margins
    from rankterm.llm.writer import read_records

    if target.resolve() == pairs.resolve():
        raise UsageError(f"--margins-out {display_path(target)}: that is the input pairs file")
    margins = judge_margins(read_records(out), judge)
    written = 0
    with pairs.open("rb") as source, atomic_output(target) as sink:
        for raw in source:
            if not raw.strip():
                continue
            record = orjson.loads(raw)  # read_pairs validated every line already
            marked = with_margins(record, margins, judge)
            written += marked is not record
            sink.write(orjson.dumps(marked) + b"\n")
    typer.echo(
        f"{written} pairs with a judge margin -> {display_path(target)} "
        "(import it into a project with --order informative)",
        err=True,
    )


def _to_adjudication(
    pairs: Path,
    out: Path,
    journals: list[Path],
    adjudications: Path | None,
    server: str | None,
    project: str | None,
) -> None:
    """Send the pairs the judge and the people disagree on to the adjudicator's queue."""
    from rankterm.llm.writer import read_records

    records = list(read_records(out))
    if journals:
        from rankterm.sources.adjudication import default_adjudication_path
        from rankterm.sources.referrals import disagreements, refer_to_journal
        from rankterm.storage.journal import load_journals

        issues: list = []
        state = load_journals(journals, issues)
        for issue in issues[:20]:
            typer.echo(f"warning: {issue}", err=True)
        found = disagreements(records, state.active())
        target = adjudications or default_adjudication_path(pairs)
        sent, repeated = refer_to_journal(found, target)
        typer.echo(
            f"{sent} pairs sent to adjudication -> {target} ({repeated} sent before); "
            f"adjudicate: rankterm adjudicate {' '.join(map(str, journals))} --pairs {pairs}",
            err=True,
        )
        return
    _refer_remote(records, server, project)


def _refer_remote(records: list, server: str | None, project: str | None) -> None:
    from rankterm.config import load_settings
    from rankterm.core.suggestions import judge_suggestions
    from rankterm.sources.client import TaskClient

    settings = load_settings({"server": server, "project": project})
    if not settings.server or not settings.project:
        raise UsageError("--to-adjudication with a server needs --server and --project")
    if settings.token is None:
        raise UsageError("no token for the task server: set RANKTERM_TOKEN")
    items = [
        {"pair_id": pair_id, "judge": s.source.removeprefix("judge "), "choice": s.choice.value,
         "strength": s.strength, "rationale": s.rationale}
        for pair_id, found in sorted(judge_suggestions(records).items())
        for s in found
    ]  # fmt: skip
    client = TaskClient(settings.server, settings.project, settings.token.get_secret_value())
    try:
        result = client.refer(items)
    finally:
        client.close()
    typer.echo(
        f"{result['referred']} pairs sent to adjudication on {settings.server} "
        f"({result['already']} sent before, {result['agreed']} where the judge agreed with "
        f"people, {result['no_majority']} without a human majority, {result['unknown']} "
        f"unknown to the project, {result['ranking_task']} K-way ranking tasks, which a "
        "pairwise verdict does not apply to)",
        err=True,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("judge")(judge)
