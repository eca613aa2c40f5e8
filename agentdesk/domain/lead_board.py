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

from agentdesk.domain.calendar import BusinessCalendar, add_business_time
from agentdesk.domain.metrics import (
    ZERO,
    GroupKey,
    Kpis,
    Period,
    QueueState,
    Tally,
    Window,
    by_agent,
    by_queue,
    period_window,
    total,
)
from agentdesk.domain.model import (
    Agent,
    CustomerTier,
    Priority,
    Ticket,
    TicketRow,
    TicketStatus,
)
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


# -- the board's lines ----------------------------------------------------------------------
ALL_QUEUES = ""  # the key of the line summing every queue


@dataclass(frozen=True, slots=True)
class QueueLine:
    """One line of the lead's queue list."""

    department_id: str  # ALL_QUEUES for the total
    name: str
    active: int
    waiting: int
    oldest_wait: timedelta
    at_risk: int
    breached: int
    arrivals_last_hour: int


def queue_lines(
    names: Mapping[str, str],
    states: Mapping[str, QueueState],
    clocks: Mapping[str, QueueClocks],
    last_hour: Mapping[GroupKey, Tally],
) -> list[QueueLine]:
    """A line per queue (every named one, and any other that has tickets), the total first."""
    arrivals = {queue: counted.arrivals for queue, counted in by_queue(last_hour).items()}
    queues = sorted(set(names) | set(states) | set(clocks), key=lambda q: names.get(q, q).lower())
    lines = []
    for queue in queues:
        state = states.get(queue, QueueState(queue))
        clock = clocks.get(queue, QueueClocks(queue))
        lines.append(
            QueueLine(
                queue,
                names.get(queue, queue),
                clock.active,
                state.waiting,
                state.oldest_wait,
                clock.at_risk,
                clock.breached,
                arrivals.get(queue, 0),
            )
        )
    everything = QueueLine(
        ALL_QUEUES,
        "All queues",
        sum(line.active for line in lines),
        sum(line.waiting for line in lines),
        max((line.oldest_wait for line in lines), default=ZERO),
        sum(line.at_risk for line in lines),
        sum(line.breached for line in lines),
        sum(line.arrivals_last_hour for line in lines),
    )
    return [everything, *lines]


# -- what one refresh reads -----------------------------------------------------------------
# Periods read with every refresh while shown. A longer one (7 days: some 25,000 tickets on a
# busy desk, several times the rest of a refresh) is read apart, about once a minute, with the
# sparkline: its figures hardly move in a minute.
EVERY_REFRESH = frozenset({Period.TODAY, Period.SHIFT})


def refresh_windows(
    shown: Period, now: datetime, calendar: BusinessCalendar
) -> tuple[dict[Period, Window], Window]:
    """The KPI windows one refresh of the lead view reads, and the last hour (the queue lines'
    arrivals).

    Today always (the agent list's KPIs), and the period on screen if it is in `EVERY_REFRESH`;
    a period not shown is read when the lead switches to it.
    """
    periods = {Period.TODAY: period_window(Period.TODAY, now, calendar)}
    if shown in EVERY_REFRESH:
        periods[shown] = period_window(shown, now, calendar)
    return periods, Window(now - timedelta(hours=1), now)


def slow_windows(
    shown: Period, now: datetime, calendar: BusinessCalendar, hours: int
) -> tuple[list[Window], dict[Period, Window]]:
    """What the lead view reads about once a minute, apart from its refresh: the sparkline's
    `hours` and, when it is the one shown, a period too long for every refresh."""
    periods = {} if shown in EVERY_REFRESH else {shown: period_window(shown, now, calendar)}
    return hourly_windows(now, hours), periods


NOTHING_MEASURED = Kpis.of(Tally())


