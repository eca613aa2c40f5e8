"""Held claims: the server claims and reservations this workstation's agent holds, with epochs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "held_claims",
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("lease_expires_at", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Boolean(), nullable=False),
        sa.Column("lost_at", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("ticket_id", name="pk_held_claims"),
    )


def downgrade() -> None:
    op.drop_table("held_claims")
