"""The ``rankterm`` command line: one Typer app, one module per command group.

Commands live in :mod:`rankterm.commands`; each module registers its commands on the shared
app. Heavy imports (Textual, FastAPI, SQLAlchemy) happen inside the command functions so that
``rankterm --help`` and scripted commands start fast.
"""

from __future__ import annotations

import sys

import typer

from rankterm import __version__
from rankterm.core.errors import RanktermError
from rankterm.core.exits import ExitCode

app = typer.Typer(
    name="rankterm",
    help="Rapid pairwise ranking of LLM responses in the terminal.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rankterm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Rapid pairwise ranking of LLM responses: annotate, adjudicate, measure, export."""


_registered = False


def _register_commands() -> None:
    global _registered
    if _registered:
        return
    from rankterm.commands import register_all

    register_all(app)
    _registered = True


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user errors print one line and exit non-zero."""
    _register_commands()
    try:
        app(args=argv, standalone_mode=True)
    except RanktermError as exc:
        from rankterm.core.sanitize import inert

        typer.echo(f"rankterm: {inert(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("rankterm: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
