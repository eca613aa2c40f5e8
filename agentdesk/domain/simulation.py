"""Replay historical tickets through the routing rules: a dry run before changing them.

A discrete-event simulation. Tickets arrive at their `created_at`; each agent works up to
`capacity` tickets at once, each for its handle time. In pull mode a free agent takes the
best ticket it is eligible for, as pull-next would; in push mode an arriving ticket goes at
once to the agent push routing would choose. `RoutingRules` decides both with the routing
functions of `agentdesk.domain.routing`, so the simulation measures the real rules.

A ticket's first response is taken to be the moment an agent picks it up and its resolution
the end of its handle time; no agent available on arrival means it waits.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Protocol

from agentdesk.domain import routing
from agentdesk.domain.model import Agent, Customer, Ticket


class Rules(Protocol):
    def kind(self, ticket: Ticket, customer: Customer) -> Hashable:
        """Tickets of one kind are eligible for the same agents (given a free slot)."""

    def eligible(self, ticket: Ticket, customer: Customer, agent: Agent, load: int) -> bool:
        """May `agent`, holding `load` tickets, take `ticket` from `customer`?"""

    def score(self, ticket: Ticket, customer: Customer, agent: Agent, now: datetime) -> float:
        """How much `agent` should pull `ticket` now; higher is better."""

    def choose(
        self, ticket: Ticket, customer: Customer, candidates: Sequence[tuple[Agent, int]]
    ) -> Agent:
        """Push mode: which of the eligible (agent, load) pairs gets the arriving ticket."""


class RoutingRules:
    """The routing rules in force (`domain.routing`), with push mode's turns kept here."""

    def __init__(self, policy: routing.RoutingPolicy) -> None:
        self.policy = policy
        self.turns: dict[str, int] = {}
        self._facts: dict[str, routing.TicketFacts] = {}

    def _of(self, ticket: Ticket, customer: Customer) -> routing.TicketFacts:
        facts = self._facts.get(ticket.id)
        if facts is None:
            facts = self._facts[ticket.id] = routing.TicketFacts.of(ticket, customer)
        return facts

    def kind(self, ticket: Ticket, customer: Customer) -> Hashable:
        facts = self._of(ticket, customer)
        return (
            facts.department_id,
            facts.required_skill,
            facts.complexity,
            facts.customer_tier,
            facts.customer_language,
        )

    def eligible(self, ticket: Ticket, customer: Customer, agent: Agent, load: int) -> bool:
        return all(check.passed for check in routing.agent_checks(agent, load)) and (
            routing.can_take(self._of(ticket, customer), agent, self.policy)
        )

    def score(self, ticket: Ticket, customer: Customer, agent: Agent, now: datetime) -> float:
        return routing.score(self._of(ticket, customer), agent, now, self.policy)

    def choose(
        self, ticket: Ticket, customer: Customer, candidates: Sequence[tuple[Agent, int]]
    ) -> Agent:
        loads = [routing.AgentLoad(agent, load) for agent, load in candidates]
        choice = routing.choose_agent(self._of(ticket, customer), loads, self.policy, self.turns)
        assert choice is not None, "candidates are eligible"
        self.turns.update(choice.turns)
        return choice.agent


@dataclass(frozen=True, slots=True)
class SimTicket:
    ticket: Ticket
    customer: Customer
    handle_time: timedelta


@dataclass(frozen=True, slots=True)
class AgentLoad:
    handle: str
    handled: int
    busy: timedelta  # summed handle time of the tickets it worked
    utilisation: float  # busy time / (capacity x simulated span)
    peak_load: int


@dataclass(frozen=True, slots=True)
class QueueWait:
    department: str
    tickets: int
    mean_wait: timedelta
    p90_wait: timedelta
    max_wait: timedelta
    never_picked: int


@dataclass(frozen=True, slots=True)
class SimulationResult:
    tickets: int
    span: timedelta
    agents: tuple[AgentLoad, ...]
    queues: tuple[QueueWait, ...]
    first_response_breaches: int
    resolution_breaches: int
    never_picked: int


@dataclass(slots=True)
class _AgentState:
    agent: Agent
    load: int = 0
    handled: int = 0
    busy: timedelta = field(default_factory=timedelta)
    peak: int = 0

    @property
    def free(self) -> bool:
        return self.agent.available and self.load < self.agent.capacity


@dataclass(slots=True)
class _Outcome:
    picked_at: datetime | None = None


# How many waiting tickets of each kind a free agent weighs: the oldest arrivals dominate SLA
# risk, so a bounded window keeps a pull cheap even when the backlog grows into the thousands.
PULL_WINDOW = 200


