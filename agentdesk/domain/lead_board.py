"""What the team lead's queue board shows, worked out from plain data.

Per queue, live: the active tickets (not closed), and how many of their running SLA clocks
are at risk (in the warning stretch, `sla.WARNING_FRACTION` of the target used) or breached.
The running clock is the first response until it is given, then resolution, as in
`sla.current_clock`. A paused clock (waiting on the customer) is neither at risk nor breached,
unless it was already overdue when it paused.

"At risk" is decided with a horizon per (priority, customer tier, clock): the moment the
warning stretch begins for a clock due then, `add_business_time(now, target * 25 %)`. A clock
due by that horizon (and not yet) is at risk. This is what `sla.clock_state` says for a clock
whose due time lies in business hours, and it lets a store count with one comparison per row.

Also here: the sparkline series of the lead view and the CSV it exports lists as.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from agentdesk.domain.calendar import add_business_time
from agentdesk.domain.metrics import GroupKey, Tally, Window, total
from agentdesk.domain.model import CustomerTier, Priority, Ticket, TicketStatus
from agentdesk.domain.sla import WARNING_FRACTION, SlaPolicies

# (priority, customer tier) -> (first-response horizon, resolution horizon)
Horizons = Mapping[tuple[Priority, CustomerTier], tuple[datetime, datetime]]


@dataclass(frozen=True, slots=True)
class QueueClocks:
    """One queue's active tickets and their running SLA clocks at one moment."""

    department_id: str
    active: int = 0
    at_risk: int = 0
    breached: int = 0


def risk_horizons(
    policies: SlaPolicies, now: datetime
) -> dict[tuple[Priority, CustomerTier], tuple[datetime, datetime]]:
    """For each policy, the latest due time a running clock may have and be at risk now."""
    found: dict[tuple[Priority, CustomerTier], tuple[datetime, datetime]] = {}
    left = 1 - WARNING_FRACTION
    for priority in Priority:
        for tier in CustomerTier:
            policy = policies.policy(priority, tier)
            found[(priority, tier)] = (
                add_business_time(
                    policies.calendar, now, timedelta(minutes=policy.first_response_minutes * left)
                ),
                add_business_time(
                    policies.calendar, now, timedelta(minutes=policy.resolution_minutes * left)
                ),
            )
    return found


def running_due(ticket: Ticket) -> tuple[bool, datetime | None]:
    """(is it the first-response clock, its due time) for the clock that runs now."""
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        return True, ticket.first_response_due
    return False, ticket.resolution_due


def clock_standing(
    ticket: Ticket, tier: CustomerTier, now: datetime, horizons: Horizons
) -> tuple[bool, bool]:
    """(at risk, breached) for one active ticket."""
    first, due = running_due(ticket)
    if due is None:
        return False, False
    paused = ticket.sla_paused_at
    if paused is not None:
        return False, due <= paused
    if due <= now:
        return False, True
    first_horizon, resolution_horizon = horizons[(ticket.priority, tier)]
    return due <= (first_horizon if first else resolution_horizon), False


def queue_clocks(
    tickets: Iterable[tuple[Ticket, CustomerTier]], now: datetime, horizons: Horizons
) -> dict[str, QueueClocks]:
    """Per queue with any active ticket: counts as the module docstring defines them."""
    counts: dict[str, list[int]] = {}
    for ticket, tier in tickets:
        if ticket.status is TicketStatus.CLOSED:
            continue
        at_risk, breached = clock_standing(ticket, tier, now, horizons)
        entry = counts.setdefault(ticket.department_id, [0, 0, 0])
        entry[0] += 1
        entry[1] += at_risk
        entry[2] += breached
    return {queue: QueueClocks(queue, *entry) for queue, entry in counts.items()}


# -- sparklines ---------------------------------------------------------------------------
def hourly_windows(now: datetime, hours: int) -> list[Window]:
    """The last `hours` whole hours up to `now`, oldest first (a sparkline's points)."""
    hour = timedelta(hours=1)
    return [Window(now - (hours - i) * hour, now - (hours - i - 1) * hour) for i in range(hours)]


def queue_series(
    tallies: Sequence[Mapping[GroupKey, Tally]], queue: str | None, field: str
) -> list[float]:
    """One number per window: `field` of the queue's tally (every queue's if `queue` is None)."""
    series: list[float] = []
    for groups in tallies:
        counted = total(t for (q, _), t in groups.items() if queue is None or q == queue)
        series.append(float(getattr(counted, field)))
    return series


# -- export -------------------------------------------------------------------------------
def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document (header first); None cells are left empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow("" if cell is None else cell for cell in row)
    return out.getvalue()


def export_name(kind: str, now: datetime) -> str:
    """`lead-queues-20261120-0900.csv`: sorts by time, safe on every file system."""
    return f"lead-{kind}-{now.strftime('%Y%m%d-%H%M%S')}.csv"
