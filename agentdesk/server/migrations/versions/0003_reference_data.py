"""Shared reference data: scripts, KB articles and rule documents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "scripts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=200), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("required", sa.JSON(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=200), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "rule_documents",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("rule_documents")
    op.drop_table("kb_articles")
    op.drop_table("scripts")
