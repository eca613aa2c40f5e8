"""Applying a pulled page (SYNC.md §4.5): reference rows, tickets, messages and the cursor in one
transaction."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from agentdesk.domain.remote import RemotePage
from agentdesk.store.errors import Conflict
from agentdesk.store.sqlite import convert, tables
from agentdesk.store.sqlite.database import TICKET_COUNTER, Transaction
from agentdesk.store.sqlite.remote_reference import apply_reference

T = tables.tickets


def apply_page(tx: Transaction, page: RemotePage) -> None:
    """Upsert the page's tickets and messages and move the cursor; never logs an operation."""
    connection = tx.connection
    meta = tables.sync_meta
    cursor = connection.execute(select(meta.c.cursor).where(meta.c.id == 1)).scalar_one()
    if cursor != page.after:
        raise Conflict(f"page continues cursor {page.after}, store is at {cursor}")
    # First: the page's tickets then find their customers' real names.
    apply_reference(tx, page.reference)
    customers = tables.customers
    for ticket in page.tickets:
        name = connection.execute(
            select(customers.c.name).where(customers.c.id == ticket.customer_id)
        ).scalar()
        if name is None:
            # Known to the server only: a placeholder keeps the ticket's customer reference.
            name = ticket.customer_id
            connection.execute(
                insert(customers).values(
                    id=name, name=name, email="", phone="", tier="standard", language="en"
                )
            )
        local = connection.execute(select(T.c.number).where(T.c.id == ticket.id)).scalar()
        number = local if local is not None else ticket.number
        holder = connection.execute(select(T.c.id).where(T.c.number == number)).scalar()
        if holder is not None and holder != ticket.id:
            number = tx.next_number()
        # Local tickets made later must not take this number.
        counters = tables.counters
        connection.execute(
            update(counters)
            .where(counters.c.name == TICKET_COUNTER, counters.c.value < number)
            .values(value=number)
        )
        follow_up = ticket.follow_up_of
        if follow_up is not None:
            known = connection.execute(select(T.c.id).where(T.c.id == follow_up)).scalar()
            follow_up = known
        values = convert.ticket_values(ticket, name)
        values.update(number=number, follow_up_of=follow_up)
        if local is None:
            connection.execute(insert(T).values(values))
        else:
            connection.execute(update(T).where(T.c.id == ticket.id).values(values))
    messages = tables.messages
    ids = [message.id for message in page.messages]
    known_ids = set(
        connection.execute(select(messages.c.id).where(messages.c.id.in_(ids))).scalars()
    )
    ticket_ids = {message.ticket_id for message in page.messages}
    present = set(connection.execute(select(T.c.id).where(T.c.id.in_(ticket_ids))).scalars())
    for message in page.messages:
        # A message of a ticket this store never received cannot be shown; the server sends
        # the ticket's state first, so this only guards against a malformed page.
        if message.id not in known_ids and message.ticket_id in present:
            connection.execute(insert(messages).values(convert.message_values(message)))
            known_ids.add(message.id)
    values: dict[str, object] = {"cursor": page.cursor}
    if page.server_epoch is not None:
        values["server_epoch"] = page.server_epoch
    connection.execute(update(meta).where(meta.c.id == 1).values(values))
