"""Tickets on the server: rows to domain objects and back, and creating one through the domain."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from agentdesk.domain import actions
from agentdesk.domain.model import (
    Channel,
    Complexity,
    CustomerTier,
    LinkKind,
    MessageKind,
    Priority,
    Ticket,
    TicketLink,
    TicketStatus,
)
from agentdesk.domain.routing import work_key
from agentdesk.server import changelog
from agentdesk.server import tables as t
from agentdesk.server.changelog import ChangeRecord
from agentdesk.server.database import dialect_insert

# Columns the domain's Ticket does not have: links are converted, field clocks are the server's.
SERVER_ONLY_COLUMNS = frozenset({"links", "field_clocks"})
# Tickets in these states wait in the routing queue for an owner.
CLAIMABLE = (TicketStatus.NEW, TicketStatus.OPEN)


def ensure_department(connection: Connection, department_id: str) -> None:
    # ON CONFLICT DO NOTHING: two requests may name a new department at the same moment.
    connection.execute(
        dialect_insert(connection, t.departments)
        .values(id=department_id, name=department_id)
        .on_conflict_do_nothing()
    )


def ensure_customer(connection: Connection, customer_id: str, name: str | None) -> None:
    connection.execute(
        dialect_insert(connection, t.customers)
        .values(
            id=customer_id,
            name=name or customer_id,
            email="",
            phone="",
            tier="standard",
            language="en",
        )
        .on_conflict_do_nothing()
    )


def next_number(connection: Connection) -> int:
    return int(
        connection.execute(
            update(t.counters)
            .where(t.counters.c.name == "ticket_number")
            .values(value=t.counters.c.value + 1)
            .returning(t.counters.c.value)
        ).scalar_one()
    )


def create_ticket(
    connection: Connection,
    new: actions.NewTicket,
    *,
    customer_name: str | None,
    now: datetime,
    follow_up_of: str | None = None,
    opened_by_customer: bool = False,
) -> Ticket:
    """Create the ticket, its first message and audit, queue it, and log it; one transaction.

    A follow-up of a closed ticket opens with a system message when an agent's words arrived
    for a ticket that closed meanwhile (the customer said nothing new); one the customer's own
    words opened (`opened_by_customer`) keeps them as its first, customer message.
    """
    ensure_department(connection, new.department_id)
    ensure_customer(connection, new.customer_id, customer_name)
    change = actions.create_ticket(
        new, number=next_number(connection), now=now, follow_up_of=follow_up_of
    )
    if follow_up_of is not None and not opened_by_customer:
        opening = replace(change.messages[0], kind=MessageKind.SYSTEM)
        change = replace(change, messages=(opening, *change.messages[1:]))
    ticket = change.ticket
    connection.execute(insert(t.tickets).values(**ticket_values(ticket)))
    if change.messages:
        connection.execute(
            insert(t.messages),
            [
                {
                    "id": message.id,
                    "ticket_id": message.ticket_id,
                    "kind": message.kind.value,
                    "body": message.body,
                    "created_at": message.created_at,
                    "author_id": message.author_id,
                }
                for message in change.messages
            ],
        )
    if change.audit:
        connection.execute(
            insert(t.audit_events),
            [
                {
                    "id": event.id,
                    "ticket_id": event.ticket_id,
                    "actor_id": event.actor_id,
                    "kind": event.kind,
                    "detail": plain(event.detail),
                    "at": event.at,
                }
                for event in change.audit
            ],
        )
    connection.execute(insert(t.routing_queue).values(**queue_values(connection, ticket)))
    records = [ChangeRecord("ticket_state", ticket.id, ticket_json(ticket))]
    records += [
        ChangeRecord(
            "event",
            ticket.id,
            {"message": plain(asdict(message))},
        )
        for message in change.messages
    ]
    changelog.append(connection, records, now=now)
    return ticket


def live_follow_up(connection: Connection, closed_id: str) -> Ticket | None:
    """The newest follow-up of `closed_id` still open, locked: later words for it go there.

    Without it, every late message for a closed ticket (three offline replies, say) would
    open a follow-up of its own.
    """
    row = connection.execute(
        select(t.tickets)
        .where(
            t.tickets.c.follow_up_of == closed_id,
            t.tickets.c.status != TicketStatus.CLOSED.value,
        )
        .order_by(t.tickets.c.created_at.desc(), t.tickets.c.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    return None if row is None else ticket_from_row(row)


def queue_values(connection: Connection, ticket: Ticket) -> dict[str, Any]:
    """The ticket's routing-queue row, with what claim-next filters by from its customer."""
    customer = connection.execute(
        select(t.customers.c.tier, t.customers.c.language).where(
            t.customers.c.id == ticket.customer_id
        )
    ).first()
    vip = customer is not None and customer.tier == CustomerTier.VIP.value
    return queue_row(ticket, vip=vip, language=customer.language if customer else "")


