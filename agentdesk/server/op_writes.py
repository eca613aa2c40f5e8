"""What every pushed op's handler shares: its rejection, who pushes, and writing a Change.

Handlers run inside push.py's per-op savepoint: raising `Rejection` undoes their writes and
becomes the op's stored result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from agentdesk.domain import actions
from agentdesk.domain.model import Role, Ticket, TicketStatus
from agentdesk.server import changelog, claims
from agentdesk.server import tables as t
from agentdesk.server.changelog import ChangeRecord
from agentdesk.server.tickets import (
    plain,
    queued_ticket_values,
    ticket_from_row,
    ticket_json,
    ticket_values,
)

# Who may act on a ticket someone else holds, or hand it to someone else (the same people as
# POST /tickets/{id}/assign).
ASSIGNERS = frozenset({Role.LEAD, Role.ADMIN})


# Not frozen: raising an exception through a context manager sets its __traceback__.
@dataclass
class Rejection(Exception):
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Pusher:
    """Who pushes: the account's id and role, and the lease a claim taken over sync gets."""

    agent_id: str
    role: Role = Role.AGENT
    lease: timedelta = claims.DEFAULT_LEASE


def locked_ticket(connection: Connection, ticket_id: str) -> Ticket:
    return ticket_from_row(locked_row(connection, ticket_id))


def locked_row(connection: Connection, ticket_id: str) -> Any:
    row = connection.execute(
        select(t.tickets).where(t.tickets.c.id == ticket_id).with_for_update()
    ).first()
    if row is None:
        raise Rejection("not_found", f"no ticket {ticket_id} on the server")
    return row


def persist(
    connection: Connection,
    change: actions.Change,
    *,
    now: datetime,
    claim: Mapping[str, Any] | None = None,
    field_clocks: Mapping[str, list[str]] | None = None,
) -> None:
    """Write the changed ticket, its messages and audit events, and log them for pull.

    `claim` goes into the logged state (clients learn the owner's epoch); `field_clocks`, when
    given, replaces the ticket's LWW clocks.
    """
    ticket = change.ticket
    values = ticket_values(ticket)
    if field_clocks is not None:
        values["field_clocks"] = dict(field_clocks)
    connection.execute(update(t.tickets).where(t.tickets.c.id == ticket.id).values(**values))
    for message in change.messages:
        connection.execute(
            insert(t.messages).values(
                id=message.id,
                ticket_id=message.ticket_id,
                kind=message.kind.value,
                body=message.body,
                created_at=message.created_at,
                author_id=message.author_id,
            )
        )
    for event in change.audit:
        connection.execute(
            insert(t.audit_events).values(
                id=event.id,
                ticket_id=event.ticket_id,
                actor_id=event.actor_id,
                kind=event.kind,
                detail=plain(event.detail),
                at=event.at,
            )
        )
    if ticket.status is TicketStatus.CLOSED:
        connection.execute(delete(t.routing_queue).where(t.routing_queue.c.ticket_id == ticket.id))
    else:
        # A queued ticket reclassified (or re-prioritised) is routed by what it is now.
        connection.execute(
            update(t.routing_queue)
            .where(t.routing_queue.c.ticket_id == ticket.id)
            .values(**queued_ticket_values(ticket))
        )
    state = ticket_json(ticket)
    if claim is not None:
        state["claim"] = dict(claim)
    records = [ChangeRecord("ticket_state", ticket.id, state)]
    records += [
        ChangeRecord("event", ticket.id, {"message": plain(asdict(message))})
        for message in change.messages
    ]
    changelog.append(connection, records, now=now)
