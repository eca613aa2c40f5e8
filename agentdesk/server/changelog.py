"""The change log that drives downloads: gap-free and in commit order.

`server_seq` comes from the single `log_head` row, updated inside the writing transaction. The
row lock is held until commit, so seq n+1 cannot be handed out before seq n is committed (or
rolled back, which returns it): readers always see a prefix of the log with no holes. A plain
sequence would not give that (a later number can commit first).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Text,
    bindparam,
    cast,
    insert,
    select,
    text,
    update,
)

from agentdesk.server import tables as t

_ALLOCATE = (
    update(t.log_head)
    .where(t.log_head.c.id == 1)
    .values(seq=t.log_head.c.seq + bindparam("count"))
    .returning(t.log_head.c.seq)
)


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    kind: str  # ticket_state, event, remove, tombstone (SYNC.md §4.5)
    ticket_id: str | None
    payload: dict[str, Any]


def append(
    connection: Connection,
    records: list[ChangeRecord],
    *,
    now: datetime,
    unit_ends: Sequence[int] | None = None,
) -> list[int]:
    """Log `records` with consecutive seqs; call last in the transaction (it serialises writers).

    The records land in pages as one unit, or as several when `unit_ends` gives, for each
    record, the (1-based) position of the last record of its unit: a page may end between the
    changes of ops committed together, not inside one.
    """
    if not records:
        return []
    ends = unit_ends or [len(records)] * len(records)
    if connection.dialect.name == "postgresql":
        return _append_in_one_statement(connection, records, ends, now=now)
    last = connection.execute(_ALLOCATE, {"count": len(records)}).scalar_one()
    first = last - len(records) + 1
    connection.execute(
        insert(t.change_log),
        [
            {
                "server_seq": first + offset,
                "at": now,
                "kind": record.kind,
                "ticket_id": record.ticket_id,
                "payload": record.payload,
                "tx_last_seq": first + ends[offset] - 1,
            }
            for offset, record in enumerate(records)
        ],
    )
    return list(range(first, last + 1))


# PostgreSQL allocates and inserts in one statement: the head row stays locked from this
# statement to the commit, and one round trip less is that much less time for every writer to
# wait. (SQLite serialises its writers anyway and allows no UPDATE inside WITH.)
_ALLOCATE_AND_INSERT = text(
    """
    WITH head AS (
        UPDATE log_head SET seq = seq + :count WHERE id = 1 RETURNING seq
    )
    INSERT INTO change_log (server_seq, at, kind, ticket_id, payload, tx_last_seq)
    SELECT head.seq - :count + r.ord, :at, r.kind, r.ticket_id, r.payload,
        head.seq - :count + r.unit_end
    FROM head, jsonb_to_recordset(CAST(:records AS jsonb))
        AS r(ord bigint, unit_end bigint, kind text, ticket_id text, payload json)
    RETURNING server_seq
    """
).bindparams(bindparam("at", type_=t.change_log.c.at.type))


def _append_in_one_statement(
    connection: Connection, records: list[ChangeRecord], ends: Sequence[int], *, now: datetime
) -> list[int]:
    rows = [
        {
            "ord": offset,
            "unit_end": ends[offset - 1],
            "kind": record.kind,
            "ticket_id": record.ticket_id,
            "payload": record.payload,
        }
        for offset, record in enumerate(records, start=1)
    ]
    seqs = connection.execute(
        _ALLOCATE_AND_INSERT, {"count": len(records), "at": now, "records": json.dumps(rows)}
    ).scalars()
    return sorted(int(seq) for seq in seqs)


def head(connection: Connection) -> tuple[int, str]:
    """The last seq handed out, and the log's lineage."""
    row = connection.execute(
        select(t.log_head.c.seq, t.log_head.c.lineage).where(t.log_head.c.id == 1)
    ).one()
    return int(row.seq), str(row.lineage)


def page(connection: Connection, cursor: int, limit: int, *, up_to: int) -> list[dict[str, Any]]:
    """About `limit` records after `cursor`, none past `up_to` (a head read beforehand).

    A page never ends inside a transaction (a macro lands all at once): when the `limit`th
    record is not its transaction's last, the rest of that transaction comes too.
    """
    return [
        {
            "server_seq": row.server_seq,
            "at": row.at.isoformat(),
            "kind": row.kind,
            "ticket_id": row.ticket_id,
            "payload": row.payload,
        }
        for row in _page_rows(connection, t.change_log.c.payload, cursor, limit, up_to)
    ]


def page_json(
    connection: Connection, cursor: int, limit: int, *, up_to: int
) -> tuple[list[str], int]:
    """The records `page` reads, each as its JSON text, and the last seq among them (or `cursor`).

    Payloads are stored as JSON text and go out as they are, spliced in: decoding a thousand of
    them only to encode them again was most of the time a page took to serve.
    """
    payload = cast(t.change_log.c.payload, Text).label("payload")
    rows = _page_rows(connection, payload, cursor, limit, up_to)
    records = [
        f'{{"server_seq":{row.server_seq},"at":"{row.at.isoformat()}",'
        f'"kind":{json.dumps(row.kind)},"ticket_id":{json.dumps(row.ticket_id)},'
        f'"payload":{row.payload}}}'
        for row in rows
    ]
    return records, rows[-1].server_seq if rows else cursor


def _page_rows(
    connection: Connection, payload: ColumnElement[Any], cursor: int, limit: int, up_to: int
) -> list[Row[Any]]:
    log = t.change_log.c
    columns = select(log.server_seq, log.at, log.kind, log.ticket_id, payload, log.tx_last_seq)
    rows = list(
        connection.execute(
            columns.where(log.server_seq > cursor, log.server_seq <= up_to)
            .order_by(log.server_seq)
            .limit(limit)
        )
    )
    if rows and rows[-1].tx_last_seq > rows[-1].server_seq:
        rows += connection.execute(
            columns.where(
                log.server_seq > rows[-1].server_seq, log.server_seq <= rows[-1].tx_last_seq
            ).order_by(log.server_seq)
        )
    return rows