def requeue_customer(connection: Connection, customer_id: str, tier: str, language: str) -> None:
    """A customer's tier or language changed: their queued tickets are routed by the new one."""
    queue = t.routing_queue
    connection.execute(
        update(queue)
        .where(
            queue.c.ticket_id.in_(
                select(t.tickets.c.id).where(t.tickets.c.customer_id == customer_id)
            )
        )
        .values(vip=tier == CustomerTier.VIP.value, language=language)
    )


def queue_row(ticket: Ticket, *, vip: bool, language: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        **queued_ticket_values(ticket),
        "vip": vip,
        "language": language,
    }


def queued_ticket_values(ticket: Ticket) -> dict[str, Any]:
    """The queue row's columns that come from the ticket itself (not its id or customer)."""
    return {
        "department_id": ticket.department_id,
        "priority_rank": ticket.priority.rank,
        "due_at": ticket.resolution_due or ticket.created_at,
        "work": work_key(ticket.required_skill, ticket.complexity),
    }


def ticket_values(ticket: Ticket) -> dict[str, Any]:
    values = {
        column.name: getattr(ticket, column.name)
        for column in t.tickets.columns
        if column.name not in SERVER_ONLY_COLUMNS
    }
    for name, value in values.items():
        if isinstance(value, Enum):
            values[name] = value.value
    values["links"] = [
        {"kind": link.kind.value, "ref_id": link.ref_id, "title": link.title}
        for link in ticket.links
    ]
    return values


def ticket_from_row(row: Row[Any]) -> Ticket:
    data = dict(row._mapping)
    data.pop("field_clocks", None)
    return Ticket(
        **{
            **data,
            "status": TicketStatus(data["status"]),
            "priority": Priority(data["priority"]),
            "channel": Channel(data["channel"]),
            "complexity": Complexity(data["complexity"]),
            "links": tuple(
                TicketLink(LinkKind(link["kind"]), link["ref_id"], link.get("title", ""))
                for link in data["links"]
            ),
        }
    )


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return plain(asdict(ticket))


def plain(value: Any) -> Any:
    """JSON-ready: enums to their values, datetimes to ISO 8601, tuples to lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def current_state(connection: Connection, ticket_id: str) -> dict[str, Any] | None:
    """The ticket as a `ticket_state` change record's payload (with its claim, if it has one)."""
    row = connection.execute(select(t.tickets).where(t.tickets.c.id == ticket_id)).first()
    if row is None:
        return None
    state = ticket_json(ticket_from_row(row))
    claim = connection.execute(
        select(t.ticket_claims.c.owner_agent_id, t.ticket_claims.c.epoch).where(
            t.ticket_claims.c.ticket_id == ticket_id
        )
    ).first()
    if claim is not None:
        state["claim"] = {"owner_agent_id": claim.owner_agent_id, "epoch": int(claim.epoch)}
    return state


def message_records(connection: Connection, ticket_id: str) -> list[dict[str, Any]]:
    """The ticket's messages, each as an `event` change record's `message` carries it."""
    m = t.messages
    rows = connection.execute(
        select(m.c.id, m.c.ticket_id, m.c.kind, m.c.body, m.c.created_at, m.c.author_id)
        .where(m.c.ticket_id == ticket_id)
        .order_by(m.c.created_at, m.c.id)
    )
    return [plain(dict(row._mapping)) for row in rows]
