"""Case reviews: a lead's score and comment on a closed ticket, one per ticket and lead.

Skill certification needs no schema change: levels live in `agents.skills` and each change is
an audit event without a ticket.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "case_reviews",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("reviewer_id", sa.String(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Integer(), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_case_reviews_score_range"),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_case_reviews_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_reviews"),
        sa.UniqueConstraint("ticket_id", "reviewer_id", name="uq_case_reviews_ticket_id"),
    )
    op.create_index("ix_case_reviews_agent", "case_reviews", ["agent_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_case_reviews_agent", table_name="case_reviews")
    op.drop_table("case_reviews")
