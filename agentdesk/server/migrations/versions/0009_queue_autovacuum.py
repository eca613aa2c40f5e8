"""autovacuum sweeps the routing queue after every 1,000 removed rows, however long it is

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

claim-next vacuums the queue itself after every 1,000 claims (server/queue_upkeep.py), but
reservations, lead assignments and pushed pull-nexts remove queue rows too, and each removed
row leaves index entries that every later claim walks past until a vacuum. By default
autovacuum waits for a fifth of the table to be dead: on a queue of 50,000, 10,000 rows. A
fixed threshold keeps that walk short for every path that drains the queue.
"""

from __future__ import annotations

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE routing_queue SET "
            "(autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE routing_queue RESET "
            "(autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)"
        )
