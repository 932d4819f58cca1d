"""judgments: (project_id, user_id, received_at) and (project_id, user_id, id) replace
(project_id, user_id)

Choosing blind repeats sorted all of an annotator's judgments in the project by random() on
every lease that included one (64 ms at 10,000 judgments on PostgreSQL), and the repeat gap
sorted them by time. The first index serves the gap (and progress, and the export, which are in
time order); the second a random draw that reads only the rows it returns.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("judgments") as batch:
        batch.create_index(
            "ix_judgments_project_user_time", ["project_id", "user_id", "received_at"]
        )
        batch.create_index("ix_judgments_project_user_id", ["project_id", "user_id", "id"])
        batch.drop_index("ix_judgments_project_user")


def downgrade() -> None:
    with op.batch_alter_table("judgments") as batch:
        batch.create_index("ix_judgments_project_user", ["project_id", "user_id"])
        batch.drop_index("ix_judgments_project_user_id")
        batch.drop_index("ix_judgments_project_user_time")
