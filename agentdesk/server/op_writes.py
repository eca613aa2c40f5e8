"""What every pushed op's handler shares: its rejection, who pushes, and writing a Change.

Handlers run inside push.py's per-op savepoint: raising `Rejection` undoes their writes and
becomes the op's stored result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select

from agentdesk.domain import actions
from agentdesk.domain.model import Role, Ticket
from agentdesk.server import claims, tombstones
from agentdesk.server import tables as t
from agentdesk.server.tickets import TicketWrites, ticket_from_row

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


_LOCK_TICKET = select(t.tickets).where(t.tickets.c.id == bindparam("ticket_id")).with_for_update()


def locked_row(connection: Connection, ticket_id: str) -> Any:
    row = connection.execute(_LOCK_TICKET, {"ticket_id": ticket_id}).first()
    if row is None:
        raise missing(connection, ticket_id)
    return row


def missing(connection: Connection, ticket_id: str) -> Rejection:
    """Why an op on a ticket the server has no row of is refused: deleted, or never there."""
    if tombstones.deleted(connection, ticket_id):
        # Quarantined, not dropped: the desk keeps the op and its words in the conflict list.
        return Rejection(tombstones.DELETED, f"ticket {ticket_id} was deleted by an admin")
    return Rejection("not_found", f"no ticket {ticket_id} on the server")


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
    writes = TicketWrites()
    writes.change(change, claim=claim, field_clocks=field_clocks)
    writes.flush(connection, now=now)
