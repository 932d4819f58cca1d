"""Indexes an annotator's lookups cannot be planned around: judgments (pair_seq, user_id),
leases (user_id) of live leases only

A new project has no statistics of its own until autovacuum analyses the tables, and then
PostgreSQL costs every index that matches the same number of equality columns alike. It chose
(project_id, user_id) for "this annotator's verdicts on these pairs" and (user_id, state) for
"their leases on these pairs": a walk over everything the annotator had done, on each submit.
Led by pair_seq (unique across projects, so project_id only widened the index), and for
leases partial to live ones (the only ones looked up by user alone), those indexes no longer
match such a lookup. The lookups that name pairs but no project
(standing verdicts, review, scheduling) can now use the judgments index at all.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("judgments") as batch:
        batch.create_index("ix_judgments_pair_user", ["pair_seq", "user_id"], unique=False)
        batch.drop_index("ix_judgments_project_pair_user")
    with op.batch_alter_table("leases") as batch:
        batch.create_index(
            "ix_leases_live_user",
            ["user_id"],
            unique=False,
            sqlite_where=sa.text("state = 'live'"),
            postgresql_where=sa.text("state = 'live'"),
        )
        batch.drop_index("ix_leases_user_state")


def downgrade() -> None:
    with op.batch_alter_table("leases") as batch:
        batch.create_index("ix_leases_user_state", ["user_id", "state"], unique=False)
        batch.drop_index(
            "ix_leases_live_user",
            sqlite_where=sa.text("state = 'live'"),
            postgresql_where=sa.text("state = 'live'"),
        )
    with op.batch_alter_table("judgments") as batch:
        batch.create_index(
            "ix_judgments_project_pair_user", ["project_id", "pair_seq", "user_id"], unique=False
        )
        batch.drop_index("ix_judgments_pair_user")
