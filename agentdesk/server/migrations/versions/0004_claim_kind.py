"""Claim kinds: an online claim (short lease, heartbeat) or an offline reservation (long lease);
whom a claim was last revoked from

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_claims", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default=sa.text("'online'"))
        )
        batch_op.add_column(sa.Column("revoked_agent_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_claims", schema=None) as batch_op:
        batch_op.drop_column("revoked_agent_id")
        batch_op.drop_column("kind")
