"""Metrics: screen sessions, and per-ticket work counts kept by triggers.

`ticket_work` is filled from the existing messages, audit events, follow-ups (and, from now
on, screen sessions); the triggers keep it current however rows arrive.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

# As at this revision (a migration never changes): what counts, per `domain.metrics`.
_BUMP = """
INSERT INTO ticket_work (ticket_id, agent_messages, reopens, follow_ups, handle_micros)
VALUES ({ticket}, {messages}, {reopens}, {follow_ups}, {micros})
ON CONFLICT (ticket_id) DO UPDATE SET {column} = {column} + excluded.{column};
"""
TRIGGERS = {
    "tr_ticket_work_agent_message": (
        "AFTER INSERT ON messages WHEN NEW.kind = 'reply'",
        _BUMP.format(
            ticket="NEW.ticket_id",
            messages=1,
            reopens=0,
            follow_ups=0,
            micros=0,
            column="agent_messages",
        ),
    ),
    "tr_ticket_work_reopened": (
        "AFTER INSERT ON audit_events "
        "WHEN NEW.kind = 'ticket.reopened' AND NEW.ticket_id IS NOT NULL",
        _BUMP.format(
            ticket="NEW.ticket_id",
            messages=0,
            reopens=1,
            follow_ups=0,
            micros=0,
            column="reopens",
        ),
    ),
    "tr_ticket_work_follow_up": (
        "AFTER INSERT ON tickets WHEN NEW.follow_up_of IS NOT NULL",
        _BUMP.format(
            ticket="NEW.follow_up_of",
            messages=0,
            reopens=0,
            follow_ups=1,
            micros=0,
            column="follow_ups",
        ),
    ),
    "tr_ticket_work_screen_time": (
        "AFTER INSERT ON screen_sessions",
        _BUMP.format(
            ticket="NEW.ticket_id",
            messages=0,
            reopens=0,
            follow_ups=0,
            micros="NEW.ended_at - NEW.started_at",
            column="handle_micros",
        ),
    ),
}

_BACKFILL = """
INSERT INTO ticket_work (ticket_id, agent_messages, reopens, follow_ups, handle_micros)
SELECT id,
    (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id AND m.kind = 'reply'),
    (SELECT count(*) FROM audit_events a
        WHERE a.ticket_id = t.id AND a.kind = 'ticket.reopened'),
    (SELECT count(*) FROM tickets f WHERE f.follow_up_of = t.id),
    0
FROM tickets t
WHERE EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.kind = 'reply')
    OR EXISTS (SELECT 1 FROM audit_events a
        WHERE a.ticket_id = t.id AND a.kind = 'ticket.reopened')
    OR EXISTS (SELECT 1 FROM tickets f WHERE f.follow_up_of = t.id)
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
    op.create_table(
        "ticket_work",
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("agent_messages", sa.Integer(), nullable=False),
        sa.Column("reopens", sa.Integer(), nullable=False),
        sa.Column("follow_ups", sa.Integer(), nullable=False),
        sa.Column("handle_micros", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_work_ticket_id_tickets"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name="pk_ticket_work"),
    )
    connection = op.get_bind()
    connection.exec_driver_sql(_BACKFILL)
    for name, (when, body) in TRIGGERS.items():
        connection.exec_driver_sql(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def downgrade() -> None:
    connection = op.get_bind()
    for name in TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("ticket_work")
    op.drop_index("ix_screen_sessions_ticket", table_name="screen_sessions")
    op.drop_table("screen_sessions")
