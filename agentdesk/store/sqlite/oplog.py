"""The operation log and outbox (entries are written by `database.Transaction.log`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, select, text, update

from agentdesk.domain.model import Operation
from agentdesk.domain.outbox import DeliveryState, PushResult, SyncConflict
from agentdesk.store.errors import NotFound
from agentdesk.store.sqlite import convert, tables
from agentdesk.store.sqlite.database import Transaction

_PENDING = text(tables.PENDING_WHERE)
_CONFLICTS = text(tables.CONFLICT_WHERE)


def after(connection: Connection, after_seq: int, limit: int) -> list[Operation]:
    o = tables.operations
    statement = select(o).where(o.c.seq > after_seq).order_by(o.c.seq).limit(max(limit, 0))
    return [convert.operation_from_row(row._mapping) for row in connection.execute(statement)]


def pending(connection: Connection, limit: int) -> list[Operation]:
    o = tables.operations
    statement = select(o).where(_PENDING).order_by(o.c.seq).limit(max(limit, 0))
    return [convert.operation_from_row(row._mapping) for row in connection.execute(statement)]


def record_results(tx: Transaction, results: Sequence[PushResult], now: datetime) -> None:
    """Mark each pending op acked or rejected, and note the sync time; all or nothing.

    An op already answered keeps its first answer: the server's result is final, so a
    duplicate delivery of the same answer changes nothing.
    """
    o = tables.operations
    ids = [result.op_id for result in results]
    known = set(tx.connection.execute(select(o.c.op_id).where(o.c.op_id.in_(ids))).scalars())
    missing = [op_id for op_id in ids if op_id not in known]
    if missing:
        raise NotFound(f"no logged operation {missing[0]!r}")
    at = convert.to_micros(now)
    if results:
        tx.connection.execute(
            update(o)
            .where(and_(o.c.op_id == bindparam("b_op_id"), _PENDING))
            .values(
                state=bindparam("b_state"),
                outcome=bindparam("b_outcome"),
                server_seq=bindparam("b_server_seq"),
                reason=bindparam("b_reason"),
                resolved_at=at,
                last_error=None,
            ),
            [
                {
                    "b_op_id": result.op_id,
                    "b_state": result.state.value,
                    "b_outcome": result.outcome.value,
                    "b_server_seq": result.server_seq,
                    "b_reason": result.reason,
                }
                for result in results
            ],
        )
    meta = tables.sync_meta
    tx.connection.execute(update(meta).where(meta.c.id == 1).values(last_sync_at=at))


def record_failure(tx: Transaction, op_id: str, error: str) -> None:
    o = tables.operations
    changed = tx.connection.execute(
        update(o)
        .where(and_(o.c.op_id == op_id, _PENDING))
        .values(attempts=o.c.attempts + 1, last_error=error)
    ).rowcount
    # An op answered meanwhile (a late failure report) keeps its answer.
    if not changed and _state(tx.connection, op_id) is None:
        raise NotFound(f"no logged operation {op_id!r}")


def _state(connection: Connection, op_id: str) -> str | None:
    o = tables.operations
    found: str | None = connection.execute(select(o.c.state).where(o.c.op_id == op_id)).scalar()
    return found


def conflicts(connection: Connection) -> list[SyncConflict]:
    o = tables.operations
    statement = select(o).where(_CONFLICTS).order_by(o.c.seq)
    return [
        SyncConflict(
            op=convert.operation_from_row(row._mapping),
            reason=row.reason or "",
            at=convert.from_micros(row.resolved_at),
        )
        for row in connection.execute(statement)
    ]


def answers_with_reasons(connection: Connection, since: datetime) -> list[SyncConflict]:
    """Answered ops with a reason, resolved at or after `since` (a scan: once per sync round)."""
    o = tables.operations
    statement = (
        select(o)
        .where(o.c.resolved_at >= convert.to_micros(since), o.c.reason.is_not(None))
        .order_by(o.c.seq)
    )
    return [
        SyncConflict(
            op=convert.operation_from_row(row._mapping),
            reason=row.reason,
            at=convert.from_micros(row.resolved_at),
        )
        for row in connection.execute(statement)
    ]


def dismiss(tx: Transaction, op_id: str, now: datetime) -> None:
    """Hide a conflict from the list; the op and its rejection stay in the log."""
    o = tables.operations
    changed = tx.connection.execute(
        update(o)
        .where(and_(o.c.op_id == op_id, _CONFLICTS))
        .values(dismissed_at=convert.to_micros(now))
    ).rowcount
    # Dismissing twice is harmless; dismissing something that is not a rejection is a bug.
    if not changed and _state(tx.connection, op_id) != DeliveryState.REJECTED:
        raise NotFound(f"operation {op_id!r} is not a conflict")
