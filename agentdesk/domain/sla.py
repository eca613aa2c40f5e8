"""SLA policies and the clocks they put on a ticket.

A policy gives first-response and resolution targets per priority, optionally overridden per
customer tier, counted in business time on one calendar (24/7 unless configured). Due times
are fixed when a ticket is created. While the ticket waits on the customer (pending, or
awaiting confirmation) its clock is paused; when it stops waiting, the due times move on so
that the business time left at the pause is left again (a clock already breached stays so).

A clock warns once 75 % of its target (in business time) is used, and is breached at its due
time. The countdown shown is the plain time to the due moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from agentdesk.domain.calendar import (
    ALWAYS_OPEN,
    BusinessCalendar,
    add_business_time,
    business_time_between,
)
from agentdesk.domain.model import (
    CustomerTier,
    Priority,
    SlaPolicy,
    Ticket,
    TicketRow,
    TicketStatus,
)

# The same for every tier: VIP customers get their lead through routing (they are pulled
# first), not through a different promise; a deployment can still set `[sla.tiers.vip.*]`.
DEFAULT_POLICIES: dict[Priority, SlaPolicy] = {
    Priority.URGENT: SlaPolicy(Priority.URGENT, 30, 4 * 60),
    Priority.HIGH: SlaPolicy(Priority.HIGH, 60, 8 * 60),
    Priority.NORMAL: SlaPolicy(Priority.NORMAL, 4 * 60, 24 * 60),
    Priority.LOW: SlaPolicy(Priority.LOW, 24 * 60, 72 * 60),
}

WARNING_FRACTION = 0.75
# The clock stands still in these: the ticket waits on the customer.
WAITING_STATUSES: frozenset[TicketStatus] = frozenset(
    {TicketStatus.PENDING, TicketStatus.AWAITING_CONFIRMATION}
)
FIRST_RESPONSE = "first response"
RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class SlaPolicies:
    """Targets per priority, per-tier overrides, and the calendar they are counted on.

    Treat the mappings as read-only: one SlaPolicies is shared by a store and its callers.
    """

    targets: Mapping[Priority, SlaPolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    tiers: Mapping[CustomerTier, Mapping[Priority, SlaPolicy]] = field(default_factory=dict)
    calendar: BusinessCalendar = ALWAYS_OPEN

    def policy(self, priority: Priority, tier: CustomerTier = CustomerTier.STANDARD) -> SlaPolicy:
        """The tier's own target if it has one, else the priority's, else the default."""
        override = self.tiers.get(tier, {}).get(priority)
        return override or self.targets.get(priority) or DEFAULT_POLICIES[priority]


DEFAULT_SLA = SlaPolicies()

# What callers may pass as policies: the full object, a plain priority -> policy mapping
# (24/7, no tier overrides; a partial one keeps the defaults for the rest), or None.
SlaRules = SlaPolicies | Mapping[Priority, SlaPolicy] | None


def as_policies(rules: SlaRules) -> SlaPolicies:
    if rules is None:
        return DEFAULT_SLA
    if isinstance(rules, SlaPolicies):
        return rules
    return SlaPolicies(targets={**DEFAULT_POLICIES, **rules})


class SlaState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"  # nothing left to measure: answered and closed
    PAUSED = "paused"  # waiting on the customer, the clock stands still


@dataclass(frozen=True, slots=True)
class SlaClock:
    target: str  # "first response" or "resolution"
    due: datetime
    # Time to `due` (negative once overdue); while paused, the business time left at the pause.
    remaining: timedelta
    state: SlaState


def due_times(
    priority: Priority,
    tier: CustomerTier,
    created_at: datetime,
    policies: SlaRules = None,
) -> tuple[datetime, datetime]:
    """First-response and resolution due times of a ticket created at `created_at`."""
    rules = as_policies(policies)
    policy = rules.policy(priority, tier)
    return (
        add_business_time(rules.calendar, created_at, policy.first_response_minutes),
        add_business_time(rules.calendar, created_at, policy.resolution_minutes),
    )


# -- pausing while the customer has the ball ------------------------------------------------------
def follow_status(ticket: Ticket, *, now: datetime, calendar: BusinessCalendar) -> Ticket:
    """`ticket` (already in its new status) with its SLA clock paused or resumed to match.

    Entering a waiting status pauses the clock at `now` (staying in one keeps the original
    pause). Leaving it, to open or closed alike, moves the running due times on so that the
    business time left at the pause is left at `now`; a due time already passed at the pause
    stays where it was, breached. A first response already given has no clock to move.
    """
    if ticket.status in WAITING_STATUSES:
        return paused_if_waiting(ticket, now)
    paused_at = ticket.sla_paused_at
    if paused_at is None:
        return ticket
    first_due = ticket.first_response_due
    if ticket.first_response_at is None:
        first_due = _moved(first_due, paused_at, now, calendar)
    return replace(
        ticket,
        sla_paused_at=None,
        first_response_due=first_due,
        resolution_due=_moved(ticket.resolution_due, paused_at, now, calendar),
    )


def paused_if_waiting(ticket: Ticket, now: datetime) -> Ticket:
    """The pause half of `follow_status`, for changes that can start a wait but never end one."""
    if ticket.status in WAITING_STATUSES and ticket.sla_paused_at is None:
        return replace(ticket, sla_paused_at=now)
    return ticket


def _moved(
    due: datetime | None, paused_at: datetime, now: datetime, calendar: BusinessCalendar
) -> datetime | None:
    if due is None or due <= paused_at:
        return due
    left = business_time_between(calendar, paused_at, due)
    return add_business_time(calendar, max(now, paused_at), left)


# -- the clock ------------------------------------------------------------------------------------
def clock_state(
    started: datetime,
    due: datetime,
    now: datetime,
    calendar: BusinessCalendar = ALWAYS_OPEN,
    *,
    target: timedelta | None = None,
) -> SlaState:
    """Breached from `due` on; a warning once 75 % of the target is used, in business time.

    `target` is the clock's business-time budget; without it, the business time from
    `started` to `due` (right for a clock that was never paused).
    """
    if now >= due:
        return SlaState.BREACHED
    budget = target if target is not None else business_time_between(calendar, started, due)
    if budget <= timedelta(0):
        return SlaState.OK
    left = business_time_between(calendar, now, due)
    if left <= budget * (1 - WARNING_FRACTION):
        return SlaState.WARNING
    return SlaState.OK


def current_clock(
    created_at: datetime,
    first_response_due: datetime | None,
    resolution_due: datetime | None,
    first_response_at: datetime | None,
    status: TicketStatus,
    now: datetime,
    *,
    paused_at: datetime | None = None,
    calendar: BusinessCalendar = ALWAYS_OPEN,
    policy: SlaPolicy | None = None,
) -> SlaClock | None:
    """The clock that matters now: first response until answered, then resolution.

    With the ticket's `policy`, warnings measure against its targets, which stays right after
    a pause moved the due times; without it, against the span from creation to due.
    """
    if status is TicketStatus.CLOSED:
        return None
    minutes: int | None
    if first_response_at is None and first_response_due is not None:
        target, due = FIRST_RESPONSE, first_response_due
        minutes = policy.first_response_minutes if policy else None
    elif resolution_due is not None:
        target, due = RESOLUTION, resolution_due
        minutes = policy.resolution_minutes if policy else None
    else:
        return None
    return running_clock(
        target,
        due,
        now,
        started=created_at,
        paused_at=paused_at,
        calendar=calendar,
        minutes=minutes,
    )


def running_clock(
    target: str,
    due: datetime,
    now: datetime,
    *,
    started: datetime,
    paused_at: datetime | None,
    calendar: BusinessCalendar,
    minutes: int | None,
) -> SlaClock:
    """A clock not stopped yet: counting down, or paused (a breach at the pause stays).

    `minutes` is its target, if known (see `clock_state`).
    """
    if paused_at is not None:
        if due <= paused_at:
            return SlaClock(target, due, due - paused_at, SlaState.BREACHED)
        left = business_time_between(calendar, paused_at, due)
        return SlaClock(target, due, left, SlaState.PAUSED)
    budget = timedelta(minutes=minutes) if minutes is not None else None
    state = clock_state(started, due, now, calendar, target=budget)
    return SlaClock(target, due, due - now, state)


class Clocked(Protocol):
    """What a clock is read from: a Ticket or a queue line (TicketRow)."""

    @property
    def created_at(self) -> datetime: ...
    @property
    def first_response_due(self) -> datetime | None: ...
    @property
    def resolution_due(self) -> datetime | None: ...
    @property
    def first_response_at(self) -> datetime | None: ...
    @property
    def sla_paused_at(self) -> datetime | None: ...
    @property
    def status(self) -> TicketStatus: ...
    @property
    def priority(self) -> Priority: ...


def ticket_clock(
    ticket: Clocked,
    now: datetime,
    policies: SlaRules = None,
    tier: CustomerTier = CustomerTier.STANDARD,
) -> SlaClock | None:
    """The clock that matters now for `ticket`, whose customer is of `tier`."""
    rules = as_policies(policies)
    return current_clock(
        ticket.created_at,
        ticket.first_response_due,
        ticket.resolution_due,
        ticket.first_response_at,
        ticket.status,
        now,
        paused_at=ticket.sla_paused_at,
        calendar=rules.calendar,
        policy=rules.policy(ticket.priority, tier),
    )


def row_clock(row: TicketRow, now: datetime, policies: SlaRules = None) -> SlaClock | None:
    """The clock of a queue line (its customer's tier picks the policy)."""
    return ticket_clock(row, now, policies, row.customer_tier)


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
