"""Server copies into the local store (SYNC.md §4.5): pulled pages and fetched tickets.

A page (reference rows, tickets, messages and the cursor) applies in one transaction. It holds
up to a thousand records, so it is read and written in batches: a handful of statements per
page rather than several per ticket, with the outcome of applying the tickets one by one in
page order (numbers, placeholders, follow-up links).

The rules (shared with the memory store, see `Store.apply_remote`):

- A ticket's row becomes the server's copy with its still-pending local ops re-applied on top
  (`domain.rebase.replay`), so a pull never hides work the server has not answered yet, and a
  rejected op (no longer pending) is rolled back as soon as a server copy of its ticket arrives.
- A message is added once by id. One the store has under another ticket moves to the server's
  ticket (a reply the server put on a follow-up of a ticket closed meanwhile).
- `rebase_tickets` (a fresh copy fetched after a rejection or a lost write) also drops the
  agent messages the server does not have on the ticket and no pending op wrote: the
  conversation shows what the server has plus what is still pending. Rejected words stay in the
  conflict list; customer words recorded only here (local-only kinds) stay.
- Ops logged local-only (customer messages recorded on this workstation) are not replayed: the
  server never learns of them, so its copy of the ticket wins; their messages stay.
- The local HLC ratchets to the server time the page or answer carries.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update

from agentdesk.domain.hlc import Hlc, ratchet
from agentdesk.domain.model import Message, MessageKind, Operation, Ticket
from agentdesk.domain.rebase import message_of, replay, ticket_of
from agentdesk.domain.remote import RemotePage
from agentdesk.store.errors import Conflict
from agentdesk.store.sqlite import convert, oplog, tables
from agentdesk.store.sqlite.database import (
    TICKET_COUNTER,
    Transaction,
    bulk_insert,
    bulk_upsert,
)
from agentdesk.store.sqlite.remote_reference import apply_reference

T = tables.tickets
# Customer words recorded on this workstation only (local-only kinds): never on the server.
_CUSTOMER = MessageKind.CUSTOMER.value
# Rows that name a ticket and go with it (`drop_tickets`).
_TICKET_CHILDREN = (
    tables.messages,
    tables.audit_events,
    tables.case_reviews,
    tables.screen_sessions,
    tables.held_claims,
)
# SQLite's default limit on bound parameters is well above this.
_IN_BATCH = 500


def apply_page(tx: Transaction, page: RemotePage) -> None:
    """Upsert the page's reference rows, tickets and messages and move the cursor; never logs
    an operation."""
    connection = tx.connection
    meta = tables.sync_meta
    cursor = connection.execute(select(meta.c.cursor).where(meta.c.id == 1)).scalar_one()
    if cursor != page.after:
        raise Conflict(f"page continues cursor {page.after}, store is at {cursor}")
    # First: the page's tickets then find their customers' real names.
    apply_reference(tx, page.reference)
    _upsert_tickets(tx, page.tickets)
    _add_messages(tx, page.messages)
    drop_tickets(connection, page.deleted)
    values: dict[str, object] = {"cursor": page.cursor}
    if page.server_epoch is not None:
        values["server_epoch"] = page.server_epoch
    connection.execute(update(meta).where(meta.c.id == 1).values(values))
    if page.server_time is not None:
        observe_server_time(tx, page.server_time)


def rebase_tickets(tx: Transaction, tickets: Sequence[Ticket], messages: Sequence[Message]) -> None:
    """Take fresh server copies as the tickets' base; the cursor does not move."""
    _upsert_tickets(tx, tickets)
    _add_messages(tx, messages)
    ids = sorted({ticket.id for ticket in tickets})
    m = tables.messages
    local = tx.connection.execute(select(m.c.id, m.c.kind).where(m.c.ticket_id.in_(ids))).all()
    keep = {message.id for message in messages} | {
        message_id
        for op in oplog.pending(tx.connection, limit=1 << 62)
        if (message_id := message_of(op)) is not None
    }
    dropped = [row.id for row in local if row.id not in keep and row.kind != _CUSTOMER]
    if dropped:
        tx.connection.execute(delete(m).where(m.c.id.in_(dropped)))


def begin_resync(tx: Transaction) -> None:
    """Cursor back to 0 and the epoch forgotten, flagged until `finish_resync`; ops untouched."""
    meta = tables.sync_meta
    tx.connection.execute(
        update(meta).where(meta.c.id == 1).values(cursor=0, server_epoch=None, resyncing=True)
    )


def finish_resync(tx: Transaction, fresh: Collection[str]) -> int:
    """Drop the tickets the fresh snapshot lacks (unless a pending op refers to them)."""
    pending = _pending_by_ticket(tx)
    present = tx.connection.execute(select(T.c.id)).scalars()
    gone = [
        ticket_id for ticket_id in present if ticket_id not in fresh and ticket_id not in pending
    ]
    drop_tickets(tx.connection, gone)
    meta = tables.sync_meta
    tx.connection.execute(update(meta).where(meta.c.id == 1).values(resyncing=False))
    return len(gone)


def drop_tickets(connection: Connection, ticket_ids: Sequence[str]) -> None:
    """Remove tickets and every row hanging off them; follow-ups of them stand alone."""
    for start in range(0, len(ticket_ids), _IN_BATCH):
        ids = ticket_ids[start : start + _IN_BATCH]
        for table in _TICKET_CHILDREN:
            connection.execute(delete(table).where(table.c.ticket_id.in_(ids)))
        connection.execute(update(T).where(T.c.follow_up_of.in_(ids)).values(follow_up_of=None))
        connection.execute(delete(T).where(T.c.id.in_(ids)))


