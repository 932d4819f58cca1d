"""``rankterm unpack``: turn a task-server export into a pairs file and a journal."""

from __future__ import annotations

from pathlib import Path

import typer

from rankterm.core.errors import UsageError


def unpack(
    dump: Path = typer.Argument(..., help="NDJSON from `rankterm admin export`."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory to write into."),
    force: bool = typer.Option(
        False, "--force", "-f", help="Replace DIR/pairs.jsonl and DIR/judgments.jsonl."
    ),
) -> None:
    """Split a server export into DIR/pairs.jsonl and DIR/judgments.jsonl, the inputs of
    `rankterm export`, `agreement`, `report`, `leaderboard` and `adjudicate`."""
    import orjson

    from rankterm.core.errors import display_path
    from rankterm.core.sanitize import inert
    from rankterm.formats.transfer import atomic_output, refuse_overwrite
    from rankterm.storage.journal import JOURNAL_MODE, decode

    if not dump.is_file():
        raise UsageError(f"{display_path(dump)}: no such file")
    for name in ("pairs.jsonl", "judgments.jsonl"):  # a journal replaced is verdicts lost
        refuse_overwrite(out / name, force)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"pairs": 0, "records": 0, "skipped": 0}
    # Temporary files with random names, renamed over the targets (links there refused).
    with (
        dump.open("rb") as source,
        atomic_output(out / "pairs.jsonl") as pairs,
        atomic_output(out / "judgments.jsonl", mode=JOURNAL_MODE) as journal,
    ):
        for line_no, raw in enumerate(source, start=1):
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
                kind = record.get("kind")
                if kind == "pair":
                    pairs.write(orjson.dumps(record["pair"]) + b"\n")
                    counts["pairs"] += 1
                elif kind in ("project", "guidelines"):
                    continue
                else:
                    decode(record)  # validate: only sound journal records are copied
                    journal.write(raw if raw.endswith(b"\n") else raw + b"\n")
                    counts["records"] += 1
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                counts["skipped"] += 1
                typer.echo(inert(f"warning: {dump}:{line_no}: {exc}"), err=True)
    typer.echo(
        f"{counts['pairs']} pairs -> {out / 'pairs.jsonl'}; {counts['records']} journal "
        f"records -> {out / 'judgments.jsonl'}; {counts['skipped']} bad lines skipped",
        err=True,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("unpack")(unpack)
