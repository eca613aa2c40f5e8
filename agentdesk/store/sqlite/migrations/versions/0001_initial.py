"""Initial schema: reference data, tickets, messages, audit, knowledge base, operation log.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

QUEUE_ORDER = ["priority_rank", "sla_due", "created_at", "number"]


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[int]:
    # Microseconds since 1970-01-01 UTC.
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.JSON(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "departments",
        _text("id"),
        _text("name"),
        sa.PrimaryKeyConstraint("id", name="pk_departments"),
    )
    op.create_table(
        "agents",
        _text("id"),
        _text("handle"),
        _text("name"),
        _text("role"),
        _text("tier"),
        _json("skills"),
        _json("departments"),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        _json("languages"),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        sa.UniqueConstraint("handle", name="uq_agents_handle"),
    )
    op.create_table(
        "customers",
        _text("id"),
        _text("name"),
        _text("email"),
        _text("phone"),
        _text("tier"),
        _text("language"),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
    )
    op.create_table(
        "tickets",
        _text("id"),
        sa.Column("number", sa.Integer(), nullable=False),
        _text("subject"),
        _text("customer_id"),
        _text("department_id"),
        _text("status"),
        _text("priority"),
        sa.Column("priority_rank", sa.Integer(), nullable=False),
        _text("channel"),
        _text("intent"),
        _time("created_at"),
        _time("updated_at"),
        _time("first_response_due", nullable=True),
        _time("resolution_due", nullable=True),
        _time("first_response_at", nullable=True),
        _time("sla_due"),
        _text("assignee_id", nullable=True),
        _text("required_skill", nullable=True),
        _text("resolution"),
        sa.Column("csat", sa.Integer(), nullable=True),
        _time("closed_at", nullable=True),
        _text("follow_up_of", nullable=True),
        _json("links"),
        sa.Column("version", sa.Integer(), nullable=False),
        _text("search_text"),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("number", name="uq_tickets_number"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_tickets_customer_id_customers"
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_of"], ["tickets.id"], name="fk_tickets_follow_up_of_tickets"
        ),
    )
    op.create_index(
        "ix_tickets_queue",
        "tickets",
        [*QUEUE_ORDER, "status", "department_id", "assignee_id", "search_text"],
    )
    op.create_index("ix_tickets_assignee", "tickets", ["assignee_id", *QUEUE_ORDER, "status"])
    op.create_index(
        "ix_tickets_department",
        "tickets",
        ["department_id", *QUEUE_ORDER, "status", "assignee_id"],
    )
    op.create_index("ix_tickets_customer", "tickets", ["customer_id", "created_at", "number"])

    op.create_table(
        "messages",
        _text("id"),
        _text("ticket_id"),
        _text("kind"),
        _text("body"),
        _time("created_at"),
        _text("author_id", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_messages_ticket_id_tickets"
        ),
    )
    op.create_index("ix_messages_ticket", "messages", ["ticket_id", "created_at", "id"])

    op.create_table(
        "audit_events",
        sa.Column("position", sa.Integer(), nullable=False),
        _text("id"),
        _text("ticket_id", nullable=True),
        _text("actor_id", nullable=True),
        _text("kind"),
        _json("detail"),
        _time("at"),
        sa.PrimaryKeyConstraint("position", name="pk_audit_events"),
        sa.UniqueConstraint("id", name="uq_audit_events_id"),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_audit_events_ticket_id_tickets"
        ),
    )
    op.create_index("ix_audit_events_ticket", "audit_events", ["ticket_id", "position"])

    op.create_table(
        "kb_articles",
        sa.Column("pk", sa.Integer(), nullable=False),
        _text("id"),
        _text("title"),
        _text("body"),
        _text("intent"),
        _json("tags"),
        _time("updated_at", nullable=True),
        sa.PrimaryKeyConstraint("pk", name="pk_kb_articles"),
        sa.UniqueConstraint("id", name="uq_kb_articles_id"),
    )
    # Full-text index over title and body, kept in step with kb_articles by triggers.
    # Prefix indexes make the half-typed last word (`pro*`) one lookup instead of merging
    # the doclists of every word it starts: 200 ms -> 20 ms on 100,000 articles.
    op.execute(
        "CREATE VIRTUAL TABLE kb_fts USING fts5("
        "title, body, content='kb_articles', content_rowid='pk', "
        "tokenize='porter unicode61', prefix='2 3 4')"
    )
    op.execute(
        "CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN "
        "INSERT INTO kb_fts(rowid, title, body) VALUES (new.pk, new.title, new.body); END"
    )
    op.execute(
        "CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN "
        "INSERT INTO kb_fts(kb_fts, rowid, title, body) "
        "VALUES ('delete', old.pk, old.title, old.body); END"
    )
    op.execute(
        "CREATE TRIGGER kb_articles_au AFTER UPDATE ON kb_articles BEGIN "
        "INSERT INTO kb_fts(kb_fts, rowid, title, body) "
        "VALUES ('delete', old.pk, old.title, old.body); "
        "INSERT INTO kb_fts(rowid, title, body) VALUES (new.pk, new.title, new.body); END"
    )

    op.create_table(
        "scripts",
        _text("id"),
        _text("name"),
        _text("body"),
        _text("intent"),
        _json("steps"),
        _json("required"),
        sa.PrimaryKeyConstraint("id", name="pk_scripts"),
    )
    op.create_table(
        "operations",
        _text("op_id"),
        _text("client_id"),
        sa.Column("seq", sa.Integer(), nullable=False),
        _time("at"),
        _text("kind"),
        _json("payload"),
        sa.PrimaryKeyConstraint("op_id", name="pk_operations"),
        sa.UniqueConstraint("seq", name="uq_operations_seq"),
    )
    op.create_table(
        "sync_meta",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("client_id"),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_meta"),
        sa.CheckConstraint("id = 1", name="ck_sync_meta_single_row"),
    )
    counters = op.create_table(
        "counters",
        _text("name"),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )
    op.bulk_insert(counters, [{"name": "ticket_number", "value": 0}])


def downgrade() -> None:
    for trigger in ("kb_articles_ai", "kb_articles_ad", "kb_articles_au"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE kb_fts")
    for name in (
        "counters",
        "sync_meta",
        "operations",
        "scripts",
        "kb_articles",
        "audit_events",
        "messages",
        "tickets",
        "customers",
        "agents",
        "departments",
    ):
        op.drop_table(name)
