"""projects.ordering and extra_on_conflict; pairs.info_score and the informative queue index

``ordering`` is how a project's open pairs are served: ``priority`` (as before) or
``informative`` (by ``pairs.info_score``, which :mod:`rankterm.server.informative` keeps up to
date). ``extra_on_conflict`` is the adaptive overlap: extra slots a pair gets only when its first
``overlap`` verdicts disagree. Existing projects keep their behaviour (priority, no extra).
On SQLite, ix_pairs_queue gets back the ``priority DESC`` an earlier rebuild lost.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(
            sa.Column("ordering", sa.String(length=20), server_default="priority", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "extra_on_conflict", sa.Integer(), server_default=sa.text("0"), nullable=False
            )
        )
    with op.batch_alter_table("pairs") as batch:
        batch.add_column(
            sa.Column("info_score", sa.Float(), server_default=sa.text("0"), nullable=False)
        )
    with op.batch_alter_table("pairs") as batch:
        batch.create_index(
            "ix_pairs_informative",
            [
                "project_id",
                "is_gold",
                "done",
                sa.literal_column("info_score DESC"),
                sa.literal_column("priority DESC"),
                "seq",
            ],
            unique=False,
        )

    _restore_queue_order()


def _restore_queue_order() -> None:
    """SQLite: give ix_pairs_queue back its ``priority DESC``.

    An earlier migration's table rebuild re-created the index from reflection, which drops
    the direction: ``ORDER BY priority DESC, seq`` then sorted every run of equal priorities
    (for a project imported without priorities, all its open pairs) on every lease.
    """
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    ddl = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'ix_pairs_queue'")
    ).scalar()
    if ddl is not None and "DESC" not in ddl.upper():
        op.execute("DROP INDEX ix_pairs_queue")
        op.execute(
            "CREATE INDEX ix_pairs_queue ON pairs (project_id, is_gold, done, priority DESC, seq)"
        )


def downgrade() -> None:
    with op.batch_alter_table("pairs") as batch:
        batch.drop_index("ix_pairs_informative")
        batch.drop_column("info_score")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("extra_on_conflict")
        batch.drop_column("ordering")
