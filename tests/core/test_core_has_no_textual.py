"""The core must stay importable by scripts and the server without Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE = [
    "rankterm.model",
    "rankterm.pairs",
    "rankterm.journal",
    "rankterm.config",
    "rankterm.sanitize",
    "rankterm.guidelines",
    "rankterm.clock",
    "rankterm.diff",
    "rankterm.sources",
    "rankterm.sources.local",
    "rankterm.sources.remote",
    "rankterm.sources.client",
    "rankterm.sources.adjudication",
]


def test_core_modules_do_not_import_textual():
    extra = []
    for optional in ("rankterm.quality", "rankterm.formats"):
        try:
            __import__(optional)
            extra.append(optional)
        except ModuleNotFoundError:
            pass
    code = (
        "import importlib, sys\n"
        f"for name in {CORE + extra!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"core imported Textual: {result.stdout}"


def test_import_linter_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