@dataclass(frozen=True, slots=True)
class AgentLine:
    """One line of the lead's agent list."""

    agent_id: str
    name: str
    handle: str
    available: bool
    load: int
    capacity: int
    current_ticket: int | None  # the number of the ticket the agent works on first
    today: Kpis = NOTHING_MEASURED  # what the agent resolved today, in every queue

    @property
    def over_capacity(self) -> bool:
        return self.load > self.capacity

    @property
    def status(self) -> str:
        if not self.available:
            return "away"
        return "over capacity" if self.over_capacity else "available"


def serves(agent: Agent, queue: str) -> bool:
    """Whether the agent works `queue` (an agent without departments works every queue)."""
    return queue == ALL_QUEUES or not agent.departments or queue in agent.departments


def agent_lines(
    agents: Iterable[Agent],
    loads: Mapping[str, int],
    current: Mapping[str, int],
    today: Mapping[GroupKey, Tally] | None = None,
) -> list[AgentLine]:
    """The agents, busiest first, then by name, each with today's KPIs (`today`: the tallies
    of `Period.TODAY`, summed over the queues)."""
    mine = by_agent(today or {})
    lines = [
        AgentLine(
            agent.id,
            agent.name,
            agent.handle,
            agent.available,
            loads.get(agent.id, 0),
            agent.capacity,
            current.get(agent.id),
            Kpis.of(mine.get(agent.id, Tally())),
        )
        for agent in agents
    ]
    return sorted(lines, key=lambda line: (-line.load, line.name.lower()))


def picker_order(
    agents: Iterable[Agent], loads: Mapping[str, int], skill: str | None
) -> list[Agent]:
    """Who to offer first when a lead reassigns: available, then the skill's level, then the
    lightest load."""
    return sorted(
        agents,
        key=lambda a: (
            not a.available,
            -(a.skills.get(skill, 0) if skill else 0),
            loads.get(a.id, 0) / max(a.capacity, 1),
            a.name.lower(),
        ),
    )


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


QUEUE_HEADER = (
    "queue",
    "name",
    "active",
    "waiting",
    "oldest_wait_minutes",
    "sla_at_risk",
    "sla_breached",
    "arrivals_last_hour",
)
AGENT_HEADER = (
    "agent_id",
    "handle",
    "name",
    "status",
    "load",
    "capacity",
    "current_ticket",
    "resolved_today",
    "handle_time_minutes",
    "first_contact_resolution",
    "csat",
)
TICKET_HEADER = (
    "number",
    "subject",
    "status",
    "priority",
    "queue",
    "assignee_id",
    "customer",
    "created_at",
    "first_response_due",
    "resolution_due",
)


def _minutes(amount: timedelta) -> float:
    return round(amount.total_seconds() / 60, 1)


def _ratio(share: float | None) -> float | None:
    return None if share is None else round(share, 3)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def queue_record(line: QueueLine) -> tuple[object, ...]:
    return (
        line.department_id or "*",
        line.name,
        line.active,
        line.waiting,
        _minutes(line.oldest_wait),
        line.at_risk,
        line.breached,
        line.arrivals_last_hour,
    )


def agent_record(line: AgentLine) -> tuple[object, ...]:
    return (
        line.agent_id,
        line.handle,
        line.name,
        line.status,
        line.load,
        line.capacity,
        line.current_ticket,
        line.today.resolved,
        None
        if line.today.average_handle_time is None
        else _minutes(line.today.average_handle_time),
        _ratio(line.today.first_contact_resolution),
        _ratio(line.today.csat),
    )


def ticket_record(row: TicketRow) -> tuple[object, ...]:
    return (
        row.number,
        row.subject,
        row.status.value,
        row.priority.value,
        row.department_id,
        row.assignee_id,
        row.customer_name,
        _iso(row.created_at),
        _iso(row.first_response_due),
        _iso(row.resolution_due),
    )


def export_name(kind: str, now: datetime) -> str:
    """`lead-queues-20261120-0900.csv`: sorts by time, safe on every file system."""
    return f"lead-{kind}-{now.strftime('%Y%m%d-%H%M%S')}.csv"
