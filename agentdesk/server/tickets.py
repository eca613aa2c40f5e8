"""Tickets on the server: rows to domain objects and back, and creating one through the domain."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, text, update

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


_TAKE_NUMBERS = (
    update(t.counters)
    .where(t.counters.c.name == "ticket_number")
    .values(value=t.counters.c.value + bindparam("count"))
    .returning(t.counters.c.value)
)


def next_number(connection: Connection) -> int:
    return take_numbers(connection, 1)


def take_numbers(connection: Connection, count: int) -> int:
    """The first of `count` consecutive ticket numbers.

    The counter's row stays locked until the transaction ends, so no one else takes a number
    meanwhile: the last ones taken can be given back (`give_back_numbers`) and numbers keep
    having no holes.
    """
    last = int(connection.execute(_TAKE_NUMBERS, {"count": count}).scalar_one())
    return last - count + 1


def give_back_numbers(connection: Connection, count: int) -> None:
    """Return the last `count` numbers this transaction took and did not use."""
    connection.execute(_TAKE_NUMBERS, {"count": -count})


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
    change = new_ticket_change(
        connection,
        new,
        customer_name=customer_name,
        now=now,
        follow_up_of=follow_up_of,
        opened_by_customer=opened_by_customer,
    )
    writes = TicketWrites()
    writes.create(change)
    writes.flush(connection, now=now)
    return change.ticket


def new_ticket_change(
    connection: Connection,
    new: actions.NewTicket,
    *,
    customer_name: str | None,
    now: datetime,
    follow_up_of: str | None = None,
    opened_by_customer: bool = False,
    ensured: set[tuple[str, str]] | None = None,
    number: int | None = None,
) -> actions.Change:
    """The new ticket's change (as `create_ticket` makes it), with its department and customer
    made and its number taken.

    `ensured` names the (table, id) pairs this transaction made sure of already: a batch of
    creations for one customer ensures it once. `number` is one taken beforehand, if any.
    """
    ensured = set() if ensured is None else ensured
    if ("departments", new.department_id) not in ensured:
        ensure_department(connection, new.department_id)
        ensured.add(("departments", new.department_id))
    if ("customers", new.customer_id) not in ensured:
        ensure_customer(connection, new.customer_id, customer_name)
        ensured.add(("customers", new.customer_id))
    if number is None:
        number = next_number(connection)
    change = actions.create_ticket(new, number=number, now=now, follow_up_of=follow_up_of)
    if follow_up_of is not None and not opened_by_customer:
        opening = replace(change.messages[0], kind=MessageKind.SYSTEM)
        change = replace(change, messages=(opening, *change.messages[1:]))
    return change


# Ticket writes, each statement built once: assembling a statement per write cost more Python
# time than running it. Bind names differ from column names, as UPDATE ... SET needs.
_UPDATED_COLUMNS = [column.name for column in t.tickets.columns if column.name != "field_clocks"]
_INSERT_TICKETS = insert(t.tickets)
_INSERT_MESSAGES = insert(t.messages)
_INSERT_AUDIT = insert(t.audit_events)
_INSERT_QUEUE = insert(t.routing_queue)
# The queue row's columns that come from the ticket (`queued_ticket_values`).
_REQUEUED_COLUMNS = ("department_id", "priority_rank", "due_at", "work")
_REQUEUE = (
    update(t.routing_queue)
    .where(t.routing_queue.c.ticket_id == bindparam("b_ticket_id"))
    .values({name: bindparam(f"b_{name}") for name in _REQUEUED_COLUMNS})
)
_REQUEUE_FROM_JSON = text(
    "UPDATE routing_queue SET "
    + ", ".join(f'"{name}" = r."{name}"' for name in _REQUEUED_COLUMNS)
    + " FROM json_populate_recordset(NULL::routing_queue, CAST(:rows AS json)) AS r"
    " WHERE routing_queue.ticket_id = r.ticket_id"
)
_DEQUEUE = delete(t.routing_queue).where(
    t.routing_queue.c.ticket_id.in_(bindparam("ticket_ids", expanding=True))
)


def _ticket_update(columns: list[str]) -> Any:
    return (
        update(t.tickets)
        .where(t.tickets.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in columns})
    )


_UPDATE_TICKET = _ticket_update(_UPDATED_COLUMNS)
_UPDATE_TICKET_AND_CLOCKS = _ticket_update([*_UPDATED_COLUMNS, "field_clocks"])


def _tickets_update_from_json(columns: list[str]) -> Any:
    """PostgreSQL: many tickets' rows updated in one statement from a JSON array of them (an
    executemany is one statement a row for the server to run)."""
    assignments = ", ".join(f'"{name}" = r."{name}"' for name in columns if name != "id")
    return text(
        f"UPDATE tickets SET {assignments} "
        "FROM json_populate_recordset(NULL::tickets, CAST(:rows AS json)) AS r "
        "WHERE tickets.id = r.id"
    )


_UPDATE_TICKETS_FROM_JSON = {
    False: _tickets_update_from_json(_UPDATED_COLUMNS),
    True: _tickets_update_from_json([*_UPDATED_COLUMNS, "field_clocks"]),
}


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass
class TicketWrites:
    """Ticket writes gathered from several changes and made by `flush` in a few statements.

    A ticket changed several times is written once, as its last change left it (created ones
    are inserted so); its messages, audit events and change records are kept in order.
    """

    created: dict[str, Ticket] = field(default_factory=dict)
    changed: dict[str, Ticket] = field(default_factory=dict)
    clocks: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    # New tickets to queue (their rows need the customer's tier and language: read at flush).
    queued: dict[str, Ticket] = field(default_factory=dict)
    dequeued: set[str] = field(default_factory=set)
    # Changed tickets still open: a queued one is routed by what it is now (reclassified,
    # re-prioritised); for one not in the queue the update touches nothing.
    requeued: dict[str, Ticket] = field(default_factory=dict)
    records: list[ChangeRecord] = field(default_factory=list)
    # For each record, the position of its change's last record: pages end between changes.
    unit_ends: list[int] = field(default_factory=list)

    def create(self, change: actions.Change) -> None:
        """A new ticket: inserted, queued for an owner, logged with its messages."""
        ticket = change.ticket
        self.created[ticket.id] = ticket
        self.queued[ticket.id] = ticket
        self._add(change, ticket_json(ticket))

    def change(
        self,
        change: actions.Change,
        *,
        claim: Mapping[str, Any] | None = None,
        field_clocks: Mapping[str, list[str]] | None = None,
    ) -> None:
        """A changed ticket. `claim` goes into the logged state (clients learn the owner's
        epoch); `field_clocks`, when given, replaces the ticket's LWW clocks."""
        ticket = change.ticket
        if ticket.id in self.created:
            self.created[ticket.id] = ticket
        else:
            self.changed[ticket.id] = ticket
        if field_clocks is not None:
            self.clocks[ticket.id] = dict(field_clocks)
        if ticket.status is TicketStatus.CLOSED:
            self.queued.pop(ticket.id, None)
            self.requeued.pop(ticket.id, None)
            self.dequeued.add(ticket.id)
        elif ticket.id in self.queued:
            self.queued[ticket.id] = ticket
        else:
            self.requeued[ticket.id] = ticket
        state = ticket_json(ticket)
        if claim is not None:
            state["claim"] = dict(claim)
        self._add(change, state)

    def _add(self, change: actions.Change, state: dict[str, Any]) -> None:
        ticket_id = change.ticket.id
        self.messages += [
            {
                "id": message.id,
                "ticket_id": message.ticket_id,
                "kind": message.kind.value,
                "body": message.body,
                "created_at": message.created_at,
                "author_id": message.author_id,
            }
            for message in change.messages
        ]
        self.audit += [
            {
                "id": event.id,
                "ticket_id": event.ticket_id,
                "actor_id": event.actor_id,
                "kind": event.kind,
                "detail": plain(event.detail),
                "at": event.at,
            }
            for event in change.audit
        ]
        self.records.append(ChangeRecord("ticket_state", ticket_id, state))
        self.records += [
            ChangeRecord("event", ticket_id, {"message": plain(message)})
            for message in change.messages
        ]
        self.unit_ends += [len(self.records)] * (len(self.records) - len(self.unit_ends))

    def flush(self, connection: Connection, *, now: datetime) -> list[int]:
        """Write everything gathered and log its records last; returns their seqs."""
        if self.created:
            rows = []
            for ticket in self.created.values():
                row = ticket_values(ticket)
                row["field_clocks"] = self.clocks.get(ticket.id, {})
                rows.append(row)
            connection.execute(_INSERT_TICKETS, rows)
        for with_clocks in (False, True):
            rows = [
                self._update_values(ticket)
                for ticket in self.changed.values()
                if (ticket.id in self.clocks) is with_clocks
            ]
            if len(rows) > 1 and connection.dialect.name == "postgresql":
                text_rows = json.dumps(rows, default=_json_value)
                connection.execute(_UPDATE_TICKETS_FROM_JSON[with_clocks], {"rows": text_rows})
            elif rows:
                statement = _UPDATE_TICKET_AND_CLOCKS if with_clocks else _UPDATE_TICKET
                connection.execute(
                    statement, [{f"b_{name}": value for name, value in row.items()} for row in rows]
                )
        if self.messages:
            connection.execute(_INSERT_MESSAGES, self.messages)
        if self.audit:
            connection.execute(_INSERT_AUDIT, self.audit)
        if self.queued:
            connection.execute(_INSERT_QUEUE, queue_rows(connection, self.queued.values()))
        if self.requeued:
            rows = [
                {"ticket_id": ticket.id, **queued_ticket_values(ticket)}
                for ticket in self.requeued.values()
            ]
            if len(rows) > 1 and connection.dialect.name == "postgresql":
                connection.execute(
                    _REQUEUE_FROM_JSON, {"rows": json.dumps(rows, default=_json_value)}
                )
            else:
                connection.execute(
                    _REQUEUE, [{f"b_{k}": v for k, v in row.items()} for row in rows]
                )
        if self.dequeued:
            connection.execute(_DEQUEUE, {"ticket_ids": sorted(self.dequeued)})
        return changelog.append(connection, self.records, now=now, unit_ends=self.unit_ends)

    def _update_values(self, ticket: Ticket) -> dict[str, Any]:
        values = ticket_values(ticket)
        if ticket.id in self.clocks:
            values["field_clocks"] = self.clocks[ticket.id]
        return values


