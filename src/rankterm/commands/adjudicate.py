"""``rankterm adjudicate``: settle the pairs annotators disagreed on."""

from __future__ import annotations

from pathlib import Path

import typer

from rankterm.core.errors import UsageError


def adjudicate(
    journals: list[Path] = typer.Argument(
        None, help="Annotators' journals (local mode); omit with --server."
    ),
    pairs: Path | None = typer.Option(None, "--pairs", help="The pairs file the journals judge."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Resolutions journal (default: <pairs stem>.adjudications.jsonl).",
    ),
    adjudicator: str | None = typer.Option(
        None, "--adjudicator", "-a", help="Your id (default: config, else login name)."
    ),
    rule: str = typer.Option(
        "any_disagreement",
        "--rule",
        help="When verdicts conflict: any_disagreement | opposite_sides | ordinal_spread>=N.",
    ),
    guidelines: Path | None = typer.Option(
        None, "--guidelines", "-g", help="Guidelines Markdown (default: beside the pairs)."
    ),
    server: str | None = typer.Option(None, "--server", help="Task server URL."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project on the server."),
) -> None:
    """Settle contested pairs, most contested first: every verdict, rationale and track
    record side by side. Each resolution is fsynced to the resolutions journal and becomes
    the label of record for export.
    """
    from rankterm.config import load_settings
    from rankterm.guidelines import find_guidelines
    from rankterm.quality import parse_rule
    from rankterm.tui.app import make_adjudicate_app

    try:
        parse_rule(rule)
    except ValueError as exc:
        raise UsageError(f"--rule: {exc}") from None
    settings = load_settings({"annotator": adjudicator, "server": server, "project": project})
    if not journals and settings.server:
        desk, guide = _open_remote(settings, out, guidelines)
    else:
        if not journals or pairs is None:
            raise UsageError("give the annotators' journals and --pairs, or --server/--project")
        from rankterm.sources.adjudication import open_local_desk

        guide = find_guidelines(guidelines, pairs)
        desk = open_local_desk(
            pairs,
            journals,
            adjudicator=settings.annotator,
            out=out,
            rule=rule,
            guideline_version=guide.version,
        )
    for issue in desk.issues[:20]:
        typer.echo(f"warning: {issue}", err=True)
    try:
        make_adjudicate_app(desk, settings, guide, load_issues=desk.issues).run()
    finally:
        desk.close()
    typer.echo(f"resolutions journal: {desk.out.path}", err=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("adjudicate")(adjudicate)


def _open_remote(settings, out: Path | None, guidelines: Path | None):
    from rankterm.guidelines import EMPTY, content_version, load_guidelines, parse_guidelines
    from rankterm.sources.adjudication import RemoteDesk
    from rankterm.sources.client import NotFoundError, TaskClient
    from rankterm.sources.remote import default_remote_journal
    from rankterm.storage.journal import Journal

    if not settings.project:
        raise UsageError("--server needs --project (or 'project' in the config)")
    if settings.token is None:
        raise UsageError("no token for the task server: set RANKTERM_TOKEN")
    client = TaskClient(settings.server, settings.project, settings.token.get_secret_value())
    who = str(client.me().get("name") or settings.annotator)
    path = out or default_remote_journal(settings.server, settings.project, f"{who}-adjudications")
    guide = EMPTY
    if guidelines is not None:
        guide = load_guidelines(guidelines)
    else:
        try:
            text = str(client.guidelines().get("content") or "")
        except NotFoundError:  # a project need not have guidelines
            text = ""
        if text:
            data = text.encode()
            guide = parse_guidelines(text, version=content_version(data))
    desk = RemoteDesk(client, Journal.open(path), who)
    desk.guideline_version = guide.version if guide.version != "none" else None
    return desk, guide
