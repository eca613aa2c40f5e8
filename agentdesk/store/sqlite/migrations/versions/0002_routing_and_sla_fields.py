"""Ticket fields for smart routing and SLA pauses: intent confidence, complexity, paused clock.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite adds them without rewriting the table, so an upgrade of a large
    # store takes milliseconds.
    op.add_column("tickets", sa.Column("intent_confidence", sa.Float(), nullable=True))
    op.add_column(
        "tickets",
        sa.Column("complexity", sa.String(), nullable=False, server_default="standard"),
    )
    op.add_column("tickets", sa.Column("sla_paused_at", sa.Integer(), nullable=True))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place; a batch copy of `tickets` would trip the foreign
    # keys that messages and audit events hold on it.
    for column in ("sla_paused_at", "complexity", "intent_confidence"):
        op.drop_column("tickets", column)
