"""Claims: one owner per ticket, leases that expire, and a fencing epoch (SYNC.md §4.8).

Lock order, the same in every function, so two transactions never wait on each other in a
circle: routing_queue row, then ticket_claims row, then tickets row, then log_head.
Expiry is lazy: a claim whose lease has run out counts as free when someone claims next.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from agentdesk.domain.model import CustomerTier, Ticket
from agentdesk.domain.remote import ticket_from_wire
from agentdesk.domain.routing import Eligibility
from agentdesk.server import changelog
from agentdesk.server import tables as t
from agentdesk.server.changelog import ChangeRecord
from agentdesk.server.database import dialect_insert
from agentdesk.server.tickets import CLAIMABLE, queue_values, ticket_from_row, ticket_json

DEFAULT_LEASE = timedelta(minutes=5)
# Claim kinds (the `kind` column): see server/reservations.py for reservations.
ONLINE = "online"
RESERVATION = "reservation"
# A queue row can be stale (a lead assigned the ticket meanwhile); claim-next drops it and
# looks again, a bounded number of times.
MAX_ATTEMPTS = 8


# SKIP LOCKED lets concurrent claimers pass each other's candidates; SQLite has no row locks and
# leaves it out, its BEGIN IMMEDIATE serialising the claimers instead. Reservations build theirs
# from the same two queries. Both take the caller's `departments` and the `eligibility_parameters`.
def queue_head(*conditions: ColumnElement[bool], limit: Any = 1) -> Select[Any]:
    """The most urgent queued tickets the caller may take, VIPs first, skipping locked rows."""
    queue = t.routing_queue
    return (
        select(queue.c.ticket_id)
        .where(
            queue.c.department_id.in_(bindparam("departments", expanding=True)),
            *admitted(queue.c.work, queue.c.vip, queue.c.language),
            *conditions,
        )
        .order_by(queue.c.priority_rank, queue.c.vip.desc(), queue.c.due_at, queue.c.ticket_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def lapsed_claims(*conditions: ColumnElement[bool], limit: Any = 1) -> Select[Any]:
    """Claimable tickets the caller may take whose claim lapsed by `now`, oldest first."""
    claims, tickets, customers = t.ticket_claims, t.tickets, t.customers
    return (
        select(claims.c.ticket_id)
        .join(tickets, tickets.c.id == claims.c.ticket_id)
        .join(customers, customers.c.id == tickets.c.customer_id)
        .where(
            claims.c.lease_expires_at <= bindparam("now", type_=claims.c.lease_expires_at.type),
            tickets.c.department_id.in_(bindparam("departments", expanding=True)),
            tickets.c.status.in_([status.value for status in CLAIMABLE]),
            *admitted(
                work_of(tickets.c.required_skill, tickets.c.complexity),
                customers.c.tier == CustomerTier.VIP.value,
                customers.c.language,
            ),
            *conditions,
        )
        .order_by(claims.c.lease_expires_at)
        .limit(limit)
        .with_for_update(of=claims, skip_locked=True)
    )


def admitted(
    work: ColumnElement[str], vip: ColumnElement[bool], language: ColumnElement[str]
) -> list[ColumnElement[bool]]:
    """`Eligibility.admits` as SQL over a ticket's work key, VIP flag and customer language."""
    return [
        or_(bindparam("any_work", type_=Boolean), work.in_(bindparam("work", expanding=True))),
        or_(bindparam("takes_vip", type_=Boolean), ~vip),
        or_(
            bindparam("any_language", type_=Boolean),
            language == "",
            language.in_(bindparam("languages", expanding=True)),
        ),
    ]


def work_of(skill: ColumnElement[str | None], complexity: ColumnElement[str]) -> Any:
    """`routing.work_key` in SQL (the queue stores it; a lapsed claim's ticket computes it)."""
    return complexity + ":" + func.coalesce(skill, "")


