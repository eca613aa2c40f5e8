"""The routing contract: every backend pulls and pushes exactly as the domain's rules say.

The fixture (see test_contract): #1 urgent refund and #6 normal orders are VIP Ada's; #2 high
orders, #4 high complaint, #3 normal accounts, #5 low, needing no skill. All are `standard`.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from agentdesk.domain import routing
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import (
    Agent,
    AgentTier,
    Complexity,
    Customer,
    CustomerTier,
    Department,
    Priority,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.route_explain import RouteMode, explain
from agentdesk.domain.routing import DEFAULT_POLICY, CannotPull, TicketFacts
from agentdesk.store.base import Store
from agentdesk.store.errors import NotFound
from tests.fixtures import AGENTS, NOW

JUNIOR, SENIOR, LEAD = AGENTS
BILLING_ONLY = Agent("ag-billing", "billing", "B", skills={"refunds": 3}, departments=("billing",))
NO_SKILLS = Agent("ag-none", "none", "N")


async def all_tickets(store: Store) -> list[Ticket]:
    return [ticket async for batch in store.iter_tickets() for ticket in batch]


async def facts(
    store: Store, tickets: list[Ticket], customers: dict[str, Customer | None]
) -> list[TicketFacts]:
    """The tickets' routing facts; `customers` caches the customers read so far."""
    found = []
    for ticket in tickets:
        if ticket.customer_id not in customers:
            try:
                customers[ticket.customer_id] = await store.customer(ticket.customer_id)
            except NotFound:
                customers[ticket.customer_id] = None
        found.append(TicketFacts.of(ticket, customers[ticket.customer_id]))
    return found


def load(tickets: list[Ticket], agent: Agent) -> int:
    return sum(
        1
        for ticket in tickets
        if ticket.assignee_id == agent.id and ticket.status in routing.LOAD_STATUSES
    )


async def op_count(store: Store) -> int:
    return len(await store.operations(limit=100_000))


async def pull_all(store: Store, agent: Agent) -> tuple[list[int], bool]:
    """Pull until nothing is left or the agent is full, checking every pull against the
    domain's own choice over all tickets, and the explanation recorded with it."""
    claimed: list[int] = []
    customers: dict[str, Customer | None] = {}
    while True:
        tickets = await all_tickets(store)
        seats = load(tickets, agent)
        queue = await facts(store, tickets, customers)
        try:
            reference = routing.pick(queue, agent, seats, NOW, DEFAULT_POLICY)
        except CannotPull:
            before = await op_count(store)
            with pytest.raises(CannotPull, match="at capacity"):
                await store.claim_next(agent, NOW)
            assert await op_count(store) == before
            return claimed, True
        ticket = await store.claim_next(agent, NOW)
        if ticket is None:
            assert reference is None
            return claimed, False
        assert reference is not None and ticket.id == reference.facts.id
        assert ticket.assignee_id == agent.id and ticket.status is TicketStatus.OPEN
        assert await store.ticket(ticket.id) == ticket
        expected = explain(
            reference.facts, agent, load=seats, now=NOW, policy=DEFAULT_POLICY, mode=RouteMode.PULL
        )
        assert await store.route_explanation(ticket.id) == expected
        claimed.append(ticket.number)


@pytest.mark.parametrize(
    ("agent", "expected", "full"),
    [
        (JUNIOR, [2, 5, 3], False),  # no VIP (#1, #6), no complaints (#4)
        (SENIOR, [1, 4, 2, 6, 5], True),  # capacity 5
        (LEAD, [1, 4, 2, 6, 5], True),
        (BILLING_ONLY, [5], False),  # #1 is billing and refunds, but VIP
        (NO_SKILLS, [5], False),  # only tickets that need no skill
    ],
    ids=["junior", "senior", "lead", "billing-only", "no-skills"],
)
async def test_pull_next_claims_what_the_domain_ranks_first(
    store: Store, agent: Agent, expected: list[int], full: bool
) -> None:
    assert await pull_all(store, agent) == (expected, full)
    before = await op_count(store)
    if not full:
        assert await store.claim_next(agent, NOW) is None
    assert await op_count(store) == before


