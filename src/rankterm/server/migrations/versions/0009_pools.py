"""Annotator pools (issue #17 §4): projects.requirements, projects.pool_keys, pairs.pool

A project's requirements say which profile attribute a slice of its pairs needs
(``metadata.language=de:languages=de``). Each pair's pool (what it needs, ``""`` for nothing)
is computed at import and when the requirements change, so a lease filters on a column and
never reads pair JSON. ``ix_pairs_pool`` is partial (pooled pairs only): the report groups by
it, and the lease filter (which always includes ``""``) cannot be served by it, so leases keep
walking ``ix_pairs_queue`` in priority order.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(
            sa.Column("requirements", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(
            sa.Column("pool_keys", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(
            sa.Column("slice_pairs", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("pairs") as batch:
        batch.add_column(sa.Column("pool", sa.String(2000), nullable=False, server_default=""))
    op.create_index(
        "ix_pairs_pool",
        "pairs",
        ["project_id", "pool"],
        sqlite_where=sa.text("pool <> ''"),
        postgresql_where=sa.text("pool <> ''"),
    )


def downgrade() -> None:
    op.drop_index("ix_pairs_pool", table_name="pairs")
    with op.batch_alter_table("pairs") as batch:
        batch.drop_column("pool")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("slice_pairs")
        batch.drop_column("pool_keys")
        batch.drop_column("requirements")
