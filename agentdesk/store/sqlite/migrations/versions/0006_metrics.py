"""Metrics: screen sessions, work counts on each ticket kept by triggers, covering indexes.

The counts are filled from the existing messages, audit events and follow-ups; from now on
triggers keep them current however rows arrive. Plain ADD COLUMNs: no table rewrite.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

# As at this revision (a migration never changes): what counts, per `domain.metrics`, and
# `tables.METRIC_COLUMNS` / `UNRESOLVED_WHERE`.
WORK_COLUMNS = ("agent_messages", "reopens", "follow_ups", "handle_micros")
METRIC_COLUMNS = [
    "updated_at",
    "closed_at",
    "department_id",
    "assignee_id",
    "created_at",
    "first_response_at",
    "first_response_due",
    "resolution_due",
    "sla_paused_at",
    "csat",
    *WORK_COLUMNS,
]
UNRESOLVED_WHERE = "closed_at IS NULL"
TRIGGERS = {
    "tr_tickets_agent_message": (
        "AFTER INSERT ON messages WHEN NEW.kind = 'reply'",
        "UPDATE tickets SET agent_messages = agent_messages + 1 WHERE id = NEW.ticket_id;",
    ),
    "tr_tickets_reopened": (
        "AFTER INSERT ON audit_events WHEN NEW.kind = 'ticket.reopened'",
        "UPDATE tickets SET reopens = reopens + 1 WHERE id = NEW.ticket_id;",
    ),
    "tr_tickets_follow_up": (
        "AFTER INSERT ON tickets WHEN NEW.follow_up_of IS NOT NULL",
        "UPDATE tickets SET follow_ups = follow_ups + 1 WHERE id = NEW.follow_up_of;",
    ),
    "tr_tickets_screen_time": (
        "AFTER INSERT ON screen_sessions",
        "UPDATE tickets SET handle_micros = handle_micros + (NEW.ended_at - NEW.started_at)"
        " WHERE id = NEW.ticket_id;",
    ),
}
_BACKFILL = """
UPDATE tickets SET
    agent_messages = (
        SELECT count(*) FROM messages m WHERE m.ticket_id = tickets.id AND m.kind = 'reply'),
    reopens = (
        SELECT count(*) FROM audit_events a
        WHERE a.ticket_id = tickets.id AND a.kind = 'ticket.reopened'),
    follow_ups = (SELECT count(*) FROM tickets f WHERE f.follow_up_of = tickets.id)
"""


def upgrade() -> None:
    op.create_table(
        "screen_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("started_at", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_screen_sessions_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_screen_sessions"),
    )
    op.create_index("ix_screen_sessions_ticket", "screen_sessions", ["ticket_id", "started_at"])
    for name in WORK_COLUMNS:
        op.add_column("tickets", sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    connection = op.get_bind()
    connection.exec_driver_sql(_BACKFILL)
    for name, (when, body) in TRIGGERS.items():
        connection.exec_driver_sql(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    op.create_index("ix_tickets_activity", "tickets", METRIC_COLUMNS)
    op.create_index(
        "ix_tickets_unresolved",
        "tickets",
        METRIC_COLUMNS,
        sqlite_where=sa.text(UNRESOLVED_WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_unresolved", table_name="tickets")
    op.drop_index("ix_tickets_activity", table_name="tickets")
    connection = op.get_bind()
    for name in TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for name in WORK_COLUMNS:
        op.drop_column("tickets", name)
    op.drop_index("ix_screen_sessions_ticket", table_name="screen_sessions")
    op.drop_table("screen_sessions")
