"""The routing dry run: arrivals, waits, breaches and loads on small hand-checked histories."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from agentdesk.domain.model import (
    Agent,
    AgentTier,
    Channel,
    Customer,
    CustomerTier,
    Priority,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.domain.simulation import RoutingRules, SimTicket, simulate
from tests.fixtures import NOW

STANDARD = Customer("cu-std", "Standard Customer")
VIP = Customer("cu-vip", "Very Important", tier=CustomerTier.VIP)


def ticket(number: int, minute: int, *, department: str = "general", due: int = 30) -> Ticket:
    created = NOW + timedelta(minutes=minute)
    return Ticket(
        id=f"t{number}",
        number=number,
        subject=f"ticket {number}",
        customer_id=STANDARD.id,
        department_id=department,
        status=TicketStatus.NEW,
        priority=Priority.NORMAL,
        channel=Channel.EMAIL,
        intent="",
        created_at=created,
        updated_at=created,
        first_response_due=created + timedelta(minutes=due),
        resolution_due=created + timedelta(minutes=4 * due),
    )


def item(
    number: int, minute: int, handle: int = 10, *, customer: Customer = STANDARD, **kw: object
) -> SimTicket:
    return SimTicket(ticket(number, minute, **kw), customer, timedelta(minutes=handle))  # type: ignore[arg-type]


def agent(handle: str, *, capacity: int = 1, tier: AgentTier = AgentTier.JUNIOR) -> Agent:
    return Agent(f"ag-{handle}", handle, handle.title(), tier=tier, capacity=capacity)


def anyone(ticket: Ticket, customer: Customer, agent: Agent, load: int) -> bool:
    return True


def oldest_first(ticket: Ticket, customer: Customer, agent: Agent, now: datetime) -> float:
    return (now - ticket.created_at).total_seconds()


class Rules:
    """Rules from two functions; push gives the ticket to the least loaded candidate."""

    def __init__(self, eligible: object = anyone, score: object = oldest_first) -> None:
        self.eligible, self.score = eligible, score

    def kind(self, ticket: Ticket, customer: Customer) -> str:
        return ticket.id  # every ticket its own kind: eligibility may depend on anything

    def choose(
        self, ticket: Ticket, customer: Customer, candidates: list[tuple[Agent, int]]
    ) -> Agent:
        return min(candidates, key=lambda pair: pair[1])[0]


def test_a_busy_agent_makes_the_next_ticket_wait() -> None:
    result = simulate([item(1, 0), item(2, 1)], [agent("solo")], rules=Rules())
    (queue,) = result.queues
    assert queue.tickets == 2 and queue.max_wait == timedelta(minutes=9)
    assert queue.mean_wait == timedelta(minutes=4.5)
    assert result.first_response_breaches == 0
    assert result.agents[0].handled == 2 and result.agents[0].peak_load == 1


def test_waiting_past_the_first_response_target_is_a_breach() -> None:
    result = simulate(
        [item(1, 0, handle=40), item(2, 1, handle=40)],
        [agent("solo")],
        rules=Rules(),
    )
    assert result.first_response_breaches == 1  # ticket 2 picked at minute 40, due at 31
    assert result.resolution_breaches == 0  # 80 minutes, due at 121


def test_capacity_lets_an_agent_work_tickets_side_by_side() -> None:
    result = simulate([item(1, 0), item(2, 1)], [agent("duo", capacity=2)], rules=Rules())
    assert result.queues[0].max_wait == timedelta(0)
    assert result.agents[0].peak_load == 2


def test_a_freed_agent_pulls_the_best_scored_waiting_ticket() -> None:
    def billing_first(ticket: Ticket, customer: Customer, agent: Agent, now: datetime) -> float:
        return 1.0 if ticket.department_id == "billing" else 0.0

    history = [item(1, 0), item(2, 1), item(3, 2, department="billing")]
    result = simulate(history, [agent("solo")], rules=Rules(score=billing_first))
    waits = {queue.department: queue.max_wait for queue in result.queues}
    assert waits == {"billing": timedelta(minutes=8), "general": timedelta(minutes=19)}


def test_an_ineligible_agent_leaves_the_ticket_to_someone_who_may_take_it() -> None:
    def seniors_for_vips(ticket: Ticket, customer: Customer, agent: Agent, load: int) -> bool:
        return customer.tier is not CustomerTier.VIP or agent.tier is not AgentTier.JUNIOR

    history = [item(1, 0, handle=30), item(2, 1, customer=VIP)]
    team = [agent("junior"), agent("senior", tier=AgentTier.SENIOR)]
    result = simulate(history, team, rules=Rules(seniors_for_vips))
    handled = {load.handle: load.handled for load in result.agents}
    assert handled == {"junior": 1, "senior": 1}
    assert result.queues[0].max_wait == timedelta(0)


def test_a_ticket_nobody_may_take_is_counted_as_never_picked_and_breached() -> None:
    def nobody(ticket: Ticket, customer: Customer, agent: Agent, load: int) -> bool:
        return False

    result = simulate([item(1, 0)], [agent("solo")], rules=Rules(nobody))
    assert result.never_picked == 1 and result.queues[0].never_picked == 1
    assert result.first_response_breaches == 1 and result.resolution_breaches == 1


def test_push_mode_with_the_routing_rules_takes_turns_among_equals() -> None:
    history = [item(n, n, handle=120) for n in range(1, 7)]
    team = [agent("a", capacity=5), agent("b", capacity=5), agent("c", capacity=5)]
    result = simulate(history, team, rules=RoutingRules(RoutingPolicy()), push=True)
    assert [load.handled for load in result.agents] == [2, 2, 2]


def test_the_routing_rules_keep_vip_customers_for_seniors() -> None:
    history = [item(1, 0, customer=VIP), item(2, 1, customer=VIP)]
    team = [agent("junior", capacity=5), agent("senior", tier=AgentTier.SENIOR)]
    result = simulate(history, team, rules=RoutingRules(RoutingPolicy()))
    assert {load.handle: load.handled for load in result.agents} == {"junior": 0, "senior": 2}
    assert result.queues[0].max_wait == timedelta(minutes=9)  # the second waits for the senior


def test_an_unavailable_agent_takes_nothing() -> None:
    away = Agent("ag-away", "away", "Away", available=False)
    result = simulate([item(1, 0)], [away, agent("here")], rules=Rules())
    assert {load.handle: load.handled for load in result.agents} == {"away": 0, "here": 1}


def test_no_history_gives_an_empty_result() -> None:
    result = simulate([], [agent("solo")], rules=Rules())
    assert result.tickets == 0 and result.queues == ()


class TicketByTicket(RoutingRules):
    """The routing rules with every ticket its own kind: nothing shared between tickets."""

    def kind(self, ticket: Ticket, customer: Customer) -> str:
        return ticket.id


@given(
    arrivals=st.lists(
        st.tuples(
            st.integers(0, 120),  # minute of arrival
            st.integers(5, 60),  # handle minutes
            st.sampled_from(["general", "billing"]),
            st.booleans(),  # VIP
        ),
        max_size=25,
    ),
    push=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_grouping_waiting_tickets_by_kind_changes_no_outcome(
    arrivals: list[tuple[int, int, str, bool]], push: bool
) -> None:
    history = [
        item(n, minute, handle, customer=VIP if vip else STANDARD, department=department)
        for n, (minute, handle, department, vip) in enumerate(arrivals, start=1)
    ]
    team = [
        Agent("ag-j", "j", "J", tier=AgentTier.JUNIOR, departments=("general",), capacity=1),
        Agent("ag-s", "s", "S", tier=AgentTier.SENIOR, departments=("billing",), capacity=2),
    ]
    grouped = simulate(history, team, rules=RoutingRules(RoutingPolicy()), push=push)
    one_by_one = simulate(history, team, rules=TicketByTicket(RoutingPolicy()), push=push)
    assert grouped == one_by_one
