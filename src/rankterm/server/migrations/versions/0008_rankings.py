"""pairs.k: K-way ranking tasks (issue #16)

A ranking task lives in the pairs table like a pair (the same leases, overlap slots, gold and
blind repeats); ``k`` is its number of candidates, NULL for a pair. Rankings are judgment rows
whose ``choice`` is "ranking" (the record, with its comparisons, is in ``data``), so leases,
supersession, retraction and export need no second table.

Revision ID: 0008
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pairs") as batch:
        batch.add_column(sa.Column("k", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pairs") as batch:
        batch.drop_column("k")
