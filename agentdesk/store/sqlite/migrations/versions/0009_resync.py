"""Forced resync: sync_meta.resyncing marks a fresh download from the server's log under way;
pulled_rules keeps the server's rule documents

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "sync_meta", sa.Column("resyncing", sa.Boolean(), nullable=False, server_default="0")
    )
    op.create_table(
        "pulled_rules",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_pulled_rules"),
    )


def downgrade() -> None:
    op.drop_table("pulled_rules")
    op.drop_column("sync_meta", "resyncing")
