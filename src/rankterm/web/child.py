"""How one person's TUI process is started: its argv, environment and private folder.

The token travels in the environment (``RANKTERM_TOKEN``), never in argv, where every user
of the machine could read it with ``ps``. The environment is built from a short allow-list,
not copied: the operator's own ``RANKTERM_*`` settings (their token above all) and anything
else in the front's environment must not leak into an annotator's session. ``HOME`` and
``RANKTERM_CONFIG`` point into the person's folder, so the operator's config file is not read
either.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from rankterm.guidelines import slug
from rankterm.storage.private_files import private_dir
from rankterm.web.signin import Person

#: Variables passed through from the front's environment (locale, paths, TLS trust stores).
PASSED = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)

#: Set in every person's process: the browser driver, and a flag the help screen reads.
WEB_ENV = {
    "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
    "TEXTUAL_FPS": "60",
    "TEXTUAL_COLOR_SYSTEM": "truecolor",
    "TERM_PROGRAM": "textual",
    "RANKTERM_WEB": "1",
}


def person_dir(data_dir: Path, name: str) -> Path:
    """``<data>/people/<slug>-<hash>``, 0700: the slug keeps it readable, the hash keeps two
    names with the same slug (``Ann.Lee`` and ``ann-lee``) apart."""
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return private_dir(
        data_dir / "people" / f"{slug(name)[:40] or 'user'}-{digest}", owned=data_dir
    )


def journal_path(data_dir: Path, person: Person, server: str, project: str, mode: str) -> Path:
    """One journal per person, task server, project and mode (verdicts or resolutions)."""
    from rankterm.sources.client import display_url

    where = slug(display_url(server).split("://", 1)[-1].removeprefix("***@")) or "server"
    kind = "judgments" if mode == "annotate" else "adjudications"
    return person_dir(data_dir, person.name) / f"{where}--{slug(project)}.{kind}.jsonl"


@dataclass(frozen=True)
class ChildSpec:
    """Everything needed to start one person's process (see :func:`child_spec`)."""

    argv: tuple[str, ...]
    env: dict[str, str]
    journal: Path


def child_spec(
    data_dir: Path,
    person: Person,
    token: str,
    *,
    server: str,
    project: str,
    mode: str,
    width: int = 80,
    height: int = 24,
) -> ChildSpec:
    journal = journal_path(data_dir, person, server, project, mode)
    home = journal.parent
    argv = (sys.executable, "-m", "rankterm", mode, "--server", server, "--project", project)
    argv += ("--out", str(journal))
    env = {key: os.environ[key] for key in PASSED if key in os.environ}
    env.update(WEB_ENV)
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "RANKTERM_CONFIG": str(home / "config.toml"),
            "RANKTERM_TOKEN": token,
            "RANKTERM_ANNOTATOR": person.name,
            "COLUMNS": str(width),
            "ROWS": str(height),
        }
    )
    return ChildSpec(argv=argv, env=env, journal=journal)
