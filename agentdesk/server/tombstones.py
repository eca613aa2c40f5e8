"""Ticket deletion (admins only): a tombstone in the change log, and delete wins (SYNC.md §4.6).

Deleting removes the ticket's rows (ticket, messages, audit, queue and claim rows), keeps a
`ticket_tombstones` row and logs one `tombstone` record that desks apply by dropping the ticket.
Ops arriving later for it, whatever they change, are refused with reason `deleted`: the desk keeps
them in its conflict list with their words, so nothing typed is lost. Locks are taken in the
claim paths' order (queue row, claim row, ticket row, log head), so a delete never deadlocks
with a claim.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from agentdesk.server import changelog
from agentdesk.server import tables as t
from agentdesk.server.changelog import ChangeRecord

DELETED = "deleted"


class NoSuchTicket(LookupError):
    """Neither a ticket nor a tombstone has this id."""


def deleted(connection: Connection, ticket_id: str) -> bool:
    found = connection.execute(
        select(t.ticket_tombstones.c.ticket_id).where(t.ticket_tombstones.c.ticket_id == ticket_id)
    ).first()
    return found is not None


def deleted_among(connection: Connection, ticket_ids: set[str]) -> set[str]:
    """Which of `ticket_ids` were deleted (one statement, for a push run's creates)."""
    if not ticket_ids:
        return set()
    column = t.ticket_tombstones.c.ticket_id
    return set(connection.execute(select(column).where(column.in_(sorted(ticket_ids)))).scalars())


def delete_ticket(
    connection: Connection, ticket_id: str, *, actor: str, now: datetime
) -> dict[str, object]:
    """Delete the ticket in the caller's transaction; returns the tombstone record's payload.

    Deleting a deleted ticket again answers its tombstone and logs nothing.
    """
    connection.execute(delete(t.routing_queue).where(t.routing_queue.c.ticket_id == ticket_id))
    connection.execute(delete(t.ticket_claims).where(t.ticket_claims.c.ticket_id == ticket_id))
    row = connection.execute(
        select(t.tickets.c.number).where(t.tickets.c.id == ticket_id).with_for_update()
    ).first()
    if row is None:
        stone = connection.execute(
            select(t.ticket_tombstones).where(t.ticket_tombstones.c.ticket_id == ticket_id)
        ).first()
        if stone is None:
            raise NoSuchTicket(f"no ticket {ticket_id}")
        return _payload(ticket_id, stone.number, stone.deleted_at, stone.deleted_by)
    for child in (t.messages, t.audit_events):
        connection.execute(delete(child).where(child.c.ticket_id == ticket_id))
    connection.execute(delete(t.tickets).where(t.tickets.c.id == ticket_id))
    connection.execute(
        insert(t.ticket_tombstones).values(
            ticket_id=ticket_id, number=row.number, deleted_at=now, deleted_by=actor
        )
    )
    payload = _payload(ticket_id, row.number, now, actor)
    changelog.append(connection, [ChangeRecord("tombstone", ticket_id, payload)], now=now)
    return payload


def _payload(ticket_id: str, number: int, at: datetime, actor: str | None) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "number": number,
        "deleted_at": at.isoformat(),
        "deleted_by": actor,
    }
