"""Ticket reads and writes of the SQLite store (synchronous; run on the store's thread)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from agentdesk.domain import actions
from agentdesk.domain.actions import Change, NewTicket
from agentdesk.domain.model import (
    AuditEvent,
    CustomerTier,
    Message,
    Ticket,
    TicketRow,
)
from agentdesk.domain.sla import SlaPolicies
from agentdesk.store.base import Mutation
from agentdesk.store.errors import Conflict, NotFound
from agentdesk.store.sqlite import convert, direct, tables
from agentdesk.store.sqlite.database import Transaction, bulk_insert, gc_paused
from agentdesk.store.sqlite.ids import IdBlock

T = tables.tickets
C = tables.customers
# Stay well under SQLite's limit on bound parameters per statement.
CHUNK = 500

ROW_COLUMNS = (
    T.c.id,
    T.c.number,
    T.c.subject,
    T.c.status,
    T.c.priority,
    T.c.channel,
    T.c.intent,
    T.c.department_id,
    T.c.assignee_id,
    T.c.created_at,
    T.c.first_response_due,
    T.c.resolution_due,
    T.c.first_response_at,
    T.c.sla_paused_at,
    C.c.name.label("customer_name"),
    C.c.tier.label("customer_tier"),
)


# -- reading (the queue's count and windows are in `direct`) ------------------------------
def load(connection: Connection, ticket_id: str) -> Ticket:
    row = connection.execute(select(T).where(T.c.id == ticket_id)).first()
    if row is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    return convert.ticket_from_row(row._mapping)


def by_number(connection: Connection, number: int) -> Ticket:
    if not -direct.MAX_SQLITE_INTEGER <= number <= direct.MAX_SQLITE_INTEGER:
        raise NotFound(f"no ticket #{number}")
    row = connection.execute(select(T).where(T.c.number == number)).first()
    if row is None:
        raise NotFound(f"no ticket #{number}")
    return convert.ticket_from_row(row._mapping)


def messages(connection: Connection, ticket_id: str) -> list[Message]:
    if connection.execute(select(T.c.id).where(T.c.id == ticket_id)).first() is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    m = tables.messages
    statement = select(m).where(m.c.ticket_id == ticket_id).order_by(m.c.created_at, m.c.id)
    return [convert.message_from_row(row._mapping) for row in connection.execute(statement)]


def customer_tickets(connection: Connection, customer_id: str, limit: int) -> list[TicketRow]:
    statement = (
        select(*ROW_COLUMNS)
        .select_from(T.outerjoin(C, C.c.id == T.c.customer_id))
        .where(T.c.customer_id == customer_id)
        .order_by(T.c.created_at.desc(), T.c.number.desc())
        .limit(max(limit, 0))
    )
    return [convert.ticket_row_from_row(row._mapping) for row in connection.execute(statement)]


def audit_events(connection: Connection, ticket_id: str) -> list[AuditEvent]:
    a = tables.audit_events
    statement = select(a).where(a.c.ticket_id == ticket_id).order_by(a.c.position)
    return [convert.audit_from_row(row._mapping) for row in connection.execute(statement)]


def batch_after(connection: Connection, after_number: int, size: int) -> list[Ticket]:
    statement = select(T).where(T.c.number > after_number).order_by(T.c.number).limit(size)
    return [convert.ticket_from_row(row._mapping) for row in connection.execute(statement)]


# -- writing ---------------------------------------------------------------------------------
def customer_names(connection: Connection, customer_ids: Iterable[str]) -> dict[str, str]:
    return {key: name for key, (name, _) in customer_facts(connection, customer_ids).items()}


def customer_facts(
    connection: Connection, customer_ids: Iterable[str]
) -> dict[str, tuple[str, CustomerTier]]:
    """Name and tier of each customer found, a query per few hundred ids."""
    wanted = list(dict.fromkeys(customer_ids))
    facts: dict[str, tuple[str, CustomerTier]] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        statement = select(C.c.id, C.c.name, C.c.tier).where(C.c.id.in_(chunk))
        facts.update(
            {row.id: (row.name, CustomerTier(row.tier)) for row in connection.execute(statement)}
        )
    return facts


def persist(tx: Transaction, change: Change) -> None:
    """Write a Change: the ticket (compare-and-set on version), messages, audit, op log."""
    connection = tx.connection
    ticket = change.ticket
    names = customer_names(connection, [ticket.customer_id])
    values = convert.ticket_values(ticket, names.get(ticket.customer_id, ""))
    if change.created:
        connection.execute(insert(T), values)
    else:
        # The change was computed from version - 1; if the row moved on, nothing is written.
        result = connection.execute(
            update(T)
            .where(T.c.id == ticket.id, T.c.version == ticket.version - 1)
            .values({key: value for key, value in values.items() if key != "id"})
        )
        if result.rowcount != 1:
            raise Conflict(f"ticket #{ticket.number} changed meanwhile")
    _insert_children(connection, change.messages, change.audit)
    tx.log([(change.kind, change.payload, ticket.updated_at)])


def _insert_children(
    connection: Connection, messages: Sequence[Message], audit: Sequence[AuditEvent]
) -> None:
    bulk_insert(connection, tables.messages, [convert.message_values(m) for m in messages])
    bulk_insert(connection, tables.audit_events, [convert.audit_values(e) for e in audit])


def mutate(tx: Transaction, ticket_id: str, mutation: Mutation) -> Change:
    ticket = load(tx.connection, ticket_id)
    change = mutation(ticket, tx)
    persist(tx, change)
    return change


BULK = 1000


def add(
    tx: Transaction,
    news: Sequence[NewTicket],
    now: datetime,
    policies: SlaPolicies,
) -> list[Ticket]:
    with gc_paused(len(news) >= BULK):
        return _add(tx, news, now, policies)


def _add(
    tx: Transaction,
    news: Sequence[NewTicket],
    now: datetime,
    policies: SlaPolicies,
) -> list[Ticket]:
    if not news:
        return []
    connection = tx.connection
    facts = customer_facts(connection, (new.customer_id for new in news))
    for new in news:
        if new.customer_id not in facts:
            raise NotFound(f"no customer {new.customer_id!r}")
    numbers = tx.next_numbers(len(news))
    make_id = IdBlock()
    changes = [
        actions.create_ticket(
            new,
            number=number,
            now=now,
            policies=policies,
            tier=facts[new.customer_id][1],
            make_id=make_id,
        )
        for new, number in zip(news, numbers, strict=True)
    ]
    bulk_insert(
        connection,
        T,
        [convert.ticket_values(c.ticket, facts[c.ticket.customer_id][0]) for c in changes],
    )
    _insert_children(
        connection,
        [message for change in changes for message in change.messages],
        [event for change in changes for event in change.audit],
    )
    tx.log([(change.kind, change.payload, change.ticket.updated_at) for change in changes])
    return [change.ticket for change in changes]
