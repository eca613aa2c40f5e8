"""The outbox: an HLC and a delivery state on every logged op; sync cursor and clock in sync_meta.

Existing ops become pending (or local, for kinds that are never pushed) with HLCs ticked from
their logged times in log order, exactly as logging them today would have stamped them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from agentdesk.domain.hlc import ZERO, Hlc, tick

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

# As at this revision (a migration never changes): `sync_ops.LOCAL_ONLY_KINDS` and the
# partial-index terms of `tables.PENDING_WHERE` / `CONFLICT_WHERE`.
LOCAL_ONLY_KINDS = (
    "ticket.customer_reply",
    "ticket.customer_confirmed",
    "ticket.follow_up",
    "agent.upsert",
    "customer.upsert",
    "department.upsert",
    "kb.upsert",
    "script.upsert",
)
PENDING_WHERE = "state = 'pending'"
CONFLICT_WHERE = "state = 'rejected' AND dismissed_at IS NULL"
ZERO_HLC = ZERO.to_str()
_BATCH = 10_000


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rewrite); the server defaults fill the existing rows.
    op.add_column(
        "operations", sa.Column("hlc", sa.String(), nullable=False, server_default=ZERO_HLC)
    )
    op.add_column(
        "operations", sa.Column("state", sa.String(), nullable=False, server_default="pending")
    )
    op.add_column(
        "operations", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
    )
    for name, kind in (
        ("last_error", sa.String()),
        ("server_seq", sa.Integer()),
        ("outcome", sa.String()),
        ("reason", sa.String()),
        ("resolved_at", sa.Integer()),
        ("dismissed_at", sa.Integer()),
    ):
        op.add_column("operations", sa.Column(name, kind, nullable=True))
    op.add_column(
        "sync_meta", sa.Column("hlc_last", sa.String(), nullable=False, server_default=ZERO_HLC)
    )
    op.add_column(
        "sync_meta", sa.Column("cursor", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("sync_meta", sa.Column("server_epoch", sa.String(), nullable=True))
    op.add_column("sync_meta", sa.Column("last_sync_at", sa.Integer(), nullable=True))

    connection = op.get_bind()
    local = ", ".join(f"'{kind}'" for kind in LOCAL_ONLY_KINDS)
    connection.exec_driver_sql(f"UPDATE operations SET state = 'local' WHERE kind IN ({local})")
    clock = _stamp_existing(connection)
    connection.exec_driver_sql("UPDATE sync_meta SET hlc_last = ?", (clock.to_str(),))
    op.create_index(
        "ix_operations_pending", "operations", ["seq"], sqlite_where=sa.text(PENDING_WHERE)
    )
    op.create_index(
        "ix_operations_conflicts", "operations", ["seq"], sqlite_where=sa.text(CONFLICT_WHERE)
    )


def _stamp_existing(connection: sa.Connection) -> Hlc:
    clock = ZERO
    after = 0
    while True:
        rows = connection.exec_driver_sql(
            "SELECT seq, at FROM operations WHERE seq > ? ORDER BY seq LIMIT ?", (after, _BATCH)
        ).fetchall()
        if not rows:
            return clock
        stamps = []
        for seq, at_micros in rows:
            clock = tick(clock, at_micros // 1000)
            stamps.append((clock.to_str(), seq))
        connection.exec_driver_sql("UPDATE operations SET hlc = ? WHERE seq = ?", stamps)
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_operations_conflicts", table_name="operations")
    op.drop_index("ix_operations_pending", table_name="operations")
    for column in ("last_sync_at", "server_epoch", "cursor", "hlc_last"):
        op.drop_column("sync_meta", column)
    for column in (
        "dismissed_at",
        "resolved_at",
        "reason",
        "outcome",
        "server_seq",
        "last_error",
        "attempts",
        "state",
        "hlc",
    ):
        op.drop_column("operations", column)
