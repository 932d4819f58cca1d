"""Commands are importable units: each is a top-level function that runs without the whole CLI.

Called directly (every parameter given, as Typer would pass them) or through a Typer app that
holds that one command or group, they behave as under ``rankterm``.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from rankterm.commands import COMMAND_MODULES
from rankterm.commands.admin import admin_app, user_add, user_list
from rankterm.commands.config_cmd import config_command
from rankterm.commands.unpack import unpack
from rankterm.core.errors import UsageError
from rankterm.core.model import Choice, Judgment
from tests.helpers import pair_record


def _dump(path: Path) -> Path:
    verdict = Judgment(pair_id="pair-000", annotator="ana", choice=Choice.A, strength=2)
    lines = [
        orjson.dumps({"kind": "pair", "pair": pair_record(0), "status": {}}),
        orjson.dumps(verdict.model_dump(mode="json") | {"kind": "judgment"}),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_a_command_function_runs_when_called_directly(tmp_path: Path, capsys) -> None:
    dump = _dump(tmp_path / "dump.ndjson")
    unpack(dump=dump, out=tmp_path / "out", force=False)
    pairs = (tmp_path / "out" / "pairs.jsonl").read_bytes().splitlines()
    journal = (tmp_path / "out" / "judgments.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["id"] for line in pairs] == ["pair-000"]
    assert [orjson.loads(line)["pair_id"] for line in journal] == ["pair-000"]
    assert "1 pairs" in capsys.readouterr().err
    # Its user errors are the CLI's own (rankterm.commands.cli.main maps them to exit code 2).
    with pytest.raises(UsageError, match="no such file"):
        unpack(dump=tmp_path / "missing.ndjson", out=tmp_path / "out", force=False)


def test_a_command_function_runs_alone_under_typer() -> None:
    # tests/conftest.py points RANKTERM_CONFIG at a fresh temporary home.
    alone = typer.Typer()
    alone.command("config")(config_command)
    result = CliRunner().invoke(alone, ["--path"])
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path == Path(os.environ["RANKTERM_CONFIG"])
    assert not path.exists()
    assert CliRunner().invoke(alone, ["--init"]).exit_code == 0
    assert path.is_file()
    again = CliRunner().invoke(alone, ["--init"])  # never overwrites: exit 1, as under rankterm
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_a_command_group_runs_alone_and_its_commands_directly(tmp_path: Path, capsys) -> None:
    pytest.importorskip("sqlalchemy")
    db = str(tmp_path / "admin.db")
    result = CliRunner().invoke(admin_app, ["migrate", "--db", db])
    assert result.exit_code == 0, result.output
    assert "schema at revision" in result.output
    user_add(name="ana", role="annotator", profile=None, db=db)
    user_list(db=db)
    assert capsys.readouterr().out.splitlines() == ["added annotator ana", "ana\tannotator"]


def test_every_command_module_registers_its_commands() -> None:
    """``register(app)`` only adds module-level commands: registering every module on a fresh
    app gives the same command names as ``rankterm`` (no command is defined inside it)."""
    import importlib

    fresh = typer.Typer()
    for name in COMMAND_MODULES:
        importlib.import_module(f"rankterm.commands.{name}").register(fresh)
    commands = {c.name for c in fresh.registered_commands} | {
        g.name for g in fresh.registered_groups
    }
    assert commands == {
        "annotate",
        "adjudicate",
        "config",
        "import",
        "export",
        "leaderboard",
        "formats",
        "unpack",
        "serve",
        "sync",
        "agreement",
        "report",
        "guidelines",
        "admin",
        "web",
        "generate",
        "judge",
        "sample",
        "monitor",
    }
    for info in fresh.registered_commands:
        function = info.callback
        assert "<locals>" not in function.__qualname__, function.__qualname__
        module = importlib.import_module(function.__module__)
        assert getattr(module, function.__name__) is function
