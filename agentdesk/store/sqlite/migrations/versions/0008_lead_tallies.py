"""The lead board's SLA clocks read from a covering index over the active tickets only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

# As in `tables.ACTIVE_WHERE` / `CLOCK_COLUMNS` at this revision (a migration never changes).
ACTIVE_WHERE = "status != 'closed'"
CLOCK_COLUMNS = [
    "department_id",
    "customer_id",
    "priority",
    "sla_paused_at",
    "first_response_at",
    "first_response_due",
    "resolution_due",
    "status",
]


def upgrade() -> None:
    op.create_index(
        "ix_tickets_clocks", "tickets", CLOCK_COLUMNS, sqlite_where=sa.text(ACTIVE_WHERE)
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_clocks", table_name="tickets")
