"""Who may import what, as rules over the whole package rather than lists of modules.

- Only the TUI (``rankterm.tui``) and the commands (``rankterm.commands``, the CLI root included,
  and the ``python -m rankterm`` entry point) may import Textual: the core stays importable by
  scripts and by the server without it.
- Only the server (``rankterm.server``) and the commands may import the server's
  dependencies: an annotator's install (TUI, sources, formats, storage) needs none of them.

Every module of the package is found with ``pkgutil.walk_packages``, so a new module is covered
the day it is added. Each rule is checked twice: at run time (a fresh interpreter imports every
module the rule covers and must not end up with the forbidden package loaded), and statically
over the import graph (grimp, which also sees imports inside functions that the run-time check
only meets when the function runs).
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from functools import cache

import grimp
import pytest

import rankterm

COMMANDS = ("rankterm.commands", "rankterm.__main__")
TEXTUAL = ("textual",)
SERVER_DEPS = ("fastapi", "sqlalchemy", "uvicorn", "alembic", "psycopg")
WEB_DEPS = ("aiohttp", "textual_serve")
SCRIPTS = ("rankterm.server.migrations",)
"""Alembic's migration scripts: alembic runs them as files (``env.py`` configures a migration
context when loaded), they are not modules anything imports."""

RULES = {
    "only the TUI and the commands import Textual": (("rankterm.tui", *COMMANDS), TEXTUAL),
    "an annotator's install needs no server dependencies": (
        ("rankterm.server", *COMMANDS),
        SERVER_DEPS,
    ),
    "only `rankterm web` serves browsers": (("rankterm.web", *COMMANDS), WEB_DEPS),
}


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


@cache
def all_modules() -> tuple[str, ...]:
    """Every module and package of rankterm, found on disk (not from a list)."""
    names = ["rankterm"]
    for info in pkgutil.walk_packages(rankterm.__path__, "rankterm.", onerror=lambda _: None):
        if not _within(info.name, SCRIPTS):
            names.append(info.name)
    return tuple(names)


def covered(allowed: tuple[str, ...]) -> list[str]:
    return [m for m in all_modules() if not _within(m, allowed)]


def test_the_walk_finds_the_whole_package() -> None:
    """The rules are only as good as the walk: it must reach deep modules of every layer."""
    found = set(all_modules())
    for deep in (
        "rankterm.storage.index",
        "rankterm.labels.rules",
        "rankterm.quality.leaderboard",
        "rankterm.tui.widgets.status_bar",
        "rankterm.server.api.work",
        "rankterm.commands.interop",
        "rankterm.formats.trl",
    ):
        assert deep in found
    assert len(found) > 100


# The child imports the covered modules one by one and names the first after which a forbidden
# package is loaded (that module imports it, directly or through another). A module that cannot
# be imported because an optional extra is missing is skipped; one that fails because a
# forbidden package is missing (an annotator's install has no fastapi) breaks the rule.
CHILD = """
import importlib, sys
names, forbidden = sys.argv[1].split(","), tuple(sys.argv[2].split(","))
def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
for name in names:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in forbidden:
            print(f"{name} needs {exc.name}")
            break
        print(f"skipped {name}: {exc}", file=sys.stderr)
        continue
    if loaded():
        print(f"{name} loads {', '.join(loaded()[:3])}")
        break
"""


@pytest.mark.parametrize("rule", RULES)
def test_importing_a_module_loads_nothing_it_may_not(rule: str) -> None:
    allowed, forbidden = RULES[rule]
    names = covered(allowed)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, ",".join(names), ",".join(forbidden)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{rule}: {result.stdout.strip()}"


@pytest.mark.parametrize("rule", RULES)
def test_no_import_chain_reaches_what_it_may_not(rule: str) -> None:
    """Statically, imports inside functions included (``import`` statements, not strings)."""
    allowed, forbidden = RULES[rule]
    graph = graph_of_rankterm()
    broken = []
    for name in covered(allowed):
        if name not in graph.modules:
            continue
        for target in forbidden:
            if target not in graph.modules:
                continue
            chain = graph.find_shortest_chain(importer=name, imported=target)
            if chain is not None:
                broken.append(" -> ".join(chain))
    assert not broken, f"{rule}:\n" + "\n".join(broken)


@cache
def graph_of_rankterm() -> grimp.ImportGraph:
    return grimp.build_graph("rankterm", include_external_packages=True, cache_dir=None)


def test_the_core_stands_on_nothing_of_rankterm() -> None:
    """``rankterm.core`` is the ground floor: every layer builds on it, it builds on no layer.

    A core module importing storage, sources or the TUI would put a circle under every package.
    """
    graph = graph_of_rankterm()
    core = [m for m in graph.modules if _within(m, ("rankterm.core",))]
    assert core, "the walk found no rankterm.core"
    reaching_out = sorted(
        f"{module} -> {imported}"
        for module in core
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("rankterm") and not _within(imported, ("rankterm.core",))
    )
    assert not reaching_out, "\n".join(reaching_out)


def test_the_tui_does_not_pay_for_the_wire_models() -> None:
    """The editors need the size limits only (``core.limits``); the wire models cost a start
    about 10 ms, paid only where a remote source is built."""
    graph = graph_of_rankterm()
    direct = sorted(
        module
        for module in graph.modules
        if _within(module, ("rankterm.tui",))
        and "rankterm.core.wire" in graph.find_modules_directly_imported_by(module)
    )
    assert not direct, direct
