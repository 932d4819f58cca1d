"""Command groups of the ``rankterm`` CLI; each module has ``register(app)``."""

from __future__ import annotations

import importlib

import typer

#: Modules under rankterm.commands, in the order their commands appear in --help.
COMMAND_MODULES = [
    "annotate",
    "adjudicate",
    "config_cmd",
    "interop",
    "unpack",
    "server",
    "quality",
    "web",
]


def register_all(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"rankterm.commands.{name}")
        module.register(app)
