"""SLA through the store, on every backend: tier-based due times, pause and resume."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.calendar import business_time_between, office_hours
from agentdesk.domain.model import CustomerTier, Priority, SlaPolicy, TicketStatus
from agentdesk.domain.sla import DEFAULT_POLICIES, SlaPolicies, SlaState, row_clock
from agentdesk.store.base import Scope, Store, TicketQuery
from tests.fixtures import AGENTS, NOW

JUNIOR = AGENTS[0]
MINUTE = timedelta(minutes=1)
VIP_URGENT = SlaPolicy(Priority.URGENT, 10, 100)
TIERED = SlaPolicies(tiers={CustomerTier.VIP: {Priority.URGENT: VIP_URGENT}})
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = SlaPolicies(calendar=office_hours("Europe/Berlin", time(9), time(17)))


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


def urgent(customer_id: str, created_at: datetime = NOW) -> NewTicket:
    return NewTicket(
        "Down", "Everything is down", customer_id, "billing", Priority.URGENT, created_at=created_at
    )


async def test_new_tickets_get_their_customers_tier_targets(store: Store) -> None:
    store.policies = TIERED
    vip, standard = await store.add_tickets([urgent("cu-ada"), urgent("cu-bob")], now=NOW)
    assert (vip.first_response_due, vip.resolution_due) == (NOW + 10 * MINUTE, NOW + 100 * MINUTE)
    default = DEFAULT_POLICIES[Priority.URGENT]
    assert standard.first_response_due == NOW + default.first_response_minutes * MINUTE
    assert await store.ticket(vip.id) == vip


async def test_due_times_follow_the_calendar(store: Store) -> None:
    store.policies = OFFICE
    friday = berlin(2026, 11, 20, 16, 50)
    (ticket,) = await store.add_tickets([urgent("cu-bob", friday)], now=friday)
    assert ticket.first_response_due == berlin(2026, 11, 23, 9, 20)
    assert (await store.ticket(ticket.id)).first_response_due == ticket.first_response_due


async def test_waiting_on_the_customer_pauses_and_their_reply_resumes(store: Store) -> None:
    ticket = await store.ticket_by_number(2)
    asked_at = NOW + 5 * MINUTE
    asked = await store.reply(
        ticket.id, "Your order number?", author_id=JUNIOR.id, now=asked_at, wait_on_customer=True
    )
    assert asked.status is TicketStatus.PENDING and asked.sla_paused_at == asked_at
    assert (await store.ticket(ticket.id)).sla_paused_at == asked_at
    rows = await store.ticket_rows(TicketQuery(scope=Scope.MINE, agent_id=JUNIOR.id), 0, 10)
    assert [(row.number, row.sla_paused_at) for row in rows] == [(2, asked_at)]
    clock = row_clock(rows[0], asked_at + timedelta(days=2), store.policies)
    assert clock is not None and clock.state is SlaState.PAUSED

    answered_at = asked_at + timedelta(hours=30)
    answered = await store.customer_reply(ticket.id, "It is 1234", now=answered_at)
    assert answered.status is TicketStatus.OPEN and answered.sla_paused_at is None
    assert answered.resolution_due == ticket.resolution_due + timedelta(hours=30)  # type: ignore[operator]
    assert await store.ticket(ticket.id) == answered


async def test_resuming_uses_the_stores_calendar(store: Store) -> None:
    store.policies = OFFICE
    created = berlin(2026, 11, 20, 10)  # Friday, high: 60 min / 8 h
    new = NewTicket("Help", "Please", "cu-bob", "billing", Priority.HIGH, created_at=created)
    (ticket,) = await store.add_tickets([new], now=created)
    paused_at = berlin(2026, 11, 20, 11)
    await store.reply(
        ticket.id, "Which order?", author_id=JUNIOR.id, now=paused_at, wait_on_customer=True
    )
    back_at = berlin(2026, 11, 23, 9)  # the weekend costs nothing; Monday starts fresh
    moved = await store.transfer(ticket.id, "logistics", "theirs", actor_id=JUNIOR.id, now=back_at)
    assert moved.status is TicketStatus.OPEN and moved.sla_paused_at is None
    assert ticket.resolution_due is not None and moved.resolution_due is not None
    calendar = OFFICE.calendar
    left_at_pause = business_time_between(calendar, paused_at, ticket.resolution_due)
    assert business_time_between(calendar, back_at, moved.resolution_due) == left_at_pause
    assert moved.resolution_due == berlin(2026, 11, 23, 16)


async def test_confirmation_pauses_and_closing_resumes(store: Store) -> None:
    ticket = await store.ticket_by_number(3)  # normal: 4 h / 24 h
    await store.assign(ticket.id, JUNIOR.id, actor_id=JUNIOR.id, now=NOW)
    asked_at = NOW + MINUTE
    asked = await store.request_confirmation(
        ticket.id, "Reset the password", "Can you log in now?", actor_id=JUNIOR.id, now=asked_at
    )
    assert asked.sla_paused_at == asked_at
    closed_at = asked_at + timedelta(days=5)
    closed = await store.close_confirmed(
        ticket.id, "Reset the password", "on the phone", actor_id=JUNIOR.id, now=closed_at
    )
    assert closed.status is TicketStatus.CLOSED and closed.sla_paused_at is None
    assert closed.resolution_due == ticket.resolution_due + timedelta(days=5)  # type: ignore[operator]
    assert closed.closed_at is not None and closed.closed_at <= closed.resolution_due


async def test_a_follow_up_gets_the_customers_tier_targets(store: Store) -> None:
    store.policies = TIERED
    ticket = await store.ticket_by_number(1)  # Ada (VIP), urgent
    await store.assign(ticket.id, JUNIOR.id, actor_id=JUNIOR.id, now=NOW)
    await store.close_confirmed(
        ticket.id, "Refunded", "on the phone", actor_id=JUNIOR.id, now=NOW + MINUTE
    )
    later = NOW + timedelta(days=1)
    follow = await store.customer_reply(ticket.id, "The refund never came", now=later)
    assert follow.id != ticket.id
    assert follow.first_response_due == later + 10 * MINUTE
