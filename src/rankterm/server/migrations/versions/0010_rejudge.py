"""rejudges: re-judgments owed after a guideline change (issue #17)

``rankterm admin guidelines PROJECT NEW.md --requeue changed|unclear`` queues, per annotator
who judged a picked pair, one re-judgment under the new version; leases of kind "rejudge"
serve them blind, and the verdict under one closes its row (rankterm.server.rejudge).

Revision ID: 0010
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rejudges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pair_seq", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("judgment_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("done_at", sa.Float(), nullable=True),
        sa.Column("rejudge_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_rejudges_project_id_projects"
        ),
        sa.ForeignKeyConstraint(["pair_seq"], ["pairs.seq"], name="fk_rejudges_pair_seq_pairs"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_rejudges_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_rejudges"),
        sa.UniqueConstraint(
            "project_id",
            "pair_seq",
            "user_id",
            "version",
            name="uq_rejudges_project_id_pair_seq_user_id_version",
        ),
    )
    op.create_index("ix_rejudges_user", "rejudges", ["project_id", "user_id", "done_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_rejudges_user", table_name="rejudges")
    op.drop_table("rejudges")
