"""``rankterm guidelines diff | requeue``: what changed between two guideline versions, and
which judged pairs to judge again under the new one (local mode; see :mod:`rankterm.rejudge`).

Exit codes: 0 done (also when nothing changed or nothing is re-queued), 1 an unreadable file,
2 usage error.
"""

from __future__ import annotations

from pathlib import Path

import typer

from rankterm.rejudge import Requeue

guidelines_app = typer.Typer(
    help="Guideline versions: section diff, and re-judging pairs after a change.",
    no_args_is_help=True,
)

OLD = typer.Argument(..., metavar="OLD.md", help="The guidelines the pairs were judged under.")
NEW = typer.Argument(..., metavar="NEW.md", help="The new guidelines.")


def _diff_lines(old: Path, new: Path):
    from rankterm.guidelines import load_guidelines, section_diff

    before, after = load_guidelines(old), load_guidelines(new)
    return before, after, section_diff(before, after)


@guidelines_app.command("diff")
def diff_command(old: Path = OLD, new: Path = NEW) -> None:
    """Sections added (+), removed (-) and changed (~) from OLD to NEW."""
    from rankterm.core.sanitize import inert

    before, after, diff = _diff_lines(old, new)
    typer.echo(f"{before.version} -> {after.version}")
    if not diff.any:
        typer.echo("no section changed")
    for line in diff.lines():
        typer.echo(inert(line))


@guidelines_app.command("requeue")
def requeue_command(
    old: Path = OLD,
    new: Path = NEW,
    journals: list[Path] = typer.Argument(..., metavar="JOURNAL", help="Journals of the pairs."),
    pairs: Path = typer.Option(..., "--pairs", help="The pairs file that was judged."),
    requeue: Requeue = typer.Option(
        Requeue.CHANGED,
        "--requeue",
        help="changed: pairs whose tags meet a changed section, plus guideline-unclear ones; "
        "unclear: only those an adjudicator marked guideline unclear; none: nothing.",
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Pairs file of the pairs to re-judge."),
    force: bool = typer.Option(False, "--force", "-f", help="Replace the output file."),
) -> None:
    """Write the pairs to judge again under NEW: annotate that file with --guidelines NEW.md
    (a fresh journal: blind to the earlier verdicts, which stay where they are)."""
    import orjson

    from rankterm.core.errors import UsageError, display_path
    from rankterm.core.sanitize import inert
    from rankterm.formats.transfer import atomic_output, refuse_overwrite
    from rankterm.rejudge import select
    from rankterm.storage.index import index_pairs
    from rankterm.storage.journal import load_journals

    refuse_overwrite(output, force)
    for path in (*journals, pairs):
        if not path.is_file():
            raise UsageError(f"{display_path(path)}: no such file")
    before, after, diff = _diff_lines(old, new)
    issues: list = []
    state = load_journals(journals, issues)
    index = index_pairs(pairs)
    issues += index.issues
    picked = 0
    with index, atomic_output(output) as out:
        picks = select(
            index.iter_pairs(), state.active(), state.resolutions, diff, before, after, requeue
        )
        for pick in picks:
            out.write(orjson.dumps(pick.record(after.version)) + b"\n")
            picked += 1
    for issue in issues[:20]:
        typer.echo(inert(str(issue)), err=True)
    for line in diff.lines():
        typer.echo(inert(line), err=True)
    typer.echo(
        f"wrote {picked} pair{'' if picked == 1 else 's'} to re-judge under {after.version} "
        f"to {display_path(output)} (--requeue {requeue.value})",
        err=True,
    )


def register(app: typer.Typer) -> None:
    """Add the ``guidelines`` group to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.add_typer(guidelines_app, name="guidelines")