def observe_server_time(tx: Transaction, at: datetime) -> None:
    """Ratchet `hlc_last` so no op logged later is stamped behind server time seen."""
    meta = tables.sync_meta
    last = Hlc.from_str(tx.connection.execute(select(meta.c.hlc_last)).scalar_one())
    raised = ratchet(last, at)
    if raised != last:
        tx.connection.execute(update(meta).where(meta.c.id == 1).values(hlc_last=raised.to_str()))
        tx.clock.last = None  # the log re-reads the stored clock


def _pending_by_ticket(tx: Transaction) -> dict[str, list[Operation]]:
    found: dict[str, list[Operation]] = defaultdict(list)
    for op in oplog.pending(tx.connection, limit=1 << 62):
        ticket_id = ticket_of(op)
        if ticket_id is not None:
            found[ticket_id].append(op)
    return found


def _upsert_tickets(tx: Transaction, server_copies: Sequence[Ticket]) -> None:
    if not server_copies:
        return
    connection = tx.connection
    pending = _pending_by_ticket(tx)
    tickets = [replay(copy, pending.get(copy.id, ())) for copy in server_copies]
    names = _customer_names(connection, {ticket.customer_id for ticket in tickets})
    local_numbers: dict[str, int] = dict(
        _where_in(connection, "SELECT id, number FROM tickets WHERE id", [t.id for t in tickets])
    )
    wanted = {ticket.number for ticket in tickets if ticket.id not in local_numbers}
    holders: dict[int, str] = dict(
        _where_in(connection, "SELECT number, id FROM tickets WHERE number", wanted)
    )
    follow_ups = {ticket.follow_up_of for ticket in tickets if ticket.follow_up_of}
    present = {
        row[0] for row in _where_in(connection, "SELECT id FROM tickets WHERE id", follow_ups)
    }
    counter = connection.exec_driver_sql(_COUNTER, (TICKET_COUNTER,)).scalar_one()
    counter_before = counter
    rows = []
    for ticket in tickets:
        local = local_numbers.get(ticket.id)
        number = local if local is not None else ticket.number
        holder = holders.get(number)
        if holder is not None and holder != ticket.id:
            counter += 1
            number = counter
        holders[number] = ticket.id
        # Local tickets made later must not take this number.
        counter = max(counter, number)
        follow_up = ticket.follow_up_of if ticket.follow_up_of in present else None
        values = convert.ticket_values(ticket, names[ticket.customer_id])
        values.update(number=number, follow_up_of=follow_up)
        rows.append(values)
        present.add(ticket.id)
    bulk_upsert(connection, T, rows)
    if counter != counter_before:
        connection.execute(
            update(tables.counters)
            .where(tables.counters.c.name == TICKET_COUNTER)
            .values(value=counter)
        )


def _customer_names(connection: Connection, customer_ids: set[str]) -> dict[str, str]:
    """The customers' names; one known to the server only gets a placeholder row first."""
    names: dict[str, str] = dict(
        _where_in(connection, "SELECT id, name FROM customers WHERE id", customer_ids)
    )
    missing = sorted(customer_ids - names.keys())
    if missing:
        bulk_insert(
            connection,
            tables.customers,
            [
                {"id": m, "name": m, "email": "", "phone": "", "tier": "standard", "language": "en"}
                for m in missing
            ],
        )
        names.update((m, m) for m in missing)
    return names


def _add_messages(tx: Transaction, page_messages: Sequence[Message]) -> None:
    if not page_messages:
        return
    connection = tx.connection
    known: dict[str, str] = dict(
        _where_in(
            connection,
            "SELECT id, ticket_id FROM messages WHERE id",
            [message.id for message in page_messages],
        )
    )
    ticket_ids = {message.ticket_id for message in page_messages}
    present = {
        row[0] for row in _where_in(connection, "SELECT id FROM tickets WHERE id", ticket_ids)
    }
    rows = []
    moved: list[tuple[str, str]] = []
    for message in page_messages:
        # A message of a ticket this store never received cannot be shown; the server sends
        # the ticket's state first, so this only guards against a malformed page.
        if message.ticket_id not in present:
            continue
        if message.id not in known:
            rows.append(convert.message_values(message))
        elif known[message.id] != message.ticket_id:
            moved.append((message.ticket_id, message.id))
        known[message.id] = message.ticket_id
    if moved:
        connection.exec_driver_sql("UPDATE messages SET ticket_id = ? WHERE id = ?", moved)
    bulk_insert(connection, tables.messages, rows)


_COUNTER = "SELECT value FROM counters WHERE name = ?"


def _where_in(
    connection: Connection, query: str, values: Iterable[str | int]
) -> Sequence[Row[Any]]:
    """The rows of `query` (ending in the column to match) whose column is one of `values`.

    The values go in as one JSON array parameter: one statement compiled once, whatever the
    count, rather than a thousand-parameter `IN (...)` rebuilt for every page.
    """
    found = list(values)
    if not found:
        return []
    statement = f"{query} IN (SELECT value FROM json_each(?))"
    return connection.exec_driver_sql(statement, (json.dumps(found),)).all()
