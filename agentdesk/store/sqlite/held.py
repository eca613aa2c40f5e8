"""The claims this workstation's agent holds on the server (`domain.held_claims`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from agentdesk.domain.held_claims import ClaimKind, HeldClaim, merged, pullable_ids
from agentdesk.domain.model import Agent, Ticket
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.store.sqlite import convert, routing, tables
from agentdesk.store.sqlite.database import Transaction

H = tables.held_claims


def held(connection: Connection) -> list[HeldClaim]:
    rows = connection.execute(select(H).order_by(H.c.ticket_id))
    return [
        HeldClaim(
            ticket_id=row.ticket_id,
            epoch=row.epoch,
            kind=ClaimKind(row.kind),
            lease_expires_at=convert.from_micros(row.lease_expires_at),
            taken=bool(row.taken),
            lost_at=convert.from_micros_or_none(row.lost_at),
        )
        for row in rows
    ]


def record(tx: Transaction, current: Sequence[HeldClaim], now: datetime) -> None:
    """Replace the held claims with the server's list; the others stay as lost (one write)."""
    kept = merged(held(tx.connection), current, now=now)
    tx.connection.execute(delete(H))
    if kept:
        tx.connection.execute(
            insert(H),
            [
                {
                    "ticket_id": claim.ticket_id,
                    "epoch": claim.epoch,
                    "kind": claim.kind.value,
                    "lease_expires_at": convert.to_micros(claim.lease_expires_at),
                    "taken": claim.taken,
                    "lost_at": convert.to_micros_or_none(claim.lost_at),
                }
                for claim in kept
            ],
        )


def claim_reserved(
    tx: Transaction, agent: Agent, now: datetime, policy: RoutingPolicy
) -> Ticket | None:
    """Pull-next in sync mode: the best of the agent's live untaken reservations, taken."""
    ids = sorted(pullable_ids(held(tx.connection), now))
    ticket = routing.claim_among(tx, agent, now, policy, ids)
    if ticket is not None:
        tx.connection.execute(update(H).where(H.c.ticket_id == ticket.id).values(taken=True))
    return ticket
