"""Who may take which ticket, and in what order tickets are pulled.

The foundation rule: an agent pulls the most urgent unassigned active ticket that they are
eligible for by skill and department. Backends must order and filter exactly like
`pull_order` and `is_eligible`; the store contract suite checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from agentdesk.domain.model import Agent, Complexity, Priority, Ticket, TicketStatus

PULLABLE_STATUSES: frozenset[TicketStatus] = frozenset({TicketStatus.NEW, TicketStatus.OPEN})

# Where tickets go when the classifier is unsure or the request is out of scope: a person
# triages them rather than a specialist receiving the wrong work.
TRIAGE_DEPARTMENT = "triage"


@dataclass(frozen=True, slots=True)
class IntentRoute:
    """Where tickets of one intent go, what they need and how urgent they usually are."""

    department: str
    skill: str | None = None
    complexity: Complexity = Complexity.STANDARD
    priority: Priority = Priority.NORMAL


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """The routing rules in force: intent routes plus the fallback for unknown intents."""

    routes: Mapping[str, IntentRoute] = field(default_factory=dict)
    triage_department: str = TRIAGE_DEPARTMENT
    # Below this classifier confidence a ticket goes to triage instead of its intent's route.
    min_confidence: float = 0.0

    def route_for(self, intent: str) -> IntentRoute | None:
        return self.routes.get(intent)


def is_eligible(ticket: Ticket, agent: Agent) -> bool:
    if ticket.assignee_id is not None or ticket.status not in PULLABLE_STATUSES:
        return False
    if agent.departments and ticket.department_id not in agent.departments:
        return False
    return ticket.required_skill is None or ticket.required_skill in agent.skills


def pull_order(ticket: Ticket) -> tuple[int, datetime, datetime, int]:
    """Most urgent first: priority, then the nearest SLA deadline, then the oldest."""
    due = ticket.first_response_due if ticket.first_response_at is None else ticket.resolution_due
    return (ticket.priority.rank, due or ticket.created_at, ticket.created_at, ticket.number)


def pick_next(tickets: list[Ticket], agent: Agent) -> Ticket | None:
    candidates = [ticket for ticket in tickets if is_eligible(ticket, agent)]
    return min(candidates, key=pull_order, default=None)
