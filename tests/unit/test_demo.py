"""The demo seed: deterministic, every role and state present, shipped data well-formed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from agentdesk.demo import (
    AGENTS,
    DEPARTMENTS,
    demo_mappings,
    load_articles,
    load_requests,
    load_scripts,
    seed_demo,
)
from agentdesk.domain.model import (
    AgentTier,
    Complexity,
    CustomerTier,
    MessageKind,
    Priority,
    Role,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.scripts import placeholder_key, placeholders
from agentdesk.domain.sla import SlaState, ticket_clock
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.store.memory import MemoryStore
from tests.fixtures import NOW


async def seeded(tickets: int = 400, seed: int = 7) -> tuple[MemoryStore, list[Ticket]]:
    store = MemoryStore()
    await seed_demo(store, now=NOW, tickets=tickets, seed=seed)
    return store, [t async for batch in store.iter_tickets() for t in batch]


def summary(ticket: Ticket) -> tuple[object, ...]:
    # The follow-up ticket's id comes from the store, not the seed; everything else is fixed.
    return (
        ticket.number,
        ticket.subject,
        ticket.customer_id,
        ticket.status,
        ticket.priority,
        ticket.channel,
        ticket.assignee_id,
        ticket.created_at,
        ticket.updated_at,
        ticket.id if ticket.follow_up_of is None else "follow-up",
    )


async def test_same_seed_same_demo_and_another_seed_differs() -> None:
    _, first = await seeded(120)
    _, again = await seeded(120)
    _, other = await seeded(120, seed=8)
    assert [summary(t) for t in first] == [summary(t) for t in again]
    assert [summary(t) for t in first] != [summary(t) for t in other]


async def test_roster_has_the_demo_roles() -> None:
    store, _ = await seeded(60)
    agents = {agent.handle: agent for agent in await store.agents()}
    assert (agents["junior"].role, agents["junior"].tier) == (Role.AGENT, AgentTier.JUNIOR)
    assert (agents["senior"].role, agents["senior"].tier) == (Role.AGENT, AgentTier.SENIOR)
    assert (agents["lead"].role, agents["lead"].tier) == (Role.LEAD, AgentTier.EXPERT)
    assert len(agents) == len(AGENTS) >= 8
    assert [d.id for d in await store.departments()] == sorted(d.id for d in DEPARTMENTS)


async def test_states_priorities_and_clocks_are_spread() -> None:
    store, tickets = await seeded()
    assert len(tickets) == 401  # 400 plus one follow-up of a closed ticket
    statuses = Counter(t.status for t in tickets)
    assert set(statuses) == set(TicketStatus)
    assert statuses[TicketStatus.NEW] > len(tickets) / 2  # plenty left to pull
    assert set(Counter(t.priority for t in tickets)) == set(Priority)
    clocks = Counter(clock.state for t in tickets if (clock := ticket_clock(t, NOW)))
    for state in (SlaState.OK, SlaState.WARNING, SlaState.BREACHED):
        assert clocks[state] >= 10, clocks
    assert all(NOW - timedelta(days=2) <= t.created_at <= NOW for t in tickets)
    assert any(t.follow_up_of for t in tickets)
    customers = {t.customer_id for t in tickets}
    tiers = Counter([(await store.customer(c)).tier for c in customers])
    assert 0 < tiers[CustomerTier.VIP] < tiers[CustomerTier.STANDARD]


async def test_complaints_and_payment_issues_run_hotter() -> None:
    _, tickets = await seeded()

    def hot_share(intents: set[str]) -> float:
        chosen = [t for t in tickets if t.intent in intents]
        hot = [t for t in chosen if t.priority in (Priority.URGENT, Priority.HIGH)]
        return len(hot) / len(chosen)

    escalating = {"complaint", "payment_issue"}
    assert hot_share(escalating) > 0.7
    assert hot_share(set(demo_mappings) - escalating) < 0.4


async def test_junior_and_senior_have_work_in_several_states() -> None:
    store, tickets = await seeded()
    for handle in ("junior", "senior"):
        agent = await store.agent_by_handle(handle)
        mine = await store.ticket_rows(TicketQuery(Scope.MINE, agent_id=agent.id), 0, 50)
        assert {row.status for row in mine} >= {
            TicketStatus.OPEN,
            TicketStatus.PENDING,
            TicketStatus.AWAITING_CONFIRMATION,
        }
        closed = [
            t for t in tickets if t.assignee_id == agent.id and t.status is TicketStatus.CLOSED
        ]
        assert closed
        for row in mine:
            assert agent.departments == () or row.department_id in agent.departments


async def test_demo_work_shows_the_routing_rules() -> None:
    """Juniors hold simple and standard work, seniors the complex and VIP cases; so do pulls."""
    store, tickets = await seeded()
    vips = {t.customer_id for t in tickets if (await store.customer(t.customer_id)).tier == "vip"}
    junior = await store.agent_by_handle("junior")
    senior = await store.agent_by_handle("senior")
    juniors = [t for t in tickets if t.assignee_id == junior.id]
    assert juniors and all(t.complexity is not Complexity.COMPLEX for t in juniors)
    assert all(t.customer_id not in vips for t in juniors)
    seniors = [t for t in tickets if t.assignee_id == senior.id]
    assert any(t.complexity is Complexity.COMPLEX for t in seniors)
    pulled = await store.claim_next(junior, NOW)
    assert pulled is not None and pulled.complexity is not Complexity.COMPLEX
    pulled = await store.claim_next(senior, NOW)
    assert pulled is not None
    assert pulled.complexity is Complexity.COMPLEX or pulled.customer_id in vips


async def test_tickets_follow_the_intent_mapping_and_messages_are_in_order() -> None:
    store, tickets = await seeded(80)
    for ticket in tickets:
        mapping = demo_mappings[ticket.intent]
        assert (ticket.required_skill, ticket.complexity) == (mapping.skill, mapping.complexity)
        if ticket.follow_up_of is None and ticket.department_id != mapping.department:
            # Only the lead's transfers move a ticket out of its mapped department.
            events = [e.kind for e in await store.audit_events(ticket.id)]
            assert "ticket.transferred" in events
        messages = await store.messages(ticket.id)
        assert messages[0].kind is MessageKind.CUSTOMER
        times = [m.created_at for m in messages]
        assert times == sorted(times)
        assert all(ticket.created_at <= t <= NOW for t in times)


async def test_numbers_follow_arrival_order() -> None:
    _, tickets = await seeded(60)
    originals = [t for t in tickets if t.follow_up_of is None]
    assert [t.created_at for t in originals] == sorted(t.created_at for t in originals)


async def test_small_demo_still_seeds() -> None:
    store, tickets = await seeded(5)
    assert len(tickets) >= 5
    assert await store.agent_by_handle("junior")


def test_shipped_data_is_well_formed() -> None:
    requests = load_requests()
    assert len(requests) > 3000
    assert {r.intent for r in requests} == set(demo_mappings)
    articles = load_articles(NOW)
    assert len(articles) == 55
    assert all(a.title and a.body.startswith("# ") and a.intent for a in articles)
    scripts = load_scripts()
    assert len({s.id for s in scripts}) == len(scripts) > 100
    assert {s.intent for s in scripts} >= set(demo_mappings)
    for script in scripts:
        slots = {placeholder_key(name) for name in placeholders(script.body)}
        assert {placeholder_key(name) for name in script.required} == slots, script.id
        assert "{{Customer First Name}}" in script.body and "{{Agent Name}}" in script.body
