"""Settings: a TOML file at the platformdirs path, then ``RANKTERM_*`` env vars, then flags.

Secrets (the server token) come from the environment or the file, never from a flag, so they
stay out of shell history and process listings.
"""

from __future__ import annotations

import getpass
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from rankterm.core.errors import UsageError, describe_validation_error, display_path

APP_NAME = "rankterm"


class TagSpec(BaseModel):
    """An error-type tag an annotator can toggle on a pair with one key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Stored on the judgment, e.g. 'hallucination'.")
    key: str = Field(min_length=1, description="Key that toggles it, e.g. 'h'.")
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")


DEFAULT_TAGS = [
    TagSpec(name="hallucination", key="h"),
    TagSpec(name="factual_error", key="f"),
    TagSpec(name="bias", key="b"),
    TagSpec(name="toxicity", key="x"),
    TagSpec(name="privacy_leak", key="p"),
    TagSpec(name="unsafe_advice", key="u"),
    TagSpec(name="needless_refusal", key="n"),
]


def default_annotator() -> str:
    """The login name: who is at the keyboard unless told otherwise."""
    try:
        return getpass.getuser() or "annotator"
    except (KeyError, OSError):
        return "annotator"


class Settings(BaseModel):
    """Everything a user may set. Field docs double as the config file's documentation."""

    model_config = ConfigDict(extra="forbid")

    annotator: str = Field(default_factory=default_annotator, min_length=1)
    """Who is judging; stamped on every judgment."""
    idle_seconds: float = Field(default=30.0, gt=0)
    """Time without input after which the active-time clock stops."""
    tags: list[TagSpec] = Field(default_factory=lambda: list(DEFAULT_TAGS))
    """Error-type tags and their toggle keys."""
    criteria: list[str] = Field(default_factory=list)
    """Criteria judged separately (key v), e.g. ["helpfulness", "harmlessness"]; a task
    server project's own criteria are added to these."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Remapped bindings: binding id -> key(s), e.g. {"verdict.left_much" = "a"}."""
    theme: str = "textual-dark"
    """Any Textual theme name."""
    server: str | None = None
    """Task server URL for remote mode."""
    project: str | None = None
    """Project on the task server."""
    token: SecretStr | None = None
    """Server token; prefer the RANKTERM_TOKEN environment variable."""
    batch_size: int = Field(default=20, ge=1, le=500)
    """How many pairs to lease ahead in remote mode."""
    rates: dict[str, float] = Field(default_factory=dict)
    """Pay per hour of active time, per annotator (``"*"``: anyone not named); turns into
    cost per label in `agreement --json` and `report`."""
    currency: str = Field(default="", max_length=16)
    """What the rates are in (e.g. "USD"), printed beside the cost figures."""
    api_keys: dict[str, SecretStr] = Field(default_factory=dict)
    """Keys for `generate`/`judge` endpoints, by model NAME or BASE_URL; prefer the
    RANKTERM_API_KEY_<NAME> (or RANKTERM_API_KEY) environment variable."""


ENV_FIELDS = {
    "RANKTERM_ANNOTATOR": "annotator",
    "RANKTERM_IDLE_SECONDS": "idle_seconds",
    "RANKTERM_THEME": "theme",
    "RANKTERM_SERVER": "server",
    "RANKTERM_PROJECT": "project",
    "RANKTERM_TOKEN": "token",
    "RANKTERM_BATCH_SIZE": "batch_size",
}


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME)


def config_path() -> Path:
    """``RANKTERM_CONFIG`` if set, else ``<platformdirs config dir>/config.toml``."""
    override = os.environ.get("RANKTERM_CONFIG")
    return Path(override) if override else config_dir() / "config.toml"


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{display_path(path)}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{display_path(path)}: cannot read ({exc.strerror})") from None


def token_exposure(path: Path) -> str | None:
    """The warning to give when ``path`` holds a token others can read, else None."""
    from rankterm.storage.private_files import readable_by_others

    if not readable_by_others(path):
        return None
    return (
        f"{display_path(path)} holds a server token and other users can read it; "
        f"run: chmod 600 {path}  (or keep the token in RANKTERM_TOKEN instead)"
    )


def warn_if_token_exposed(path: Path) -> None:
    """Said on stderr before anything else runs: the token works for anyone who reads it."""
    message = token_exposure(path)
    if message:
        sys.stderr.write(f"rankterm: warning: {message}\n")


def load_settings(overrides: dict[str, Any] | None = None, path: Path | None = None) -> Settings:
    """Merge file, environment and flags (later wins); errors name the source and field."""
    path = path or config_path()
    data = read_config_file(path)
    if data.get("token") or data.get("api_keys"):
        warn_if_token_exposed(path)
    sources = {key: display_path(path) for key in data}
    for env, name in ENV_FIELDS.items():
        if env in os.environ and os.environ[env] != "":
            data[name] = os.environ[env]
            sources[name] = f"${env}"
    for name, value in (overrides or {}).items():
        if value is not None:
            data[name] = value
            sources[name] = "command line"
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]["loc"][0] if exc.errors() else ""
        origin = sources.get(str(first), "settings")
        raise UsageError(f"{origin}: {describe_validation_error(exc)}") from None


EXAMPLE_CONFIG = """\
# rankterm configuration. Every key is optional; env vars RANKTERM_* and flags override.
# annotator = "alice"
# idle_seconds = 30          # active-time clock stops after this much idle time
# theme = "textual-dark"
# server = "https://tasks.example:8765"
# project = "helpfulness-v2"
# token: set RANKTERM_TOKEN in the environment instead of writing it here.

# Remap any binding by its id (see the help screen, key ?):
# [keys]
# "verdict.left_much" = "1"
# "undo" = "z,ctrl+z"

# Criteria to judge separately, on key v (a server project's criteria are added):
# criteria = ["helpfulness", "harmlessness"]

# Pay per hour of active time, for cost per label in `agreement --json` and `report`:
# currency = "USD"
# [rates]
# "*" = 18.0      # anyone not named
# alice = 22.5

# Error-type tags and their toggle keys (replaces the default list):
# [[tags]]
# name = "hallucination"
# key = "h"
"""
