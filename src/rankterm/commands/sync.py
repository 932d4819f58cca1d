"""``rankterm sync``: push a journal made offline to the task server.

Exit codes: 0 ok, 1 failure, 2 usage error, 4 the server rejected some records (they stay in
the journal with a rejected receipt and are listed).
"""

from __future__ import annotations

from pathlib import Path

import typer

from rankterm.core.errors import UsageError
from rankterm.core.exits import ExitCode

SYNC_REJECTED_EXIT = ExitCode.INCOMPLETE


def sync(
    journal: Path = typer.Argument(..., help="Journal file to push."),
    server: str | None = typer.Option(None, "--server", help="Task server URL (or config)."),
    project_name: str | None = typer.Option(
        None, "--project", help="Project on the server (or config)."
    ),
    batch: int = typer.Option(500, "--batch", min=1, max=10_000, help="Records per request."),
) -> None:
    """Push a journal made offline; the server's receipts are appended to it as acks.

    The token comes from RANKTERM_TOKEN or the config file, never from a flag.

    Exit code 4: the server rejected some records (listed; their receipts say why).
    """
    code = _push_journal(journal, server, project_name, batch)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``sync`` to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("sync")(sync)


def _push_journal(path: Path, server: str | None, project: str | None, batch: int) -> int:
    """Send unacked judgments, K-way rankings (each with the comparisons it names), then
    retractions; journal each batch's receipts at once. A comparison's retraction (an undo
    mid-ranking) stays local: the server only ever holds comparisons inside their ranking.

    Receipts are appended right after each batch, so an interrupted sync resumes where it
    stopped; resending is harmless anyway because the server is idempotent on record ids.
    """
    from rankterm.config import load_settings
    from rankterm.core.errors import LoadIssue, display_path
    from rankterm.core.model import Judgment, Retraction
    from rankterm.core.wire import RankingSubmission
    from rankterm.sources.client import TaskClient, token_from_settings
    from rankterm.storage.journal import Journal, read_journal, replay

    settings = load_settings({"server": server, "project": project})
    if not settings.server:
        raise UsageError("no server: pass --server URL or set 'server' in the config")
    if not settings.project:
        raise UsageError("no project: pass --project NAME or set 'project' in the config")
    token = token_from_settings()
    if not token:
        raise UsageError("no token: set RANKTERM_TOKEN (or 'token' in the config file)")
    if not path.exists():
        raise UsageError(f"{display_path(path)}: no such journal")
    issues: list[LoadIssue] = []
    with Journal.open(path) as journal:
        state = replay(read_journal(path, issues))
        for issue in issues:
            typer.echo(f"warning: {issue}", err=True)
        pending = state.unacked()
        judgments = [e for e in pending if isinstance(e, Judgment)]
        retractions = [
            e for e in pending if isinstance(e, Retraction) and e.retracts not in state.comparisons
        ]
        rankings = [
            RankingSubmission(
                **r.model_dump(),
                steps=[state.comparisons[c] for c in r.comparisons if c in state.comparisons],
            )
            for r in state.rankings.values()
            if r.id not in state.acks
        ]
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        rejected = []
        with TaskClient(settings.server, settings.project, token, batch_size=batch) as client:
            for records, send in (
                (judgments, client.submit),
                (rankings, client.submit_rankings),
                (retractions, client.retract),
            ):
                for start in range(0, len(records), batch):
                    acks = send(records[start : start + batch])
                    journal.append_many(acks)
                    for ack in acks:
                        counts[ack.status] += 1
                        if ack.status == "rejected":
                            rejected.append(ack)
    for ack in rejected:
        typer.echo(f"rejected {ack.judgment_id}: {ack.reason}", err=True)
    ranked = f", {len(rankings)} rankings" if rankings else ""
    typer.echo(
        f"{len(judgments)} judgments{ranked} and {len(retractions)} retractions sent: "
        f"{counts['accepted']} accepted, {counts['duplicate']} already there, "
        f"{counts['rejected']} rejected"
    )
    return SYNC_REJECTED_EXIT if rejected else ExitCode.OK