def simulate(
    tickets: Sequence[SimTicket],
    agents: Sequence[Agent],
    *,
    rules: Rules,
    push: bool = False,
) -> SimulationResult:
    arrivals = sorted(tickets, key=lambda item: (item.ticket.created_at, item.ticket.number))
    if not arrivals:
        return SimulationResult(0, timedelta(), (), (), 0, 0, 0)
    states = [_AgentState(agent) for agent in agents]
    outcomes = {item.ticket.id: _Outcome() for item in arrivals}
    # Waiting tickets by kind, each list in arrival order; which agents may take a kind is
    # worked out once, so a pull looks only at the kinds its agent can take.
    waiting: dict[Hashable, list[SimTicket]] = {}
    kinds = {item.ticket.id: rules.kind(item.ticket, item.customer) for item in arrivals}
    arrival_order = {item.ticket.id: position for position, item in enumerate(arrivals)}
    takes: dict[tuple[int, Hashable], bool] = {}
    order = count()
    # (time, tie-breaker, kind, payload): completions sort before arrivals at the same time,
    # so a slot freed at 10:00 can take a ticket that arrives at 10:00.
    events: list[tuple[datetime, int, int, object]] = []
    for item in arrivals:
        heapq.heappush(events, (item.ticket.created_at, next(order), 1, item))
    end = arrivals[0].ticket.created_at

    def may_take(index: int, item: SimTicket) -> bool:
        key = (index, kinds[item.ticket.id])
        if key not in takes:
            takes[key] = rules.eligible(item.ticket, item.customer, states[index].agent, 0)
        return takes[key]

    def start(state: _AgentState, item: SimTicket, now: datetime) -> None:
        state.load += 1
        state.peak = max(state.peak, state.load)
        state.handled += 1
        state.busy += item.handle_time
        outcomes[item.ticket.id].picked_at = now
        heapq.heappush(events, (now + item.handle_time, next(order), 0, state))

    def pull(index: int, now: datetime) -> bool:
        state = states[index]
        # The best score wins; among equal scores the earliest arrival, whatever its kind.
        best: tuple[tuple[float, int], list[SimTicket], int] | None = None
        for queue in waiting.values():
            if not queue or not may_take(index, queue[0]):
                continue
            for position, item in enumerate(queue[:PULL_WINDOW]):
                value = rules.score(item.ticket, item.customer, state.agent, now)
                key = (value, -arrival_order[item.ticket.id])
                if best is None or key > best[0]:
                    best = (key, queue, position)
        if best is None:
            return False
        _, queue, position = best
        start(state, queue.pop(position), now)
        return True

    index_of = {id(state): index for index, state in enumerate(states)}
    while events:
        now, _, event, payload = heapq.heappop(events)
        end = max(end, now)
        if event == 0:
            assert isinstance(payload, _AgentState)
            payload.load -= 1
            index = index_of[id(payload)]
            while payload.free and pull(index, now):
                pass
            continue
        assert isinstance(payload, SimTicket)
        candidates = [
            index for index, state in enumerate(states) if state.free and may_take(index, payload)
        ]
        if not candidates:
            waiting.setdefault(kinds[payload.ticket.id], []).append(payload)
            continue
        if push:
            agent = rules.choose(
                payload.ticket,
                payload.customer,
                [(states[index].agent, states[index].load) for index in candidates],
            )
            chosen = next(states[index] for index in candidates if states[index].agent is agent)
        else:
            # A free agent found nothing it could take before this ticket came, so the one
            # idle longest (least loaded, fewest handled) pulls it.
            chosen = min(
                (states[index] for index in candidates),
                key=lambda state: (state.load, state.handled),
            )
        start(chosen, payload, now)

    return _summarise(arrivals, states, outcomes, end)


def _summarise(
    arrivals: Sequence[SimTicket],
    states: Sequence[_AgentState],
    outcomes: dict[str, _Outcome],
    end: datetime,
) -> SimulationResult:
    span = end - arrivals[0].ticket.created_at
    span_seconds = max(span.total_seconds(), 1.0)
    agents = tuple(
        AgentLoad(
            handle=state.agent.handle,
            handled=state.handled,
            busy=state.busy,
            utilisation=state.busy.total_seconds() / (max(state.agent.capacity, 1) * span_seconds),
            peak_load=state.peak,
        )
        for state in states
    )
    waits: dict[str, list[float]] = {}
    missed: dict[str, int] = {}
    first_breaches = resolution_breaches = 0
    for item in arrivals:
        ticket = item.ticket
        department = ticket.department_id
        waits.setdefault(department, [])
        missed.setdefault(department, 0)
        picked = outcomes[ticket.id].picked_at
        if picked is None:
            missed[department] += 1
            first_breaches += ticket.first_response_due is not None
            resolution_breaches += ticket.resolution_due is not None
            continue
        waits[department].append((picked - ticket.created_at).total_seconds())
        if ticket.first_response_due is not None and picked > ticket.first_response_due:
            first_breaches += 1
        if ticket.resolution_due is not None and picked + item.handle_time > ticket.resolution_due:
            resolution_breaches += 1
    queues = tuple(
        QueueWait(
            department=department,
            tickets=len(values) + missed[department],
            mean_wait=timedelta(seconds=statistics.fmean(values)) if values else timedelta(),
            p90_wait=timedelta(seconds=_percentile(values, 0.9)),
            max_wait=timedelta(seconds=max(values, default=0.0)),
            never_picked=missed[department],
        )
        for department, values in sorted(waits.items())
    )
    return SimulationResult(
        tickets=len(arrivals),
        span=span,
        agents=agents,
        queues=queues,
        first_response_breaches=first_breaches,
        resolution_breaches=resolution_breaches,
        never_picked=sum(missed.values()),
    )


def _percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
