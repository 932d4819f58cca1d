"""Alembic environment: always online, on the connection handed over in ``config.attributes``."""

from __future__ import annotations

from typing import Any

from alembic import context

from rankterm.server.tables import metadata

connection = context.config.attributes["connection"]
applied: list[str] | None = context.config.attributes.get("applied")


def _record(*, step: Any, **_: Any) -> None:
    # Lets the runner name the revision that failed in its one-line error.
    if applied is not None and step.up_revision_id:
        applied.append(step.up_revision_id)


context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    on_version_apply=_record,
)
with context.begin_transaction():
    context.run_migrations()
