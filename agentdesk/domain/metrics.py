"""Contact-centre KPIs per queue and per agent, over a window of time.

The definitions, stated once (a ticket counts towards its *current* queue and assignee; a
transferred ticket counts where it is now, a ticket nobody holds towards agent `None`):

- **Arrivals**: tickets created in the window.
- **First response time**: for tickets whose first public reply (a reply or a request to
  confirm a fix; notes do not count) was sent in the window, the time from creation to it.
  Wall-clock time, as the customer lived it.
- **First-response SLA attainment**: of the first-response clocks that *ended* in the window,
  the share met. A clock ends when answered (met if at or before `first_response_due`) or when
  its due time passes unanswered (breached; counted once the due time lies in the window and
  before its end).
- **Resolution SLA attainment**: the same for closure against `resolution_due`. A ticket
  waiting on the customer (its clock paused) is not yet breached: its due time will move.
- **Resolved**: tickets closed in the window; the measures below are over these.
- **First-contact resolution (FCR)**: resolved tickets never reopened, with no follow-up
  ticket, and at most `FCR_AGENT_MESSAGES` public agent messages: one answer plus the request
  to confirm it (the "one-touch" ticket of help-desk reporting, allowing for this desk's
  confirmation step).
- **Reopen rate**: the share of resolved tickets the customer reopened: they rejected a fix
  (`ticket.reopened`) or wrote again after closure (a follow-up ticket).
- **CSAT**: of resolved tickets with a score, the share satisfied: 4 or 5 on the 1-5 scale
  (`SATISFIED_SCORE`), the usual "top-two-box" reading.
- **Average handle time (AHT)**: over resolved tickets that were ever on screen, the time they
  were actually open on an agent's screen (`ScreenSession`s, any agent), not time claimed.
- **Queue length, average and oldest wait** (live, not windowed): tickets waiting in a queue
  for someone to pick them up (unassigned, new or open) and how long since they arrived.

Windows (`Period`) run in the desk's time zone: *today* from local midnight, the *shift* from
the start of the business calendar's current (or last) opening, and 7 or 30 days back. Counts
are kept as additive `Tally`s per (queue, agent), so a store can aggregate them where the data
lives and any roll-up is a sum; ratios are worked out last (`Kpis`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum

from agentdesk.domain.calendar import ALWAYS_OPEN, BusinessCalendar, latest_opening, zone
from agentdesk.domain.model import Message, MessageKind, Ticket
from agentdesk.domain.routing import PULLABLE_STATUSES

SATISFIED_SCORE = 4
FCR_AGENT_MESSAGES = 2
REOPENED_EVENT = "ticket.reopened"
# A calendar open around the clock has no shifts; "this shift" is then the last eight hours.
DEFAULT_SHIFT = timedelta(hours=8)
ZERO = timedelta(0)

# (queue, agent): the finest grain metrics are kept at.
GroupKey = tuple[str, str | None]


class Period(StrEnum):
    TODAY = "today"
    SHIFT = "shift"
    WEEK = "7d"
    MONTH = "30d"


class UnknownPeriod(ValueError):
    def __init__(self, name: str) -> None:
        choices = ", ".join(period.value for period in Period)
        super().__init__(f"unknown period {name!r} (use one of: {choices})")


def parse_period(name: str) -> Period:
    try:
        return Period(name.strip().lower())
    except ValueError:
        raise UnknownPeriod(name) from None


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


def period_window(
    period: Period, now: datetime, calendar: BusinessCalendar = ALWAYS_OPEN
) -> Window:
    """The window of `period` ending at `now`, in `calendar`'s time zone."""
    if period is Period.TODAY:
        local = now.astimezone(zone(calendar.timezone))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return Window(min(midnight, now), now)
    if period is Period.SHIFT:
        if calendar.always_open:
            return Window(now - DEFAULT_SHIFT, now)
        opens, closes = latest_opening(calendar, now)
        return Window(opens, min(closes, now))
    days = 7 if period is Period.WEEK else 30
    return Window(now - timedelta(days=days), now)


@dataclass(frozen=True, slots=True)
class ScreenSession:
    """A stretch of time a ticket was open on an agent's screen (and the app in front)."""

    ticket_id: str
    agent_id: str
    started_at: datetime
    ended_at: datetime

    def __post_init__(self) -> None:
        if self.ended_at < self.started_at:
            raise ValueError("a screen session cannot end before it starts")

    @property
    def duration(self) -> timedelta:
        return self.ended_at - self.started_at


