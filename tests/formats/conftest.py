"""Shared helpers for the format and interop tests: fixtures on disk and a CLI runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rankterm.commands import interop
from rankterm.core.errors import RanktermError

DATA = Path(__file__).parent / "data"


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def _make_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """rankterm (interop commands only)."""

    interop.register(app)
    return app


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run ``rankterm <args>`` through the real command functions, in ``tmp_path``.

    RanktermError is mapped to its exit code and message, as ``rankterm.commands.cli.main`` does.
    """
    monkeypatch.chdir(tmp_path)
    app = _make_app()
    runner = CliRunner()

    def run(*args: str, input: bytes | str | None = None) -> Ran:
        result = runner.invoke(app, [str(a) for a in args], input=input)
        stderr = result.stderr
        code = result.exit_code
        if isinstance(result.exception, RanktermError):
            code = result.exception.exit_code
            stderr += f"rankterm: {result.exception}\n"
        elif result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ran(code, result.stdout, stderr, result.stdout_bytes)

    return run


@pytest.fixture
def data() -> Path:
    return DATA
