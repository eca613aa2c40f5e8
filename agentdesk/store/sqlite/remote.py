"""Applying a pulled page (SYNC.md §4.5): reference rows, tickets, messages and the cursor in one
transaction."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from agentdesk.domain.remote import RemotePage
from agentdesk.store.errors import Conflict
from agentdesk.store.sqlite import convert, tables
from agentdesk.store.sqlite.database import TICKET_COUNTER, Transaction
from agentdesk.store.sqlite.remote_reference import apply_reference

T = tables.tickets


def apply_page(tx: Transaction, page: RemotePage) -> None:
    """Upsert the page's tickets and messages and move the cursor; never logs an operation.

    A page holds up to a thousand records, so everything is read and written in batches: a
    handful of statements per page rather than several per ticket. The outcome is the one
    of applying the tickets one by one in page order (numbers, placeholders, follow-up links).
    """
    connection = tx.connection
    meta = tables.sync_meta
    cursor = connection.execute(select(meta.c.cursor).where(meta.c.id == 1)).scalar_one()
    if cursor != page.after:
        raise Conflict(f"page continues cursor {page.after}, store is at {cursor}")
    # First: the page's tickets then find their customers' real names.
    apply_reference(tx, page.reference)
    if page.tickets:
        _upsert_tickets(tx, page)
    _add_messages(connection, page)
    values: dict[str, object] = {"cursor": page.cursor}
    if page.server_epoch is not None:
        values["server_epoch"] = page.server_epoch
    connection.execute(update(meta).where(meta.c.id == 1).values(values))


def _upsert_tickets(tx: Transaction, page: RemotePage) -> None:
    connection = tx.connection
    names = _customer_names(connection, {ticket.customer_id for ticket in page.tickets})
    ids = [ticket.id for ticket in page.tickets]
    local_numbers: dict[str, int] = {
        row.id: row.number
        for row in connection.execute(select(T.c.id, T.c.number).where(T.c.id.in_(ids)))
    }
    wanted = {ticket.number for ticket in page.tickets if ticket.id not in local_numbers}
    holders: dict[int, str] = {
        row.number: row.id
        for row in connection.execute(select(T.c.number, T.c.id).where(T.c.number.in_(wanted)))
    }
    follow_ups = {ticket.follow_up_of for ticket in page.tickets if ticket.follow_up_of}
    present = set(connection.execute(select(T.c.id).where(T.c.id.in_(follow_ups))).scalars())
    counters = tables.counters
    counter = connection.execute(
        select(counters.c.value).where(counters.c.name == TICKET_COUNTER)
    ).scalar_one()
    counter_before = counter
    rows = []
    for ticket in page.tickets:
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
    upsert = sqlite_insert(T)
    columns = [column for column in rows[0] if column != "id"]
    upsert = upsert.on_conflict_do_update(
        index_elements=[T.c.id], set_={column: upsert.excluded[column] for column in columns}
    )
    connection.execute(upsert, rows)
    if counter != counter_before:
        connection.execute(
            update(counters).where(counters.c.name == TICKET_COUNTER).values(value=counter)
        )


def _customer_names(connection: Connection, customer_ids: set[str]) -> dict[str, str]:
    """The customers' names; one known to the server only gets a placeholder row first."""
    customers = tables.customers
    found = connection.execute(
        select(customers.c.id, customers.c.name).where(customers.c.id.in_(customer_ids))
    )
    names: dict[str, str] = {row.id: row.name for row in found}
    missing = sorted(customer_ids - names.keys())
    if missing:
        connection.execute(
            insert(customers),
            [
                {"id": m, "name": m, "email": "", "phone": "", "tier": "standard", "language": "en"}
                for m in missing
            ],
        )
        names.update((m, m) for m in missing)
    return names


def _add_messages(connection: Connection, page: RemotePage) -> None:
    messages = tables.messages
    ids = [message.id for message in page.messages]
    known_ids = set(
        connection.execute(select(messages.c.id).where(messages.c.id.in_(ids))).scalars()
    )
    ticket_ids = {message.ticket_id for message in page.messages}
    present = set(connection.execute(select(T.c.id).where(T.c.id.in_(ticket_ids))).scalars())
    rows = []
    for message in page.messages:
        # A message of a ticket this store never received cannot be shown; the server sends
        # the ticket's state first, so this only guards against a malformed page.
        if message.id not in known_ids and message.ticket_id in present:
            rows.append(convert.message_values(message))
            known_ids.add(message.id)
    if rows:
        connection.execute(insert(messages), rows)