async def test_only_tickets_waiting_on_the_agent_hold_a_seat(store: Store) -> None:
    pair = replace(SENIOR, id="ag-pair", handle="pair", capacity=2)
    await store.add_agents([pair])
    first = await store.claim_next(pair, NOW)
    assert first is not None and await store.claim_next(pair, NOW) is not None
    assert await store.active_load(pair.id) == 2
    with pytest.raises(CannotPull, match="at capacity: 2 of 2"):
        await store.claim_next(pair, NOW)
    await store.reply(first.id, "Order number?", author_id=pair.id, now=NOW, wait_on_customer=True)
    assert await store.active_load(pair.id) == 1
    assert await store.claim_next(pair, NOW) is not None


async def test_an_unavailable_agent_cannot_pull(store: Store) -> None:
    with pytest.raises(CannotPull, match="marked unavailable"):
        await store.claim_next(replace(SENIOR, available=False), NOW)
    assert await store.active_load(SENIOR.id) == 0


async def test_complex_work_and_vip_customers_need_seniority(store: Store) -> None:
    skilled_junior = replace(JUNIOR, skills={"orders": 5}, departments=("general",))
    await store.add_customers([Customer("cu-vip", "Vera Important", tier=CustomerTier.VIP)])
    hard, vip = await store.add_tickets(
        [
            NewTicket(
                "Hard",
                "h",
                "cu-bob",
                "general",
                Priority.URGENT,
                required_skill="orders",
                complexity=Complexity.COMPLEX,
            ),
            NewTicket(
                "Vip",
                "v",
                "cu-vip",
                "general",
                Priority.URGENT,
                required_skill="orders",
                complexity=Complexity.SIMPLE,
            ),
        ],
        now=NOW,
    )
    assert await store.claim_next(skilled_junior, NOW) is None
    junior_view = await store.explain_route(hard.id, skilled_junior, NOW)
    assert not junior_view.eligible
    assert junior_view.refusals() == ["seniority: complex work needs senior+: junior"]
    senior = replace(skilled_junior, id="ag-s", handle="s", tier=AgentTier.SENIOR)
    pulled = {(await store.claim_next(senior, NOW)).number for _ in range(2)}  # type: ignore[union-attr]
    assert pulled == {hard.number, vip.number}


async def test_language_must_match_only_when_known(store: Store) -> None:
    await store.add_customers(
        [Customer("cu-fr", "Camille Martin", language="fr"), Customer("cu-any", "X", language="")]
    )
    french, unknown = await store.add_tickets(
        [
            NewTicket("Bonjour", "b", "cu-fr", "general", Priority.URGENT),
            NewTicket("Hello", "h", "cu-any", "general", Priority.URGENT),
        ],
        now=NOW,
    )
    english = Agent("ag-en", "en", "En", departments=("general",), languages=("en",))
    assert (await store.claim_next(english, NOW)).id == unknown.id  # type: ignore[union-attr]
    assert await store.claim_next(english, NOW) is None
    anyone = Agent("ag-all", "all", "All", departments=("general",), languages=())
    assert (await store.claim_next(anyone, NOW)).id == french.id  # type: ignore[union-attr]


async def test_explain_route_previews_without_writing(store: Store) -> None:
    complaint = await store.ticket_by_number(4)
    before = await op_count(store)
    view = await store.explain_route(complaint.id, JUNIOR, NOW)
    assert view.mode is RouteMode.PREVIEW and view.agent_id == JUNIOR.id
    assert view.refusals() == ["skill: complaints: you lack it, needs 2 (standard)"]
    assert [part.name for part in view.parts] == ["sla_risk", "priority", "waiting", "skill_fit"]
    assert await op_count(store) == before
    assert await store.route_explanation(complaint.id) is None


async def test_a_manual_assignment_has_no_route_explanation(store: Store) -> None:
    ticket = await store.ticket_by_number(2)
    await store.claim_next(JUNIOR, NOW)
    assert await store.route_explanation(ticket.id) is not None
    await store.assign(ticket.id, SENIOR.id, actor_id=LEAD.id, now=NOW)
    assert await store.route_explanation(ticket.id) is None


# -- push mode -----------------------------------------------------------------------------
FAQ_ONE = Agent("ag-faq-1", "faq1", "F1", skills={"faq": 1}, departments=("faq",))
FAQ_TWO = replace(FAQ_ONE, id="ag-faq-2", handle="faq2", name="F2")
FAQ_SENIOR = Agent(
    "ag-faq-s", "faqs", "FS", tier=AgentTier.SENIOR, skills={"faq": 3}, departments=("faq",)
)


