"""The team lead's alerts: what on the board needs a look now, told once and not again and again.

`evaluate` reads what the lead view already has with each refresh (the queue lines and the
agents with their load) against an `AlertPolicy` (the `[lead.alerts]` settings):

- **queue_length**: tickets waiting in a queue for someone to pick them up, at or above a limit;
- **queue_wait**: the queue's oldest waiting ticket has waited at least so long;
- **sla_breach_coming**: tickets in the queue whose running SLA clock is at risk, i.e. due
  within the warning stretch of its target (the board's *Risk* column; see `lead_board`);
- **sla_breached**: tickets whose running clock is already past due (the *Late* column);
- **agent_over_capacity**: an available agent holds tickets above their capacity.

Each alert has a *level*: 1 at its limit, one more each time the measure doubles (2 at twice
the limit, 3 at four times...). `Throttle` turns the alerts of successive refreshes into
notices: a new alert is told at once; one that stays raised is told again only when its level
rises (it got worse) or, as a reminder, once the cool-down has passed since it was last told.
An alert that resolves leaves the list at once, but what was told is remembered for the
cool-down, so an alert flapping around its limit is not told at every crossing.

When nothing is raised, arrivals are low and enough agents sit idle, `evaluate` also suggests
using the quiet period for training, as the contact-centre playbook advises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from agentdesk.domain.lead_board import ALL_QUEUES, QueueLine
from agentdesk.domain.model import Agent
from agentdesk.domain.sla import format_remaining

Severity = Literal["information", "warning", "error"]
# Alert lines named in one notice; the rest are counted.
SHOWN_IN_NOTICE = 4


class AlertKind(StrEnum):
    QUEUE_LENGTH = "queue_length"
    QUEUE_WAIT = "queue_wait"
    SLA_BREACH_COMING = "sla_breach_coming"
    SLA_BREACHED = "sla_breached"
    AGENT_OVER_CAPACITY = "agent_over_capacity"

    @property
    def about_agent(self) -> bool:
        return self is AlertKind.AGENT_OVER_CAPACITY


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """Limits that raise an alert (0 turns that alert off) and the quiet-period test."""

    queue_length: int = 20  # waiting tickets in one queue
    queue_wait: timedelta = timedelta(minutes=15)  # the oldest waiting ticket's wait
    breach_coming: int = 1  # tickets in one queue at risk of breaching their SLA
    breached: int = 1  # tickets in one queue past their SLA
    over_capacity: int = 1  # tickets an agent holds above their capacity
    cooldown: timedelta = timedelta(minutes=10)
    quiet_arrivals: int = 5  # at most this many arrivals in the last hour, every queue
    quiet_idle_agents: int = 2  # at least this many available agents holding nothing (0: off)

    @classmethod
    def off(cls) -> AlertPolicy:
        """No alert and no suggestion (the cool-down is kept)."""
        return cls(0, timedelta(0), 0, 0, 0, quiet_idle_agents=0)


@dataclass(frozen=True, slots=True)
class LeadAlert:
    """One raised alert: a measure of a queue or an agent at or above its limit."""

    kind: AlertKind
    subject: str  # the queue's department id, or the agent's id
    name: str  # the queue's or agent's name, as the lead reads it
    value: int  # tickets, or seconds for queue_wait
    limit: int

    @property
    def key(self) -> tuple[AlertKind, str]:
        return (self.kind, self.subject)

    @property
    def level(self) -> int:
        """1 at the limit, +1 each time the value doubles."""
        level = 1
        while self.value >= self.limit * 2**level:
            level += 1
        return level

    @property
    def severity(self) -> Severity:
        if self.kind is AlertKind.SLA_BREACHED or self.level > 1:
            return "error"
        return "warning"

    @property
    def text(self) -> str:
        kind, value = self.kind, self.value
        if kind is AlertKind.QUEUE_LENGTH:
            return f"{self.name}: {value} waiting (limit {self.limit})"
        if kind is AlertKind.QUEUE_WAIT:
            waited, limit = (
                format_remaining(_seconds(value)),
                format_remaining(_seconds(self.limit)),
            )
            return f"{self.name}: oldest waiting {waited} (limit {limit})"
        if kind is AlertKind.SLA_BREACH_COMING:
            return f"{self.name}: {_tickets(value)} close to an SLA breach"
        if kind is AlertKind.SLA_BREACHED:
            return f"{self.name}: {_tickets(value)} past an SLA deadline"
        return f"{self.name}: {_tickets(value)} over capacity"


def _seconds(amount: int) -> timedelta:
    return timedelta(seconds=amount)


def _tickets(count: int) -> str:
    return f"{count} ticket" if count == 1 else f"{count} tickets"


@dataclass(frozen=True, slots=True)
class QuietPeriod:
    idle_agents: int
    arrivals_last_hour: int

    @property
    def text(self) -> str:
        noun = "agent" if self.idle_agents == 1 else "agents"
        return (
            f"Quiet period: a good time to schedule training ({self.idle_agents} {noun} idle, "
            f"{self.arrivals_last_hour} in during the last hour)"
        )


@dataclass(frozen=True, slots=True)
class BoardAlerts:
    """One refresh's reading: the raised alerts, most pressing first, or a quiet period."""

    alerts: tuple[LeadAlert, ...] = ()
    quiet: QuietPeriod | None = None


