"""project_members; projects.max_leases, lease_max_age and side_key

Until 0005 every token reached every project. Existing deployments keep working for the people
who already work there: every non-admin user with a lease, judgment, resolution or comment in a
project becomes a member of it, in their own role (an admin's role needs no membership). Users
who never touched a project must be added (``rankterm admin project add-member``).

Each project gets a random side key (the secret behind lease side orders) and the default caps
on live leases per annotator and on a lease's age.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import secrets
import time

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("added_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_project_members_project_id_projects"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_project_members_user_id_users"),
        sa.PrimaryKeyConstraint("project_id", "user_id", name="pk_project_members"),
    )
    op.create_index("ix_project_members_user_id", "project_members", ["user_id"])
    with op.batch_alter_table("projects") as batch:
        batch.add_column(
            sa.Column("max_leases", sa.Integer(), server_default=sa.text("50"), nullable=False)
        )
        batch.add_column(
            sa.Column(
                "lease_max_age", sa.Integer(), server_default=sa.text("14400"), nullable=False
            )
        )
        batch.add_column(
            sa.Column("side_key", sa.String(length=64), server_default="", nullable=False)
        )
    conn = op.get_bind()
    for (pid,) in conn.execute(sa.text("SELECT id FROM projects")).all():
        conn.execute(
            sa.text("UPDATE projects SET side_key = :k WHERE id = :id"),
            {"k": secrets.token_hex(32), "id": pid},
        )
    worked = " UNION ".join(
        f"SELECT project_id, user_id FROM {table}"
        for table in ("leases", "judgments", "resolutions", "comments")
    )
    conn.execute(
        sa.text(
            "INSERT INTO project_members (project_id, user_id, role, added_at)"
            " SELECT w.project_id, w.user_id,"
            " CASE WHEN u.role = 'annotator' THEN 'annotator' ELSE 'adjudicator' END, :at"
            f" FROM ({worked}) w JOIN users u ON u.id = w.user_id WHERE u.role <> 'admin'"
        ),
        {"at": time.time()},
    )


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("side_key")
        batch.drop_column("lease_max_age")
        batch.drop_column("max_leases")
    op.drop_index("ix_project_members_user_id", table_name="project_members")
    op.drop_table("project_members")