async def faq_desk(store: Store, count: int, **kwargs: object) -> list[Ticket]:
    await store.add_departments([Department("faq", "FAQ")])
    await store.add_agents([FAQ_ONE, FAQ_TWO, FAQ_SENIOR])
    news = [
        NewTicket(f"Question {i}", "?", "cu-bob", "faq", required_skill="faq", **kwargs)  # type: ignore[arg-type]
        for i in range(count)
    ]
    return await store.add_tickets(news, now=NOW)


async def test_push_gives_simple_work_to_juniors_in_turn(store: Store) -> None:
    tickets = await faq_desk(store, 6, complexity=Complexity.SIMPLE)
    assigned = []
    for ticket in tickets:
        pushed = await store.auto_assign(ticket.id, NOW)
        assert pushed is not None and pushed.status is TicketStatus.OPEN
        assigned.append(pushed.assignee_id)
    assert assigned == [FAQ_ONE.id, FAQ_TWO.id] * 3
    events = await store.audit_events(tickets[0].id)
    assert events[-1].kind == "ticket.assigned" and events[-1].actor_id is None
    explanation = await store.route_explanation(tickets[0].id)
    assert explanation is not None and explanation.mode is RouteMode.PUSH
    assert explanation.agent_id == FAQ_ONE.id and explanation.eligible


@pytest.mark.several_agents_one_desk
async def test_push_gives_complex_work_to_seniors_and_respects_capacity(store: Store) -> None:
    tickets = await faq_desk(store, 6, complexity=Complexity.COMPLEX)
    pushed = [await store.auto_assign(ticket.id, NOW) for ticket in tickets]
    # The senior takes five (their capacity); nobody else may take complex work.
    assert [t.assignee_id if t else None for t in pushed] == [FAQ_SENIOR.id] * 5 + [None]
    left = await store.ticket(tickets[-1].id)
    assert left.assignee_id is None and left.version == 1


async def test_push_leaves_assigned_tickets_alone(store: Store) -> None:
    (ticket,) = await faq_desk(store, 1, complexity=Complexity.SIMPLE)
    await store.assign(ticket.id, LEAD.id, actor_id=LEAD.id, now=NOW)
    before = await op_count(store)
    assert await store.auto_assign(ticket.id, NOW) is None
    assert await op_count(store) == before
    with pytest.raises(NotFound):
        await store.auto_assign("no-such-ticket", NOW)


# -- agreement on a larger, varied queue ---------------------------------------------------
async def test_pulls_agree_with_the_domain_on_a_varied_queue(store: Store) -> None:
    """Many buckets, deadlines moved by answers and transfers: still the domain's choice."""
    rng = random.Random(11)
    customers = [
        Customer(
            f"cu-{i}",
            f"C {i}",
            tier=rng.choice([CustomerTier.STANDARD] * 5 + [CustomerTier.VIP]),
            language=rng.choice(["en", "en", "en", "fr", ""]),
        )
        for i in range(30)
    ]
    await store.add_customers(customers)
    news = [
        NewTicket(
            f"T {i}",
            "b",
            rng.choice(customers).id,
            rng.choice(["general", "billing", "logistics"]),
            rng.choice(list(Priority)),
            required_skill=rng.choice([None, "orders", "refunds", "complaints"]),
            complexity=rng.choice(list(Complexity)),
            created_at=NOW - timedelta(minutes=rng.randrange(1, 3000)),
        )
        for i in range(240)
    ]
    created = await store.add_tickets(news, now=NOW)
    for ticket in rng.sample(created, 30):
        # Answered and sent back to a queue: its clock is now the resolution deadline.
        await store.reply(ticket.id, "Looking", author_id=LEAD.id, now=NOW - timedelta(minutes=1))
        target = "billing" if ticket.department_id != "billing" else "logistics"
        await store.transfer(ticket.id, target, "x", actor_id=LEAD.id, now=NOW)
    agents = [
        replace(SENIOR, capacity=25, languages=("en", "fr")),
        replace(JUNIOR, skills={"orders": 2, "refunds": 1}, capacity=25),
        replace(LEAD, capacity=25, departments=("billing", "logistics")),
    ]
    for agent in agents:
        claimed, _ = await pull_all(store, agent)
        assert len(claimed) >= 10
