"""The CLI surface, pinned: every command's path, help and options, as scripts rely on them.

A change to a command name, an option, its default or its help text fails here until the pinned
tree is rewritten on purpose: ``uv run --extra interop python -m tests.core.test_command_tree``
writes ``cli_tree.json`` anew (then read its diff before committing it).
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Any

import orjson
import typer

from rankterm.commands.cli import _register_commands, app

PINNED = Path(__file__).with_name("cli_tree.json")


def _plain(value: Any) -> Any:
    """A default as JSON: enum members by value, tuples as lists."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def _type(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return f"{annotation.__name__}({'|'.join(str(m.value) for m in annotation)})"
    if isinstance(annotation, type):
        return annotation.__qualname__
    return str(annotation).replace("pathlib.", "")


def _param(param: Any) -> dict[str, Any]:
    descriptor = getattr(param, "type_descriptor", None)
    entry = {
        "name": param.name,
        "kind": param.param_type_name,
        "opts": list(param.opts),
        "secondary_opts": list(param.secondary_opts),
        "type": _type(descriptor.annotation) if descriptor is not None else None,
        "required": param.required,
        "default": _plain(param.default),
        "nargs": param.nargs,
        "multiple": param.multiple,
        "is_flag": getattr(param, "is_flag", False),
        "metavar": param.metavar,
        "min": getattr(param, "min", None),
        "max": getattr(param, "max", None),
        "hidden": getattr(param, "hidden", False),
        "help": getattr(param, "help", None),
    }
    return entry


def command_tree() -> dict[str, Any]:
    """Every command and group of ``rankterm``, by its full path, with its help and options."""
    _register_commands()
    tree: dict[str, Any] = {}

    def walk(command: Any, path: list[str]) -> None:
        node: dict[str, Any] = {
            "help": command.help,
            "params": [_param(p) for p in command.params],
        }
        if hasattr(command, "list_commands"):
            names = command.list_commands(None)
            node["commands"] = names
            node["no_args_is_help"] = command.no_args_is_help
            for name in names:
                walk(command.get_command(None, name), [*path, name])
        tree[" ".join(["rankterm", *path])] = node

    walk(typer.main.get_command(app), [])
    return tree


def test_the_command_tree_is_the_pinned_one() -> None:
    pinned = orjson.loads(PINNED.read_bytes())
    now = command_tree()
    assert sorted(now) == sorted(pinned), "commands added or removed"
    for path, node in now.items():
        assert node == pinned[path], f"{path!r} changed (see this module's docstring)"


def test_the_tree_covers_every_command_group() -> None:
    """The walk reaches the nested admin groups (a walk that stopped at the root pins little)."""
    tree = command_tree()
    assert "rankterm admin project add-member" in tree
    assert "rankterm admin token revoke" in tree
    assert len(tree) >= 30


if __name__ == "__main__":
    PINNED.write_bytes(orjson.dumps(command_tree(), option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.write(f"wrote {PINNED}\n")
