"""Reservations: tickets held for an agent to pull next while offline (SYNC.md §4.8).

A reservation is a `ticket_claims` row of kind "reservation". It shares everything with an
online claim: the primary key (one holder per ticket), the epoch, and lazy expiry, so a reserved
ticket is not claimable by anyone else while its lease lives and claim-next takes it back as a
lapsed claim once the lease has run out. Reserving takes the ticket off the routing queue but
leaves it unassigned; the holder takes it when they pull it, online or not, with an assign op
quoting the reservation's epoch (push.py keeps that epoch: the same ownership continues).

One request (`refresh`) serves a sync round: it tops the agent's untaken reservations up to a
count, in claim-next's order, renews every live claim the agent holds and returns them all, so a
retried request never reserves more than asked for.

Lock order as in claims.py: routing_queue row, then ticket_claims row, then tickets row, then
log_head.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from agentdesk.domain.model import Complexity, CustomerTier
from agentdesk.domain.routing import Eligibility, work_key
from agentdesk.server import changelog, claims
from agentdesk.server import tables as t
from agentdesk.server.changelog import ChangeRecord
from agentdesk.server.database import dialect_insert
from agentdesk.server.op_writes import Rejection
from agentdesk.server.tickets import (
    CLAIMABLE,
    queue_rows,
    queue_values,
    ticket_from_row,
    ticket_json,
)

# A shift; clients ask for their own length (the `[sync] reserve_hours` config key).
DEFAULT_RESERVATION = timedelta(hours=8)
MAX_RESERVATION = timedelta(hours=24)
# Untaken reservations one agent may hold: enough for a shift offline, not the whole queue.
MAX_RESERVATIONS = 20

_CLAIMABLE = [status.value for status in CLAIMABLE]
_REVOKED_FROM_ME = (
    select(t.ticket_claims.c.ticket_id)
    .where(
        t.ticket_claims.c.ticket_id == t.routing_queue.c.ticket_id,
        t.ticket_claims.c.revoked_agent_id == bindparam("agent_id"),
    )
    .exists()
)
_QUEUE_HEAD = claims.queue_head(~_REVOKED_FROM_ME, limit=bindparam("wanted"))
# Lapsed claims on unassigned tickets (mostly other agents' expired reservations). A lapsed
# claim on an assigned ticket is left to online claim-next, which reassigns it.
_LAPSED_UNASSIGNED = claims.lapsed_claims(
    t.tickets.c.assignee_id.is_(None), limit=bindparam("wanted")
)


class BadReservation(ValueError):
    """A count or duration out of range; the message says which and the limits."""


@dataclass(frozen=True, slots=True)
class Held:
    """A live claim the agent holds; `taken` once the ticket is assigned to them."""

    ticket_id: str
    epoch: int
    kind: str
    lease_expires_at: datetime
    taken: bool

    def json(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "epoch": self.epoch,
            "kind": self.kind,
            "lease_expires_at": self.lease_expires_at.isoformat(),
            "taken": self.taken,
        }


def refresh(
    connection: Connection,
    agent_id: str,
    departments: tuple[str, ...],
    *,
    count: int,
    duration: timedelta,
    now: datetime,
    online_lease: timedelta = claims.DEFAULT_LEASE,
    eligibility: Eligibility | None = None,
) -> list[Held]:
    """Top untaken reservations up to `count`, renew the agent's live claims, return them all.

    Reservations are renewed to `duration` from now, online claims to `online_lease`. Untaken
    reservations whose ticket left the claimable states (solved elsewhere, transferred away)
    are released rather than renewed. New reservations are tickets `eligibility` admits, as
    claim-next would hand them out.
    """
    if not 0 <= count <= MAX_RESERVATIONS:
        raise BadReservation(f"count must be 0 to {MAX_RESERVATIONS}, not {count}")
    if not timedelta(0) < duration <= MAX_RESERVATION:
        raise BadReservation(f"a reservation lasts more than 0 and at most 24 h, not {duration}")
    held = live_claims(connection, agent_id, now=now)
    stale, still_queued = _unclaimable(connection, held, departments, eligibility)
    untaken = [
        h.ticket_id
        for h in held
        if h.kind == claims.RESERVATION and not h.taken and h.ticket_id not in stale
    ]
    wanted = count - len(untaken)
    _reserve(connection, agent_id, departments, eligibility, wanted, duration, now)
    if len(untaken) > count:
        _give_back(connection, untaken, len(untaken) - count)
    if stale:
        connection.execute(
            update(t.ticket_claims)
            .where(t.ticket_claims.c.ticket_id.in_(sorted(stale - set(still_queued))))
            .values(owner_agent_id=None, lease_expires_at=None)
        )
    if still_queued:
        # Work the holder may no longer take goes back to the queue for someone who may.
        _give_back(connection, still_queued, len(still_queued))
    mine = t.ticket_claims.c
    for kind, lease in ((claims.RESERVATION, duration), (claims.ONLINE, online_lease)):
        connection.execute(
            update(t.ticket_claims)
            .where(mine.owner_agent_id == agent_id, mine.lease_expires_at > now, mine.kind == kind)
            .values(lease_expires_at=now + lease)
        )
    return live_claims(connection, agent_id, now=now)


def _unclaimable(
    connection: Connection,
    held: list[Held],
    departments: tuple[str, ...],
    eligibility: Eligibility | None,
) -> tuple[set[str], list[str]]:
    """Untaken reservations the holder can no longer pull: the ticket was solved, moved out
    of their departments or given to someone else (a reply assigns its author) meanwhile, or
    it is no longer work they may take (reclassified, their level lowered, a VIP now). The
    second part lists those still waiting for an owner, in their departments: they go back to
    the queue."""
    ids = [h.ticket_id for h in held if h.kind == claims.RESERVATION and not h.taken]
    if not ids:
        return set(), []
    tickets, customers = t.tickets.c, t.customers.c
    rows = connection.execute(
        select(
            tickets.id,
            tickets.status,
            tickets.department_id,
            tickets.assignee_id,
            tickets.required_skill,
            tickets.complexity,
            customers.tier,
            customers.language,
        )
        .join_from(t.tickets, t.customers, customers.id == tickets.customer_id)
        .where(tickets.id.in_(ids))
    )
    stale: set[str] = set()
    still_queued: list[str] = []
    for row in rows:
        if (
            row.status not in _CLAIMABLE
            or row.department_id not in departments
            or row.assignee_id is not None
        ):
            stale.add(row.id)
        elif eligibility is not None and not eligibility.admits_kind(
            row.department_id,
            work_key(row.required_skill, Complexity(row.complexity)),
            vip=row.tier == CustomerTier.VIP.value,
            language=row.language,
        ):
            stale.add(row.id)
            still_queued.append(row.id)
    return stale, still_queued


def _give_back(connection: Connection, ticket_ids: list[str], surplus: int) -> None:
    """Release the `surplus` least urgent of these reservations (the agent asked for fewer)
    and put their tickets back in the queue; the epochs stay, for fencing."""
    rows = connection.execute(select(t.tickets).where(t.tickets.c.id.in_(ticket_ids))).all()
    queued = sorted(queue_rows(connection, map(ticket_from_row, rows)), key=_urgency)
    released = queued[len(queued) - surplus :]
    connection.execute(
        update(t.ticket_claims)
        .where(t.ticket_claims.c.ticket_id.in_([entry["ticket_id"] for entry in released]))
        .values(owner_agent_id=None, lease_expires_at=None)
    )
    for entry in released:
        connection.execute(
            dialect_insert(connection, t.routing_queue).values(**entry).on_conflict_do_nothing()
        )


def _urgency(entry: dict[str, Any]) -> tuple[Any, ...]:
    return (entry["priority_rank"], entry["due_at"], entry["ticket_id"])


def _reserve(
    connection: Connection,
    agent_id: str,
    departments: tuple[str, ...],
    eligibility: Eligibility | None,
    wanted: int,
    duration: timedelta,
    now: datetime,
) -> None:
    if wanted <= 0:
        return
    params = {
        "departments": list(departments),
        "now": now,
        "wanted": wanted,
        "agent_id": agent_id,
        **claims.eligibility_parameters(eligibility),
    }
    lapsed = list(connection.execute(_LAPSED_UNASSIGNED, params).scalars())
    queued: list[str] = []
    if len(lapsed) < wanted:
        params["wanted"] = wanted - len(lapsed)
        queued = list(connection.execute(_QUEUE_HEAD, params).scalars())
        if queued:
            connection.execute(
                delete(t.routing_queue).where(t.routing_queue.c.ticket_id.in_(queued))
            )
    for ticket_id in lapsed + queued:
        # A stale queue row (a live claim exists) is skipped: take() only writes a free row.
        claims.take(
            connection, ticket_id, agent_id, now=now, lease=duration, kind=claims.RESERVATION
        )


def live_claims(connection: Connection, agent_id: str, *, now: datetime) -> list[Held]:
    """Every claim `agent_id` holds whose lease has not run out, by ticket id."""
    rows = connection.execute(
        select(t.ticket_claims, t.tickets.c.assignee_id)
        .join(t.tickets, t.tickets.c.id == t.ticket_claims.c.ticket_id)
        .where(
            t.ticket_claims.c.owner_agent_id == agent_id,
            t.ticket_claims.c.lease_expires_at > now,
        )
        .order_by(t.ticket_claims.c.ticket_id)
    )
    return [
        Held(
            row.ticket_id,
            int(row.epoch),
            row.kind,
            row.lease_expires_at,
            row.assignee_id == agent_id,
        )
        for row in rows
    ]


def revoke(connection: Connection, ticket_id: str, *, now: datetime) -> int:
    """A lead takes a claim of either kind away: epoch + 1 fences its holder out, and the
    ticket, unassigned, goes back to the queue, where the holder's own reservations pass it
    by (they may still claim it online or be assigned it). Returns the new epoch."""
    row = connection.execute(
        select(t.ticket_claims).where(t.ticket_claims.c.ticket_id == ticket_id).with_for_update()
    ).first()
    if row is None or row.owner_agent_id is None:
        raise claims.NotFound(f"nobody holds a claim on ticket {ticket_id}")
    epoch = int(row.epoch) + 1
    connection.execute(
        update(t.ticket_claims)
        .where(t.ticket_claims.c.ticket_id == ticket_id)
        .values(
            owner_agent_id=None,
            lease_expires_at=None,
            epoch=epoch,
            kind=claims.ONLINE,
            revoked_agent_id=row.owner_agent_id,
        )
    )
    ticket_row = connection.execute(
        update(t.tickets)
        .where(t.tickets.c.id == ticket_id, t.tickets.c.assignee_id == row.owner_agent_id)
        .values(assignee_id=None, updated_at=now, version=t.tickets.c.version + 1)
        .returning(*t.tickets.columns)
    ).first()
    if ticket_row is None:
        ticket_row = connection.execute(select(t.tickets).where(t.tickets.c.id == ticket_id)).one()
    ticket = ticket_from_row(ticket_row)
    if ticket.status in CLAIMABLE and ticket.assignee_id is None:
        connection.execute(
            dialect_insert(connection, t.routing_queue)
            .values(**queue_values(connection, ticket))
            .on_conflict_do_nothing()
        )
    state = {**ticket_json(ticket), "claim": {"owner_agent_id": None, "epoch": epoch}}
    changelog.append(connection, [ChangeRecord("ticket_state", ticket_id, state)], now=now)
    return epoch


def take_held(
    connection: Connection,
    ticket_id: str,
    agent_id: str,
    epoch: int,
    held: Any,
    *,
    now: datetime,
    lease: timedelta,
) -> int:
    """The holder takes a ticket they hold at `epoch` (a reservation pulled offline, usually).

    The same ownership continues, so the epoch stays and the ops logged after the take, which
    quote it, still pass the fence. A lease that ran out while nobody else took the ticket is
    picked up again (lazy expiry: nobody else's claim came between). `held` is the claim row,
    locked by the caller. Raises Rejection(claim_lost) when the epoch is no longer current.
    """
    if held is None or held.owner_agent_id != agent_id or int(held.epoch) != epoch:
        raise Rejection(
            "claim_lost", "the reservation was revoked or lapsed and went to another agent"
        )
    if held.lease_expires_at is None or held.lease_expires_at <= now:
        connection.execute(
            update(t.ticket_claims)
            .where(t.ticket_claims.c.ticket_id == ticket_id)
            .values(lease_expires_at=now + lease)
        )
    return epoch