def queue_rows(connection: Connection, tickets: Iterable[Ticket]) -> list[dict[str, Any]]:
    """Routing-queue rows for new tickets, their customers' tier and language read at once."""
    queued = list(tickets)
    customers = {ticket.customer_id for ticket in queued}
    found = {
        row.id: row
        for row in connection.execute(
            select(t.customers.c.id, t.customers.c.tier, t.customers.c.language).where(
                t.customers.c.id.in_(sorted(customers))
            )
        )
    }
    rows = []
    for ticket in queued:
        customer = found.get(ticket.customer_id)
        vip = customer is not None and customer.tier == CustomerTier.VIP.value
        rows.append(queue_row(ticket, vip=vip, language=customer.language if customer else ""))
    return rows


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
    (row,) = queue_rows(connection, [ticket])
    return row


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
    state: dict[str, Any] = plain(ticket)
    return state


def plain(value: Any) -> Any:
    """JSON-ready: enums to their values, datetimes to ISO 8601, tuples to lists, dataclasses
    to dicts (as `dataclasses.asdict` makes them, without its deep copy)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    names = _field_names(type(value))
    if names:
        return {name: plain(getattr(value, name)) for name in names}
    return value


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    """A dataclass's field names (none for any other type)."""
    return tuple(item.name for item in fields(kind)) if is_dataclass(kind) else ()


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