class ScreenClock:
    """Times one ticket's stays on an agent's screen: shown, hidden, shown again.

    Showing twice or hiding twice changes nothing, so callers can report every event they
    see (screen resumed, app focused, ...) without keeping track themselves.
    """

    def __init__(self, ticket_id: str, agent_id: str) -> None:
        self.ticket_id = ticket_id
        self.agent_id = agent_id
        self.since: datetime | None = None

    def show(self, now: datetime) -> None:
        if self.since is None:
            self.since = now

    def hide(self, now: datetime) -> ScreenSession | None:
        """The stay that ends now; None if the ticket was not shown or no time passed."""
        since, self.since = self.since, None
        if since is None or now <= since:
            return None
        return ScreenSession(self.ticket_id, self.agent_id, since, now)


@dataclass(frozen=True, slots=True)
class TicketHistory:
    """What the metrics need of one ticket: its state plus counts drawn from its history."""

    ticket: Ticket
    agent_messages: int = 0  # public replies, confirmation requests included
    reopens: int = 0
    follow_ups: int = 0
    handle_time: timedelta = ZERO

    @property
    def key(self) -> GroupKey:
        return (self.ticket.department_id, self.ticket.assignee_id)


def history_of(
    ticket: Ticket,
    messages: Iterable[Message],
    event_kinds: Iterable[str],
    sessions: Iterable[ScreenSession],
    follow_ups: int = 0,
) -> TicketHistory:
    """Boil a ticket's messages, audit event kinds and screen sessions down to its counts."""
    return TicketHistory(
        ticket,
        agent_messages=sum(1 for message in messages if message.kind is MessageKind.REPLY),
        reopens=sum(1 for kind in event_kinds if kind == REOPENED_EVENT),
        follow_ups=follow_ups,
        handle_time=sum((session.duration for session in sessions), ZERO),
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """Additive counts for one group over one window; `+` merges groups."""

    arrivals: int = 0
    first_responses: int = 0
    first_response_time: timedelta = ZERO
    first_response_clocks: int = 0  # first-response SLA clocks that ended in the window
    first_response_met: int = 0
    resolved: int = 0
    resolution_clocks: int = 0
    resolution_met: int = 0
    first_contact_resolved: int = 0
    reopened: int = 0
    csat_responses: int = 0
    csat_satisfied: int = 0
    handled: int = 0  # resolved tickets that were ever on screen
    handle_time: timedelta = ZERO

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(Tally))  # type: ignore[arg-type]
        )


EMPTY = Tally()


def tally_ticket(history: TicketHistory, window: Window) -> Tally:
    """One ticket's contribution to the window's counts (the reference for every store)."""
    ticket = history.ticket
    arrivals = int(ticket.created_at in window)
    responded = ticket.first_response_at
    first_responses, first_response_time = 0, ZERO
    first_clocks = first_met = 0
    if responded is not None and responded in window:
        first_responses, first_response_time = 1, responded - ticket.created_at
        if ticket.first_response_due is not None:
            first_clocks, first_met = 1, int(responded <= ticket.first_response_due)
    elif responded is None and _lapsed(ticket.first_response_due, ticket.closed_at, window):
        first_clocks = 1
    closed = ticket.closed_at
    resolved = closed is not None and closed in window
    resolution_clocks = resolution_met = 0
    due = ticket.resolution_due
    if resolved and due is not None and closed is not None:
        resolution_clocks, resolution_met = 1, int(closed <= due)
    elif closed is None and ticket.sla_paused_at is None and due in window:
        resolution_clocks = 1
    answered = Tally(
        arrivals=arrivals,
        first_responses=first_responses,
        first_response_time=first_response_time,
        first_response_clocks=first_clocks,
        first_response_met=first_met,
        resolution_clocks=resolution_clocks,
    )
    if not resolved:
        return answered
    reopened = history.reopens > 0 or history.follow_ups > 0
    one_touch = not reopened and history.agent_messages <= FCR_AGENT_MESSAGES
    csat = ticket.csat
    return answered + Tally(
        resolved=1,
        resolution_met=resolution_met,
        first_contact_resolved=int(one_touch),
        reopened=int(reopened),
        csat_responses=int(csat is not None),
        csat_satisfied=int(csat is not None and csat >= SATISFIED_SCORE),
        handled=int(history.handle_time > ZERO),
        handle_time=history.handle_time,
    )


def _lapsed(due: datetime | None, closed: datetime | None, window: Window) -> bool:
    """A clock whose due time passed in the window with the ticket still open then."""
    return due is not None and due in window and (closed is None or closed > due)