# Which kind comes first among alerts of one severity: what has gone wrong before what may.
KIND_ORDER = (
    AlertKind.SLA_BREACHED,
    AlertKind.QUEUE_WAIT,
    AlertKind.QUEUE_LENGTH,
    AlertKind.SLA_BREACH_COMING,
    AlertKind.AGENT_OVER_CAPACITY,
)
_SEVERITY_RANK = {"error": 0, "warning": 1, "information": 2}


def pressing_first(alerts: Iterable[LeadAlert]) -> list[LeadAlert]:
    """Errors first; then by kind (breaches, waits, lengths, breaches near, agents); then the
    higher level, the larger measure, and the name."""
    return sorted(
        alerts,
        key=lambda a: (
            _SEVERITY_RANK[a.severity],
            KIND_ORDER.index(a.kind),
            -a.level,
            -a.value,
            a.name.lower(),
        ),
    )


def _queue_alerts(line: QueueLine, policy: AlertPolicy) -> Iterable[LeadAlert]:
    measures = (
        (AlertKind.QUEUE_LENGTH, line.waiting, policy.queue_length),
        (
            AlertKind.QUEUE_WAIT,
            int(line.oldest_wait.total_seconds()) if line.waiting else 0,
            int(policy.queue_wait.total_seconds()),
        ),
        (AlertKind.SLA_BREACH_COMING, line.at_risk, policy.breach_coming),
        (AlertKind.SLA_BREACHED, line.breached, policy.breached),
    )
    for kind, value, limit in measures:
        if limit > 0 and value >= limit:
            yield LeadAlert(kind, line.department_id, line.name, value, limit)


def evaluate(
    lines: Sequence[QueueLine],
    agents: Iterable[Agent],
    loads: Mapping[str, int],
    policy: AlertPolicy,
) -> BoardAlerts:
    """The alerts the board raises now (per queue; the all-queues line is not one more queue)."""
    found: list[LeadAlert] = []
    for line in lines:
        if line.department_id != ALL_QUEUES:
            found.extend(_queue_alerts(line, policy))
    idle = 0
    for agent in agents:
        load = loads.get(agent.id, 0)
        if not agent.available:
            continue  # away: their tickets wait, which the queue alerts tell
        idle += load == 0
        excess = load - agent.capacity
        if policy.over_capacity > 0 and excess >= policy.over_capacity:
            found.append(LeadAlert(AlertKind.AGENT_OVER_CAPACITY, agent.id, agent.name, excess, 1))
    alerts = tuple(pressing_first(found))
    arrivals = sum(line.arrivals_last_hour for line in lines if line.department_id != ALL_QUEUES)
    quiet = None
    if (
        not alerts
        and policy.quiet_idle_agents > 0
        and idle >= policy.quiet_idle_agents
        and arrivals <= policy.quiet_arrivals
    ):
        quiet = QuietPeriod(idle, arrivals)
    return BoardAlerts(alerts, quiet)


