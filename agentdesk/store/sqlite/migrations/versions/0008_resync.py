"""Forced resync: sync_meta.resyncing marks a fresh download from the server's log under way

Revision ID: 0008_resync
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_resync"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "sync_meta", sa.Column("resyncing", sa.Boolean(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    op.drop_column("sync_meta", "resyncing")
