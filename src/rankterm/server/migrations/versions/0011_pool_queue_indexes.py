"""Pooled leases walk one pool at a time: ix_pairs_pool_queue, ix_pairs_pool_informative

``ix_pairs_queue`` / ``ix_pairs_informative`` with ``pool`` before the order. A lease filtered
on the annotator's pools read the pool on each row the queue index yielded, so it walked past
every open pair of a pool it cannot serve that ranks higher (bench_pools.py: the 10,000
highest-priority of 20,000 pairs German, a lease of 20 for a non-German annotator took 4.4 ms
on SQLite and 8.6 ms on PostgreSQL). Now one ordered walk per allowed pool, merged
(rankterm.server.picking.pick). Nothing is dropped: the unpooled walk still needs
``ix_pairs_queue`` / ``ix_pairs_informative``, and the pools report groups by ``ix_pairs_pool``.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written out (as migration 0006 does) so that SQLite keeps the DESC.
    op.create_index(
        "ix_pairs_pool_queue",
        "pairs",
        ["project_id", "is_gold", "done", "pool", sa.text("priority DESC"), "seq"],
    )
    op.create_index(
        "ix_pairs_pool_informative",
        "pairs",
        [
            "project_id",
            "is_gold",
            "done",
            "pool",
            sa.text("info_score DESC"),
            sa.text("priority DESC"),
            "seq",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_pairs_pool_informative", table_name="pairs")
    op.drop_index("ix_pairs_pool_queue", table_name="pairs")