# -- throttling ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Told:
    """The level an alert was last told at, and when."""

    level: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Notice:
    """What to tell the lead now: one toast however much there is."""

    new: tuple[LeadAlert, ...] = ()
    worse: tuple[LeadAlert, ...] = ()
    still: tuple[LeadAlert, ...] = ()  # reminders after the cool-down
    quiet: QuietPeriod | None = None

    @property
    def alerts(self) -> tuple[LeadAlert, ...]:
        return (*self.new, *self.worse, *self.still)

    @property
    def severity(self) -> Severity:
        if any(alert.severity == "error" for alert in self.alerts):
            return "error"
        return "warning" if self.alerts else "information"

    @property
    def title(self) -> str:
        if not self.alerts:
            return "Quiet period"
        count = len(self.alerts)
        return "Lead alert" if count == 1 else f"{count} lead alerts"

    @property
    def message(self) -> str:
        if not self.alerts:
            return self.quiet.text if self.quiet else ""
        lines = [
            *(alert.text for alert in self.new),
            *(f"worse: {alert.text}" for alert in self.worse),
            *(f"still: {alert.text}" for alert in self.still),
        ]
        shown = lines[:SHOWN_IN_NOTICE]
        if len(lines) > SHOWN_IN_NOTICE:
            shown.append(f"+{len(lines) - SHOWN_IN_NOTICE} more (w: the alert list)")
        return "\n".join(shown)


@dataclass(frozen=True, slots=True)
class Throttle:
    """What has been told and when; `review` each refresh's alerts. Start from `Throttle()`."""

    told: Mapping[tuple[AlertKind, str], Told] = field(default_factory=dict)
    raised: frozenset[tuple[AlertKind, str]] = frozenset()
    quiet_told_at: datetime | None = None
    quiet: bool = False

    def review(
        self, found: BoardAlerts, now: datetime, cooldown: timedelta
    ) -> tuple[Throttle, Notice | None]:
        """The notice due now, if any, and the throttle to keep for the next refresh."""
        raised = frozenset(alert.key for alert in found.alerts)
        # A resolved alert is remembered until its cool-down is over, then forgotten.
        told = {
            key: was
            for key, was in self.told.items()
            if key in self.raised or now - was.at < cooldown
        }
        new: list[LeadAlert] = []
        worse: list[LeadAlert] = []
        still: list[LeadAlert] = []
        for alert in found.alerts:
            was = told.get(alert.key)
            if was is None:
                bucket: list[LeadAlert] | None = new
            elif alert.level > was.level:
                bucket = worse if alert.key in self.raised else new
            elif alert.key in self.raised and now - was.at >= cooldown:
                bucket = still
            else:
                bucket = None  # told lately, no worse: raised all along, or back after a dip
            if bucket is not None:
                bucket.append(alert)
                told[alert.key] = Told(alert.level, now)
        quiet = None
        quiet_told_at = self.quiet_told_at
        starts = found.quiet is not None and not self.quiet
        if starts and (quiet_told_at is None or now - quiet_told_at >= cooldown):
            # The start of a quiet period is told; a stretch flickering in and out, once.
            quiet, quiet_told_at = found.quiet, now
        kept = Throttle(told, raised, quiet_told_at, found.quiet is not None)
        if not (new or worse or still or quiet):
            return kept, None
        return kept, Notice(tuple(new), tuple(worse), tuple(still), quiet)
