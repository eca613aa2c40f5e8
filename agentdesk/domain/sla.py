"""SLA policies and the clocks they put on a ticket."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from agentdesk.domain.model import Priority, SlaPolicy, Ticket, TicketStatus

DEFAULT_POLICIES: dict[Priority, SlaPolicy] = {
    Priority.URGENT: SlaPolicy(Priority.URGENT, 30, 4 * 60),
    Priority.HIGH: SlaPolicy(Priority.HIGH, 60, 8 * 60),
    Priority.NORMAL: SlaPolicy(Priority.NORMAL, 4 * 60, 24 * 60),
    Priority.LOW: SlaPolicy(Priority.LOW, 24 * 60, 72 * 60),
}

WARNING_FRACTION = 0.75


class SlaState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"  # nothing left to measure: answered and closed


@dataclass(frozen=True, slots=True)
class SlaClock:
    target: str  # "first response" or "resolution"
    due: datetime
    remaining: timedelta
    state: SlaState


def due_times(
    priority: Priority, created_at: datetime, policies: Mapping[Priority, SlaPolicy] | None = None
) -> tuple[datetime, datetime]:
    # A partial mapping (say, only `urgent` overridden) keeps the defaults for the rest.
    policy = (policies or {}).get(priority) or DEFAULT_POLICIES[priority]
    return (
        created_at + timedelta(minutes=policy.first_response_minutes),
        created_at + timedelta(minutes=policy.resolution_minutes),
    )


def clock_state(started: datetime, due: datetime, now: datetime) -> SlaState:
    if now >= due:
        return SlaState.BREACHED
    span = (due - started).total_seconds()
    if span > 0 and (now - started).total_seconds() >= WARNING_FRACTION * span:
        return SlaState.WARNING
    return SlaState.OK


def current_clock(
    created_at: datetime,
    first_response_due: datetime | None,
    resolution_due: datetime | None,
    first_response_at: datetime | None,
    status: TicketStatus,
    now: datetime,
) -> SlaClock | None:
    """The clock that matters now: first response until answered, then resolution."""
    if status is TicketStatus.CLOSED:
        return None
    if first_response_at is None and first_response_due is not None:
        target, due = "first response", first_response_due
    elif resolution_due is not None:
        target, due = "resolution", resolution_due
    else:
        return None
    return SlaClock(target, due, due - now, clock_state(created_at, due, now))


def ticket_clock(ticket: Ticket, now: datetime) -> SlaClock | None:
    return current_clock(
        ticket.created_at,
        ticket.first_response_due,
        ticket.resolution_due,
        ticket.first_response_at,
        ticket.status,
        now,
    )


def format_remaining(remaining: timedelta) -> str:
    """Compact countdown: `42m`, `3h05m`, `2d4h`; negative values read `-12m` (overdue)."""
    seconds = int(remaining.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{sign}{days}d{hours}h"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    return f"{sign}{minutes}m"