def eligibility_parameters(eligibility: Eligibility | None) -> dict[str, Any]:
    """The bind parameters of `admitted`; None admits every ticket of the departments."""
    if eligibility is None:
        return {
            "any_work": True,
            "work": [],
            "takes_vip": True,
            "any_language": True,
            "languages": [],
        }
    return {
        "any_work": False,
        "work": sorted(eligibility.work),
        "takes_vip": eligibility.vip,
        "any_language": not eligibility.languages,
        "languages": list(eligibility.languages),
    }


# The claim path's statements, built once (assembling them costs more Python time than running
# them).
_QUEUE_HEAD = queue_head()
_LAPSED = lapsed_claims()
_DEQUEUE = delete(t.routing_queue).where(t.routing_queue.c.ticket_id == bindparam("ticket_id"))
_SET_ASSIGNEE = (
    update(t.tickets)
    .where(t.tickets.c.id == bindparam("ticket_id"))
    .values(
        assignee_id=bindparam("assignee_id"),
        updated_at=bindparam("now", type_=t.tickets.c.updated_at.type),
        version=t.tickets.c.version + 1,
    )
    .returning(*t.tickets.columns)
)


# On PostgreSQL claim-next is one call of the function migration 0005 creates (the steps of
# `_claim_next_in_python`, in the database), for one request or a batch: one round trip, and run
# on its own (autocommit) its own transaction, so a batch shares one commit and one WAL flush.
_CLAIM_NEXT_MANY = text(
    "SELECT request_index, claim_epoch, ticket_state FROM agentdesk_claim_next_many("
    "CAST(:requests AS json), :claimable, :now, :expires, :attempts)"
).bindparams(
    bindparam("now", type_=t.ticket_claims.c.lease_expires_at.type),
    bindparam("expires", type_=t.ticket_claims.c.lease_expires_at.type),
)
_CLAIMABLE_VALUES = [status.value for status in CLAIMABLE]
NO_CLAIM = '{"claim": null}'


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    agent_id: str
    departments: tuple[str, ...]
    # The agent's skills, tier and languages as routing rules (None: by department alone).
    eligibility: Eligibility | None = None


class ClaimLost(Exception):
    """The caller no longer holds the claim at this epoch (expired, released or reassigned)."""


