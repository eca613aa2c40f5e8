"""Reading the operation log (entries are written by `database.Transaction.log`)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from agentdesk.domain.model import Operation
from agentdesk.store.sqlite import convert, tables


def after(connection: Connection, after_seq: int, limit: int) -> list[Operation]:
    o = tables.operations
    statement = select(o).where(o.c.seq > after_seq).order_by(o.c.seq).limit(max(limit, 0))
    return [convert.operation_from_row(row._mapping) for row in connection.execute(statement)]