def tally(histories: Iterable[TicketHistory], window: Window) -> dict[GroupKey, Tally]:
    """Counts per (queue, agent); groups with nothing in the window are left out."""
    groups: dict[GroupKey, Tally] = {}
    for history in histories:
        counted = tally_ticket(history, window)
        if counted != EMPTY:
            groups[history.key] = groups.get(history.key, EMPTY) + counted
    return groups


def total(tallies: Iterable[Tally]) -> Tally:
    return sum(tallies, EMPTY)


def by_queue(groups: Mapping[GroupKey, Tally]) -> dict[str, Tally]:
    found: dict[str, Tally] = {}
    for (queue, _), counted in groups.items():
        found[queue] = found.get(queue, EMPTY) + counted
    return found


def by_agent(groups: Mapping[GroupKey, Tally]) -> dict[str | None, Tally]:
    found: dict[str | None, Tally] = {}
    for (_, agent), counted in groups.items():
        found[agent] = found.get(agent, EMPTY) + counted
    return found


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _mean(amount: timedelta, count: int) -> timedelta | None:
    return None if count == 0 else amount / count


@dataclass(frozen=True, slots=True)
class Kpis:
    """The ratios a person reads; None where nothing was measured (no division by zero)."""

    arrivals: int
    resolved: int
    average_first_response: timedelta | None
    first_response_sla: float | None  # 0..1
    resolution_sla: float | None
    first_contact_resolution: float | None
    reopen_rate: float | None
    csat: float | None  # share satisfied, 0..1
    csat_responses: int
    average_handle_time: timedelta | None

    @classmethod
    def of(cls, counted: Tally) -> Kpis:
        return cls(
            arrivals=counted.arrivals,
            resolved=counted.resolved,
            average_first_response=_mean(counted.first_response_time, counted.first_responses),
            first_response_sla=_share(counted.first_response_met, counted.first_response_clocks),
            resolution_sla=_share(counted.resolution_met, counted.resolution_clocks),
            first_contact_resolution=_share(counted.first_contact_resolved, counted.resolved),
            reopen_rate=_share(counted.reopened, counted.resolved),
            csat=_share(counted.csat_satisfied, counted.csat_responses),
            csat_responses=counted.csat_responses,
            average_handle_time=_mean(counted.handle_time, counted.handled),
        )


# -- live queue state -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QueueState:
    """Tickets waiting in one queue for someone to pick them up, at one moment."""

    department_id: str
    waiting: int = 0
    total_wait: timedelta = ZERO
    oldest_wait: timedelta = ZERO

    @property
    def average_wait(self) -> timedelta | None:
        return _mean(self.total_wait, self.waiting)


def is_waiting(ticket: Ticket) -> bool:
    return ticket.assignee_id is None and ticket.status in PULLABLE_STATUSES


def queue_states(tickets: Iterable[Ticket], now: datetime) -> dict[str, QueueState]:
    """Per queue with anyone waiting: how many, and their total and longest wait so far."""
    found: dict[str, QueueState] = {}
    for ticket in tickets:
        if not is_waiting(ticket):
            continue
        wait = max(now - ticket.created_at, ZERO)
        before = found.get(ticket.department_id, QueueState(ticket.department_id))
        found[ticket.department_id] = QueueState(
            ticket.department_id,
            before.waiting + 1,
            before.total_wait + wait,
            max(before.oldest_wait, wait),
        )
    return found


def agent_loads(tickets: Iterable[Ticket]) -> dict[str, int]:
    """Tickets each agent holds that wait on them (new or open), as routing counts load."""
    found: dict[str, int] = {}
    for ticket in tickets:
        if ticket.assignee_id is not None and ticket.status in PULLABLE_STATUSES:
            found[ticket.assignee_id] = found.get(ticket.assignee_id, 0) + 1
    return found


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """What a store reads for one refresh: counts per window, queue state and agent load."""

    now: datetime
    windows: tuple[Window, ...]
    tallies: tuple[dict[GroupKey, Tally], ...]  # one per window, same order
    queues: dict[str, QueueState]
    loads: dict[str, int]


def snapshot_of(
    histories: Sequence[TicketHistory], windows: Sequence[Window], now: datetime
) -> MetricsSnapshot:
    """The snapshot worked out ticket by ticket: what the in-memory store returns."""
    tickets = [history.ticket for history in histories]
    return MetricsSnapshot(
        now,
        tuple(windows),
        tuple(tally(histories, window) for window in windows),
        queue_states(tickets, now),
        agent_loads(tickets),
    )