class NotFound(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Claim:
    ticket: Ticket
    owner_agent_id: str
    epoch: int
    lease_expires_at: datetime

    def json(self) -> dict[str, Any]:
        return {
            "ticket": ticket_json(self.ticket),
            "owner_agent_id": self.owner_agent_id,
            "epoch": self.epoch,
            "lease_expires_at": self.lease_expires_at.isoformat(),
        }


def claim_next(
    connection: Connection,
    agent_id: str,
    departments: tuple[str, ...],
    *,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
    eligibility: Eligibility | None = None,
) -> Claim | None:
    """Take the most urgent free ticket in `departments` that `eligibility` admits, or None."""
    request = ClaimRequest(agent_id, departments, eligibility)
    if connection.dialect.name == "postgresql":
        [answer] = claim_documents(connection, [request], now=now, lease=lease)
        claim = json.loads(answer)["claim"]
        if claim is None:
            return None
        ticket = ticket_from_wire(claim["ticket"])
        return Claim(ticket, agent_id, int(claim["epoch"]), now + lease)
    return _claim_next_in_python(connection, request, now=now, lease=lease)


def claim_documents(
    connection: Connection,
    requests: list[ClaimRequest],
    *,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
) -> list[str]:
    """claim-next for each request, in order, as the JSON text the API answers with.

    Each document is `{"claim": …}` as `Claim.json` has it, or `{"claim": null}`. On
    PostgreSQL the ticket's JSON comes from the database as text and goes out as it is: no
    Ticket is built or serialised on the hot path.
    """
    if connection.dialect.name != "postgresql":
        answers = []
        for request in requests:
            claim = _claim_next_in_python(connection, request, now=now, lease=lease)
            answers.append(json.dumps({"claim": None if claim is None else claim.json()}))
        return answers
    rows = connection.execute(_CLAIM_NEXT_MANY, call_parameters(requests, now=now, lease=lease))
    return documents(requests, rows, now=now, lease=lease)


# The same call for a psycopg connection used directly (the HTTP route's path, on the event
# loop); `call_parameters` gives its parameters by name, as both drivers take them.
CLAIM_NEXT_MANY_SQL = (
    "SELECT request_index, claim_epoch, ticket_state FROM agentdesk_claim_next_many("
    "%(requests)s::json, %(claimable)s, %(now)s, %(expires)s, %(attempts)s)"
)


def call_parameters(
    requests: list[ClaimRequest], *, now: datetime, lease: timedelta
) -> dict[str, Any]:
    wire = [
        {
            "agent": request.agent_id,
            "departments": list(request.departments),
            **eligibility_parameters(request.eligibility),
        }
        for request in requests
    ]
    return {
        "requests": json.dumps(wire),
        "claimable": _CLAIMABLE_VALUES,
        "now": now,
        "expires": now + lease,
        "attempts": MAX_ATTEMPTS,
    }


def documents(
    requests: list[ClaimRequest],
    rows: Iterable[Sequence[Any]],
    *,
    now: datetime,
    lease: timedelta,
) -> list[str]:
    """The function's rows (request index, epoch, ticket JSON) as one answer per request."""
    taken: list[tuple[int, str] | None] = [None] * len(requests)
    for index, epoch, state in rows:
        taken[index - 1] = (int(epoch), str(state))
    expires = json.dumps((now + lease).isoformat())
    return [
        NO_CLAIM
        if claimed is None
        else (
            f'{{"claim": {{"ticket": {claimed[1]}, '
            f'"owner_agent_id": {json.dumps(request.agent_id)}, '
            f'"epoch": {claimed[0]}, "lease_expires_at": {expires}}}}}'
        )
        for request, claimed in zip(requests, taken, strict=True)
    ]


def _claim_next_in_python(
    connection: Connection, request: ClaimRequest, *, now: datetime, lease: timedelta
) -> Claim | None:
    agent_id = request.agent_id
    params = {
        "departments": list(request.departments),
        "now": now,
        **eligibility_parameters(request.eligibility),
    }
    for _ in range(MAX_ATTEMPTS):
        # A lapsed claim goes first (its ticket has waited longest), then the queue's head.
        ticket_id = connection.execute(_LAPSED, params).scalar_one_or_none()
        if ticket_id is None:
            ticket_id = connection.execute(_QUEUE_HEAD, params).scalar_one_or_none()
            if ticket_id is None:
                return None
            connection.execute(_DEQUEUE, {"ticket_id": ticket_id})
        epoch = take(connection, ticket_id, agent_id, now=now, lease=lease)
        if epoch is not None:
            ticket = _set_assignee(connection, ticket_id, agent_id, now=now)
            return _logged(connection, ticket, agent_id, epoch, now + lease, now=now)
    return None


def renew(
    connection: Connection,
    ticket_id: str,
    agent_id: str,
    epoch: int,
    *,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
) -> datetime:
    """Extend a live claim held at `epoch`; raises ClaimLost otherwise."""
    expires = now + lease
    renewed = connection.execute(
        update(t.ticket_claims)
        .where(_held(ticket_id, agent_id, epoch, now))
        .values(lease_expires_at=expires)
        .returning(t.ticket_claims.c.epoch)
    ).first()
    if renewed is None:
        _raise_lost(connection, ticket_id)
    return expires


def release(
    connection: Connection, ticket_id: str, agent_id: str, epoch: int, *, now: datetime
) -> None:
    """Give a live claim up: the ticket goes back to the queue; the epoch stays for fencing."""
    released = connection.execute(
        update(t.ticket_claims)
        .where(_held(ticket_id, agent_id, epoch, now))
        .values(owner_agent_id=None, lease_expires_at=None)
        .returning(t.ticket_claims.c.epoch)
    ).first()
    if released is None:
        _raise_lost(connection, ticket_id)
    ticket = _set_assignee(connection, ticket_id, None, now=now)
    if ticket.status in CLAIMABLE:
        connection.execute(
            dialect_insert(connection, t.routing_queue)
            .values(**queue_values(connection, ticket))
            .on_conflict_do_nothing()
        )
    changelog.append(
        connection,
        [ChangeRecord("ticket_state", ticket_id, {**ticket_json(ticket), "claim": None})],
        now=now,
    )


def assign(
    connection: Connection,
    ticket_id: str,
    agent_id: str,
    *,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
) -> Claim:
    """A lead hands the ticket to `agent_id`; whoever held it is fenced out (epoch + 1)."""
    if (
        connection.execute(select(t.tickets.c.id).where(t.tickets.c.id == ticket_id)).first()
        is None
    ):
        raise NotFound(f"no ticket {ticket_id}")
    connection.execute(delete(t.routing_queue).where(t.routing_queue.c.ticket_id == ticket_id))
    epoch = take(connection, ticket_id, agent_id, now=now, lease=lease, force=True)
    assert epoch is not None  # forced takes always write
    ticket = _set_assignee(connection, ticket_id, agent_id, now=now)
    return _logged(connection, ticket, agent_id, epoch, now + lease, now=now)


def _held(ticket_id: str, agent_id: str, epoch: int, now: datetime) -> Any:
    claims = t.ticket_claims.c
    return and_(
        claims.ticket_id == ticket_id,
        claims.owner_agent_id == agent_id,
        claims.epoch == epoch,
        claims.lease_expires_at > now,
    )


def _raise_lost(connection: Connection, ticket_id: str) -> None:
    if (
        connection.execute(select(t.tickets.c.id).where(t.tickets.c.id == ticket_id)).first()
        is None
    ):
        raise NotFound(f"no ticket {ticket_id}")
    raise ClaimLost(f"the claim on ticket {ticket_id} at this epoch is no longer held")


def take(
    connection: Connection,
    ticket_id: str,
    agent_id: str,
    *,
    now: datetime,
    lease: timedelta,
    force: bool = False,
    kind: str = ONLINE,
) -> int | None:
    """Upsert the claim row with epoch + 1; unless forced, only if it is free. Returns the epoch."""
    statement = _upsert_claim(connection.dialect.name, force)
    values = {"ticket_id": ticket_id, "owner_agent_id": agent_id, "expires": now + lease}
    epoch = connection.execute(statement, {**values, "now": now, "kind": kind}).scalar_one_or_none()
    return None if epoch is None else int(epoch)


@functools.cache
def _upsert_claim(dialect: str, force: bool) -> Any:
    # Built once per dialect: assembling an upsert costs more Python time than running it.
    claims = t.ticket_claims
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_(claims).values(
        ticket_id=bindparam("ticket_id"),
        owner_agent_id=bindparam("owner_agent_id"),
        epoch=1,
        lease_expires_at=bindparam("expires", type_=claims.c.lease_expires_at.type),
        kind=bindparam("kind"),
    )
    now = bindparam("now", type_=claims.c.lease_expires_at.type)
    free = or_(claims.c.owner_agent_id.is_(None), claims.c.lease_expires_at <= now)
    return statement.on_conflict_do_update(
        index_elements=[claims.c.ticket_id],
        set_={
            "owner_agent_id": statement.excluded.owner_agent_id,
            "epoch": claims.c.epoch + 1,
            "lease_expires_at": statement.excluded.lease_expires_at,
            "kind": statement.excluded.kind,
        },
        where=None if force else free,
    ).returning(claims.c.epoch)


def _set_assignee(
    connection: Connection, ticket_id: str, agent_id: str | None, *, now: datetime
) -> Ticket:
    row = connection.execute(
        _SET_ASSIGNEE, {"ticket_id": ticket_id, "assignee_id": agent_id, "now": now}
    ).one()
    return ticket_from_row(row)


def _logged(
    connection: Connection,
    ticket: Ticket,
    agent_id: str,
    epoch: int,
    expires: datetime,
    *,
    now: datetime,
) -> Claim:
    claim = Claim(ticket, agent_id, epoch, expires)
    changelog.append(
        connection,
        [
            ChangeRecord(
                "ticket_state",
                ticket.id,
                {**ticket_json(ticket), "claim": {"owner_agent_id": agent_id, "epoch": epoch}},
            )
        ],
        now=now,
    )
    return claim
