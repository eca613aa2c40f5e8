"""A ticket keeps every field through each of its three encodings.

The same `Ticket` is written as a client SQLite row (`store.sqlite.convert`), a server row
(`server.tickets`) and JSON on the wire (`server.tickets.ticket_json` read back by
`domain.remote.ticket_from_wire`). A field added to the model but forgotten in one converter
would be silently dropped by sync; this test generates tickets with every field set (and, at
random, every optional one empty) and demands each round trip return the ticket unchanged.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Table, create_engine, insert, select

from agentdesk.domain.model import (
    Channel,
    Complexity,
    LinkKind,
    Priority,
    Ticket,
    TicketLink,
    TicketStatus,
)
from agentdesk.domain.remote import ticket_from_wire
from agentdesk.server import tables as server_tables
from agentdesk.server import tickets as server_tickets
from agentdesk.store.sqlite import convert
from agentdesk.store.sqlite import tables as store_tables

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
ident = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
# Microseconds survive every encoding (SQLite stores micros, JSON ISO 8601); all times are UTC.
moment = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
link = st.builds(TicketLink, st.sampled_from(LinkKind), ident, text)

tickets = st.builds(
    Ticket,
    id=ident,
    number=st.integers(1, 2**31),
    subject=text,
    customer_id=ident,
    department_id=ident,
    status=st.sampled_from(TicketStatus),
    priority=st.sampled_from(Priority),
    channel=st.sampled_from(Channel),
    intent=text,
    created_at=moment,
    updated_at=moment,
    intent_confidence=st.none() | st.floats(0, 1),
    complexity=st.sampled_from(Complexity),
    first_response_due=st.none() | moment,
    resolution_due=st.none() | moment,
    first_response_at=st.none() | moment,
    sla_paused_at=st.none() | moment,
    assignee_id=st.none() | ident,
    required_skill=st.none() | ident,
    resolution=text,
    csat=st.none() | st.integers(1, 5),
    closed_at=st.none() | moment,
    follow_up_of=st.none() | ident,
    links=st.lists(link, max_size=3).map(tuple),
    version=st.integers(1, 2**31),
)


def test_the_strategy_sets_every_field_of_the_model() -> None:
    # A new model field must be added to the strategy above, or it would go untested.
    assert {field.name for field in fields(Ticket)} <= set(tickets.wrapped_strategy.kwargs)  # type: ignore[attr-defined]


def fresh_engine(tables: list[Table]) -> Engine:
    engine = create_engine("sqlite://")
    for table in tables:
        table.create(engine)
    return engine


client_engine = fresh_engine([store_tables.tickets])
server_engine = fresh_engine([server_tables.tickets])


@settings(max_examples=150, deadline=None)
@given(tickets)
def test_json_on_the_wire(ticket: Ticket) -> None:
    wire = json.loads(json.dumps(server_tickets.ticket_json(ticket)))
    assert ticket_from_wire(wire) == ticket


@settings(max_examples=150, deadline=None)
@given(tickets)
def test_client_sqlite_row(ticket: Ticket) -> None:
    with client_engine.begin() as connection:
        connection.execute(store_tables.tickets.delete())
        connection.execute(
            insert(store_tables.tickets).values(convert.ticket_values(ticket, "Some Name"))
        )
        row = connection.execute(select(store_tables.tickets)).one()
    assert convert.ticket_from_row(row._mapping) == ticket


@settings(max_examples=150, deadline=None)
@given(tickets)
def test_server_row(ticket: Ticket) -> None:
    with server_engine.begin() as connection:
        connection.execute(server_tables.tickets.delete())
        connection.execute(
            insert(server_tables.tickets).values(
                {**server_tickets.ticket_values(ticket), "field_clocks": {}}
            )
        )
        row = connection.execute(select(server_tables.tickets)).one()
    assert server_tickets.ticket_from_row(row) == ticket
