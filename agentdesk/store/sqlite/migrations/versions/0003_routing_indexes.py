"""Partial indexes for pull-next and agent load: only tickets waiting in a queue, or on an agent.

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

# As in `tables.PULLABLE_WHERE` / `LOAD_WHERE` at this revision (a migration never changes).
PULLABLE_WHERE = "assignee_id IS NULL AND status IN ('new', 'open')"
LOAD_WHERE = "assignee_id IS NOT NULL AND status IN ('new', 'open')"


def upgrade() -> None:
    op.create_index(
        "ix_tickets_routing",
        "tickets",
        [
            "department_id",
            "required_skill",
            "complexity",
            "priority_rank",
            "sla_due",
            "created_at",
            "number",
        ],
        sqlite_where=sa.text(PULLABLE_WHERE),
    )
    op.create_index("ix_tickets_load", "tickets", ["assignee_id"], sqlite_where=sa.text(LOAD_WHERE))


def downgrade() -> None:
    op.drop_index("ix_tickets_load", table_name="tickets")
    op.drop_index("ix_tickets_routing", table_name="tickets")
