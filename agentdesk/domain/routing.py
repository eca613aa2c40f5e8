"""Who may take which ticket, and in what order tickets are pulled.

The foundation rule: an agent pulls the most urgent unassigned active ticket that they are
eligible for by skill and department. Backends must order and filter exactly like
`pull_order` and `is_eligible`; the store contract suite checks it.
"""

from __future__ import annotations

from datetime import datetime

from agentdesk.domain.model import Agent, Ticket, TicketStatus

PULLABLE_STATUSES: frozenset[TicketStatus] = frozenset({TicketStatus.NEW, TicketStatus.OPEN})


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
