"""Command groups of the ``rankterm`` CLI, one module each.

Every command is a top-level function of its module, importable and callable on its own (its
parameters' defaults are Typer's option declarations, so pass every argument when calling it
directly); each module's ``register(app)`` adds its commands, or its sub-app, to the app.
"""

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
    "admin",
    "sync",
    "quality",
    "guidelines_cmd",
    "web",
    "generate",
    "judge",
    "sample",
]


def register_all(app: typer.Typer) -> None:
    """Add every command group to ``app``, in :data:`COMMAND_MODULES` order."""
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"rankterm.commands.{name}")
        module.register(app)
