"""``rankterm annotate``: judge pairs in the TUI, locally or against a task server."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import typer

from rankterm.core.errors import UsageError, display_path
from rankterm.core.exits import ExitCode
from rankterm.core.sanitize import inert

#: Exit codes a script can rely on (the table: rankterm.core.exits).
EXIT_DONE = ExitCode.OK  # every pair in scope has a verdict
EXIT_LEFT = ExitCode.INCOMPLETE  # the annotator quit with pairs still unjudged


def _stdin_to_file() -> Path:
    """Pairs piped on stdin: spool them to a file (the index needs offsets), then give the
    terminal back to stdin so the TUI can read keys."""
    if sys.stdin.isatty():
        raise UsageError("'-' reads pairs from stdin, but stdin is a terminal; pipe a file in")
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, file kept
        prefix="rankterm-stdin-", suffix=".jsonl", delete=False
    )
    with handle:
        shutil.copyfileobj(sys.stdin.buffer, handle)
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        raise UsageError("no terminal to read keys from (/dev/tty is not available)") from None
    os.dup2(tty, 0)
    os.close(tty)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - wraps fd 0, which must stay open
    return Path(handle.name)


def _stdin_journal(export: tuple[str, Path] | None) -> Path:
    """Where verdicts on piped pairs are journaled without --out: beside the export
    (``out.jsonl`` -> ``out.judgments.jsonl``), so the same command run again resumes. The
    spooled pairs live in a temporary file; a journal beside it would be lost."""
    if export is None:
        raise UsageError(
            "reading pairs from stdin needs --out JOURNAL (where your verdicts are kept), "
            "or --export FORMAT PATH (they are then kept beside PATH)"
        )
    target = export[1]
    return target.with_name(f"{target.stem}.judgments.jsonl")


def _progress(label: str):
    """A stderr progress line for long loads; silent when the load is quick."""
    state = {"shown": False}

    def update(done: int, total: int) -> None:
        if total < (64 << 20) or not sys.stderr.isatty():
            return
        state["shown"] = True
        sys.stderr.write(f"\r{label}: {done / total:5.1%} of {total >> 20} MiB")
        sys.stderr.flush()
        if done >= total:
            sys.stderr.write("\n")

    return update


def _finish_indexing(source) -> bool:
    """After the TUI on a big new file: let the whole-file index finish (the session ran on the
    head of the file), so totals, the exit code and the bad-line list are right and the next
    open is instant. Ctrl-C stops waiting; returns whether the index is complete."""
    if not source.indexing:
        return True
    tty = sys.stderr.isatty()
    sys.stderr.write("indexing the rest of the pairs file (Ctrl-C to skip)...\n")
    sys.stderr.flush()
    try:
        while not source.wait_indexed(0.5):
            if tty:
                sys.stderr.write(f"\rindexed {source.index_fraction:5.1%}")
                sys.stderr.flush()
    except KeyboardInterrupt:
        return False
    finally:
        if tty:
            sys.stderr.write("\r\x1b[K")
    return True


def _finish_checking(source) -> int:
    """After the TUI: let a background check of the pairs finish, so the list of bad lines is
    complete (and cached for the next open). Ctrl-C stops waiting; returns how many records
    were left unchecked."""
    if source.validated:
        return 0
    source.hurry_validation()
    checked, total = source.validation_progress()
    tty = sys.stderr.isatty()
    sys.stderr.write(
        f"checking the remaining {total - checked} of {total} pairs for bad lines "
        "(Ctrl-C to skip)...\n"
    )
    sys.stderr.flush()
    try:
        while not source.wait_validated(0.5):
            if tty:
                checked, total = source.validation_progress()
                sys.stderr.write(f"\rchecked {checked / max(total, 1):5.1%}")
                sys.stderr.flush()
    except KeyboardInterrupt:
        pass
    if tty:
        sys.stderr.write("\r\x1b[K")
    checked, total = source.validation_progress()
    return total - checked


def _sorted_issues(issues: list) -> list:
    """By line, a "... and N more" line (line 0) last (an unfinished check leaves them in the
    order found)."""
    return sorted(issues, key=lambda x: (x.line == 0, x.line))


def annotate(
    pairs: str | None = typer.Argument(
        None, help="JSONL file of pairs, or - to read them from stdin (omit with --server)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Journal file (default: <pairs stem>.judgments.jsonl beside it).",
    ),
    annotator: str | None = typer.Option(
        None, "--annotator", "-a", help="Your annotator id (default: config, else login name)."
    ),
    guidelines: Path | None = typer.Option(
        None,
        "--guidelines",
        "-g",
        help="Guidelines Markdown (default: guidelines.md beside the pairs).",
    ),
    limit: int | None = typer.Option(
        None, "--limit", "-n", min=1, help="Judge at most N pairs still to do, then finish."
    ),
    server: str | None = typer.Option(
        None, "--server", help="Task server URL (token from RANKTERM_TOKEN or the config)."
    ),
    project: str | None = typer.Option(None, "--project", "-p", help="Project on the server."),
    export: tuple[str, Path] | None = typer.Option(
        None,
        "--export",
        metavar="FORMAT PATH",
        help="At quit, export this journal's labels (e.g. --export trl out.jsonl).",
    ),
    force: bool = typer.Option(
        False, "--force", "-f", help="With --export: replace the export file if it exists."
    ),
    suggestions: list[Path] = typer.Option(
        [],
        "--suggestions",
        metavar="JUDGE_FILE",
        help="A `rankterm judge` output: its verdict on a pair is shown after yours is saved.",
    ),
    reward_suggestions: bool = typer.Option(
        False,
        "--reward-suggestions",
        help="Show the pair's reward scores (metadata reward {a, b}, or score_a/score_b) "
        "after your verdict is saved.",
    ),
) -> None:
    """Judge pairs of responses, one keystroke per verdict; every verdict is fsynced to the
    journal before the next pair appears. Reopening resumes at the first unjudged pair.

    Exit codes: 0 every pair in scope judged, 1 error, 2 usage, 3 journal in use, 4 quit with
    pairs left.
    """
    from rankterm.config import load_settings
    from rankterm.sources.local import open_local
    from rankterm.tui.app import make_app

    settings = load_settings({"annotator": annotator, "server": server, "project": project})
    book = _suggestion_book(suggestions, reward_suggestions)
    if pairs is None and settings.server:
        _annotate_remote(settings, out, guidelines, book)
        return
    if pairs is None:
        raise UsageError("give a pairs file to annotate, or --server URL --project P")
    if export is not None:
        from rankterm.formats.transfer import refuse_overwrite
        from rankterm.sources.local import default_journal_path

        _export_format(export[0])  # fail before any work, not after it
        if pairs == "-":
            journal_path = out or _stdin_journal(export)
        else:
            journal_path = out or default_journal_path(Path(pairs))
        # Resuming (the journal exists): the export is this journal's own output from the
        # last sitting, remade from a superset of it; replacing it loses nothing. A first
        # sitting must not replace a file it did not make.
        refuse_overwrite(export[1], force or Path(journal_path).exists())
    if pairs == "-":
        out = out or _stdin_journal(export)
        pairs_path = _stdin_to_file()
    else:
        pairs_path = Path(pairs)
        _refuse_out_is_pairs(out, pairs_path)
    source, guide, issues = open_local(
        pairs_path,
        annotator=settings.annotator,
        out=out,
        guidelines_path=guidelines,
        limit=limit,
        find_guidelines_beside=pairs != "-",
        progress=_progress("indexing pairs"),
    )
    for issue in issues[:20]:
        typer.echo(f"warning: {issue}", err=True)
    journal = source.journal
    rank_source = None
    if source.pairs.rank_positions():
        from rankterm.sources.ranking import RankSource

        rank_source = RankSource(source)
    try:
        scripted = limit is not None or export is not None
        tui = make_app(
            source,
            settings,
            guide,
            load_issues=issues,
            exit_when_done=scripted,
            rank_source=rank_source,
            suggestions=book,
        )
        tui.run()
        indexed = _finish_indexing(source)
        unchecked = _finish_checking(source) if indexed else 0
    finally:
        source.close()
    progress = source.progress()
    ranked = rank_source.progress() if rank_source is not None else None
    rankings = f", {ranked.done}/{ranked.total} ranked" if ranked is not None else ""
    typer.echo(
        inert(
            f"{progress.done}/{progress.total} pairs judged{rankings} by {settings.annotator}; "
            f"journal: {journal.path}"
        ),
        err=True,
    )
    # Everything not listed before the TUI, including bad lines found while it ran (the TUI
    # may have shown some of those already: the list here is the complete one).
    shown = set(issues[:20])
    everything = [*_sorted_issues(source.issues), *source.journal_issues]
    for issue in everything:
        if issue not in shown:
            typer.echo(f"warning: {issue}", err=True)
    if not indexed:
        typer.echo(
            "warning: the pairs file was not fully indexed (interrupted); the total above "
            "is an estimate, and the next open of this file indexes it again",
            err=True,
        )
    if unchecked:
        typer.echo(
            f"warning: {unchecked} records were not checked for bad lines (the check was "
            "interrupted); they are checked the next time this file is opened",
            err=True,
        )
    if export is not None:
        _export_journal(export[0], export[1], journal.path, pairs_path)
    finished = progress.done >= progress.total and (ranked is None or ranked.done >= ranked.total)
    raise typer.Exit(EXIT_DONE if finished else EXIT_LEFT)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("annotate")(annotate)


def _refuse_out_is_pairs(out: Path | None, pairs_path: Path) -> None:
    """--out naming the pairs file (by any name: same inode) would append verdicts to it."""
    if out is None:
        return
    try:
        same = os.path.samefile(out, pairs_path)
    except OSError:  # either does not exist yet: not the same file
        return
    if same:
        raise UsageError(
            f"--out {display_path(out)} is the pairs file {display_path(pairs_path)}; "
            "verdicts go to a journal of their own (leave --out out for the default)"
        )


def _suggestion_book(paths: list[Path], reward: bool):
    """The suggestions to reveal after each verdict (None without any), read before the TUI
    starts so a missing or empty judge file is a usage error, not a silent nothing."""
    if not paths and not reward:
        return None
    from rankterm.core.suggestions import SuggestionBook, judge_suggestions
    from rankterm.llm.writer import read_records

    records = []
    for path in paths:
        if not path.is_file():
            raise UsageError(f"--suggestions {display_path(path)}: no such file")
        found = list(read_records(path))
        if not judge_suggestions(found):
            raise UsageError(
                f"--suggestions {display_path(path)}: no readable model verdicts in it "
                "(records of `rankterm judge`, source: model)"
            )
        records += found
    return SuggestionBook(records, reward=reward)


def _annotate_remote(settings, out: Path | None, guidelines: Path | None, book=None) -> None:
    """Remote mode; exits like local mode: 0 once the server has nothing more for this
    annotator, 4 when they quit with pairs left (on hand, or still to lease)."""
    from rankterm.sources.remote import open_remote
    from rankterm.tui.app import make_app

    if not settings.project:
        raise UsageError("--server needs --project (or 'project' in the config)")
    if settings.token is None:
        raise UsageError(
            "no token for the task server: set RANKTERM_TOKEN (ask your admin for one), "
            'or put token = "..." in the config file'
        )
    source, guide, issues = open_remote(
        settings.server,
        settings.project,
        settings.token.get_secret_value(),
        annotator=settings.annotator,
        out=out,
        batch_size=settings.batch_size,
        guidelines_path=guidelines,
    )
    from rankterm.sources.ranking import RankSource

    try:
        # Leased ranking tasks are ranked first (as in local mode), so wait for the first
        # lease (or the failure to get one: then the cached leases are all there is).
        source.first_pass.wait(15)
        rank_source = RankSource(source)
        make_app(
            source,
            settings,
            guide,
            load_issues=issues,
            rank_source=rank_source,
            suggestions=book,
        ).run()
        # Done is what the screen calls "All done": nothing on hand and nothing more to lease.
        finished = source.current() is None and not source.rank_leases() and source.exhausted
    finally:
        source.close()
    progress = source.progress()
    typer.echo(
        inert(
            f"{len(source.history)} verdicts and {source.ranked_this_session()} rankings this "
            f"session; {progress.pending_sync} not yet "
            f"delivered (kept in {source.journal.path}; sent next time, or with rankterm sync)"
        ),
        err=True,
    )
    for ack in source.rejected:
        reason = inert(ack.reason)
        typer.echo(f"rejected by the server: judgment {ack.judgment_id}: {reason}", err=True)
    raise typer.Exit(EXIT_DONE if finished else EXIT_LEFT)


def _export_format(name: str):
    from rankterm.formats import get_format

    fmt = get_format(name)
    if not fmt.writable:
        raise UsageError(f"--export: {fmt.name} is import-only; it cannot be exported to")
    return fmt


def _export_journal(name: str, out: Path, journal_path: Path, pairs_path: Path) -> None:
    """Pipe mode: write the labels straight into the trainer's format, with the same defaults
    as ``rankterm export`` (ties and both-bad kept only where the format can say them)."""
    from rankterm.formats.transfer import atomic_output, run_export
    from rankterm.labels import Keep, LabelOptions, LabelPolicy, describe_drops
    from rankterm.storage.index import index_pairs
    from rankterm.storage.journal import load_journals

    fmt = _export_format(name)
    if fmt.chat_form is not None:  # chat pairs: the conversational form, as `export` does
        from rankterm.formats.registry import choose_form

        fmt, form_note = choose_form(fmt, pairs_path)
        if form_note:
            typer.echo(form_note, err=True)
    options = LabelOptions(
        ties=Keep.KEEP if fmt.ties else Keep.DROP,
        both_bad=Keep.KEEP if fmt.both_bad else Keep.DROP,
    )
    state = load_journals([journal_path])
    with index_pairs(pairs_path) as index, atomic_output(str(out)) as handle:
        summary = run_export(fmt, index.iter_pairs(), LabelPolicy(state, options), handle)
    typer.echo(f"exported {summary.records} {fmt.name} records to {out}", err=True)
    typer.echo(describe_drops(summary.dropped), err=True)
