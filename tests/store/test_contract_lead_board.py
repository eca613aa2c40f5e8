"""The lead board contract: every backend counts a queue's SLA clocks as `lead_board` does.

The fixture desk at NOW (09:00, default targets, open around the clock):
  billing:   #1 urgent, first response due 09:10 (10 min left of 30: fine), #5 low, due 03:00
             today: breached.
  logistics: #2 high, due 09:10 (10 of 60 min left: at risk), #4 high due 07:00 and #6 normal
             due 08:00: breached.
  technical: #3 normal, due 11:00: fine.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from agentdesk.domain.lead_board import QueueClocks, queue_clocks, risk_horizons
from agentdesk.domain.model import CustomerTier, Priority
from agentdesk.domain.sla import DEFAULT_SLA
from agentdesk.store.base import Scope, Store, TicketQuery
from agentdesk.store.errors import NotFound
from tests.fixtures import NOW


async def reference(store: Store, now: datetime = NOW) -> dict[str, QueueClocks]:
    pairs = []
    async for batch in store.iter_tickets():
        for ticket in batch:
            try:
                tier = (await store.customer(ticket.customer_id)).tier
            except NotFound:
                tier = CustomerTier.STANDARD
            pairs.append((ticket, tier))
    return queue_clocks(pairs, now, risk_horizons(DEFAULT_SLA, now))


async def test_the_fixture_queues_at_nine(store: Store) -> None:
    board = await store.queue_clocks(now=NOW, horizons=risk_horizons(DEFAULT_SLA, NOW))
    assert board == {
        "billing": QueueClocks("billing", 2, 0, 1),
        "logistics": QueueClocks("logistics", 3, 1, 2),
        "technical": QueueClocks("technical", 1, 0, 0),
    }
    assert board == await reference(store)


async def test_a_clock_paused_before_its_due_time_is_not_breached(store: Store) -> None:
    four = await store.ticket_by_number(4)  # answered now: its resolution clock (14:00) pauses
    await store.reply(four.id, "Sorry", author_id="ag-lead", now=NOW, wait_on_customer=True)
    six = await store.ticket_by_number(6)  # breached at 08:00, then paused: stays breached
    await store.assign(six.id, "ag-senior", actor_id="ag-lead", now=NOW)
    later = NOW + timedelta(minutes=5)
    board = await store.queue_clocks(now=later, horizons=risk_horizons(DEFAULT_SLA, later))
    assert board["logistics"] == QueueClocks("logistics", 3, 1, 1)
    assert board == await reference(store, later)


async def test_closed_tickets_leave_the_board(store: Store) -> None:
    one = await store.ticket_by_number(1)
    await store.reply(one.id, "Done", author_id="ag-senior", now=NOW)
    await store.request_confirmation(one.id, "Refunded", "ok?", actor_id="ag-senior", now=NOW)
    await store.customer_reply(one.id, "yes", now=NOW, confirms_resolution=True)
    board = await store.queue_clocks(now=NOW, horizons=risk_horizons(DEFAULT_SLA, NOW))
    assert board["billing"] == QueueClocks("billing", 1, 0, 1)


async def test_an_empty_store_has_no_queues(empty_store: Store) -> None:
    assert await empty_store.queue_clocks(now=NOW, horizons=risk_horizons(DEFAULT_SLA, NOW)) == {}


async def test_set_priority_reorders_the_queue_and_logs_a_field_op(store: Store) -> None:
    five = await store.ticket_by_number(5)  # low: last in the queue
    updated = await store.set_priority(five.id, Priority.URGENT, actor_id="ag-lead", now=NOW)
    assert (updated.priority, updated.version) == (Priority.URGENT, five.version + 1)
    assert (updated.first_response_due, updated.resolution_due) == (
        five.first_response_due,
        five.resolution_due,
    )
    rows = await store.ticket_rows(TicketQuery(scope=Scope.ALL), 0, 10)
    assert [row.number for row in rows[:2]] == [5, 1]  # both urgent; #5 was due at 03:00
    (op,) = [op for op in await store.operations() if op.kind == "ticket.priority"]
    assert op.payload == {"ticket_id": five.id, "priority": "urgent", "base_version": 1}
    events = [event.kind for event in await store.audit_events(five.id)]
    assert events[-1] == "ticket.priority_changed"


@pytest.mark.several_agents_one_desk
async def test_current_tickets_are_the_first_of_each_agents_mine_queue(store: Store) -> None:
    four, two = await store.ticket_by_number(4), await store.ticket_by_number(2)
    six = await store.ticket_by_number(6)
    for ticket in (four, two, six):
        await store.assign(ticket.id, "ag-junior", actor_id="ag-lead", now=NOW)
    await store.assign(
        (await store.ticket_by_number(3)).id, "ag-senior", actor_id="ag-lead", now=NOW
    )
    one = await store.ticket_by_number(1)
    await store.assign(one.id, "ag-lead", actor_id="ag-lead", now=NOW)
    await store.reply(one.id, "Done", author_id="ag-lead", now=NOW)
    await store.request_confirmation(one.id, "Refunded", "ok?", actor_id="ag-lead", now=NOW)
    await store.customer_reply(one.id, "yes", now=NOW, confirms_resolution=True)  # closed
    agents = ["ag-junior", "ag-senior", "ag-lead", "ag-nobody"]
    current = await store.current_tickets(agents)
    mine = {}
    for agent_id in agents:
        rows = await store.ticket_rows(TicketQuery(scope=Scope.MINE, agent_id=agent_id), 0, 1)
        if rows:
            mine[agent_id] = rows[0].number
    assert current == mine == {"ag-junior": 4, "ag-senior": 3}  # #4 high, due first
    assert await store.current_tickets([]) == {}
