"""SLA alerts as a throttled digest: at most one notice per interval, each news told once.

The app looks at the clocks of the tickets an agent watches every so often and hands them to
`review` with what it has told so far. A ticket's clock is news when it reaches a state worth
telling (at risk, breached) that this clock was not told in before; news waits until the
interval since the last digest has passed, then goes out as one digest however much there is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from agentdesk.domain.sla import SlaState

DIGEST_INTERVAL = timedelta(seconds=60)
# Ticket numbers named in a digest line; the rest are counted.
SHOWN_NUMBERS = 5
ALERTING_STATES = (SlaState.BREACHED, SlaState.WARNING)


@dataclass(frozen=True, slots=True)
class WatchedClock:
    """One watched ticket's clock state at the time of a review."""

    ticket_id: str
    number: int
    target: str  # which clock: "first response" or "resolution"
    state: SlaState

    @property
    def news(self) -> tuple[str, SlaState]:
        return (self.target, self.state)


@dataclass(frozen=True, slots=True)
class AlertLog:
    """What has been told: per ticket, the (clock, state) pairs announced; and when the last
    digest went out. Start from `AlertLog()`."""

    told: Mapping[str, frozenset[tuple[str, SlaState]]] = field(default_factory=dict)
    last_digest_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    breached: tuple[int, ...]  # ticket numbers, most pressing first
    at_risk: tuple[int, ...]

    @property
    def severity(self) -> Literal["warning", "error"]:
        return "error" if self.breached else "warning"

    @property
    def title(self) -> str:
        return "SLA breached" if self.breached else "SLA at risk"

    @property
    def message(self) -> str:
        lines = []
        if self.breached:
            lines.append(f"{len(self.breached)} breached: {_numbers(self.breached)}")
        if self.at_risk:
            lines.append(f"{len(self.at_risk)} at risk: {_numbers(self.at_risk)}")
        return "\n".join(lines)


def _numbers(numbers: tuple[int, ...]) -> str:
    shown = ", ".join(f"#{number}" for number in numbers[:SHOWN_NUMBERS])
    more = len(numbers) - SHOWN_NUMBERS
    return f"{shown} (+{more} more)" if more > 0 else shown


def review(
    log: AlertLog,
    clocks: Iterable[WatchedClock],
    now: datetime,
    interval: timedelta = DIGEST_INTERVAL,
) -> tuple[AlertLog, Digest | None]:
    """The digest due now, if any, and the log to keep for the next review.

    `clocks` are in the order the digest should name them (most pressing first). A ticket no
    longer watched is forgotten, so it is news again if it comes back in a bad state.
    """
    watched = list(clocks)
    told = {c.ticket_id: log.told[c.ticket_id] for c in watched if c.ticket_id in log.told}
    news = [
        clock
        for clock in watched
        if clock.state in ALERTING_STATES and clock.news not in told.get(clock.ticket_id, ())
    ]
    too_soon = log.last_digest_at is not None and now - log.last_digest_at < interval
    if not news or too_soon:
        return AlertLog(told, log.last_digest_at), None
    for clock in news:
        # A breach also answers the warning: a clock does not go back to warning by itself.
        said = {clock.news, (clock.target, SlaState.WARNING)}
        told[clock.ticket_id] = told.get(clock.ticket_id, frozenset()) | said
    digest = Digest(
        breached=tuple(c.number for c in news if c.state is SlaState.BREACHED),
        at_risk=tuple(c.number for c in news if c.state is SlaState.WARNING),
    )
    return AlertLog(told, now), digest
