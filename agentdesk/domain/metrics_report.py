"""KPIs as report rows: one per queue, one per agent and a total, ready for CSV or JSONL.

Durations are in minutes and shares in percent, both to one decimal; a measure with nothing to
measure (no resolved ticket, no CSAT answer) is None (an empty CSV cell, JSON null), never 0.
Every known queue and agent gets a row, idle ones included, so a report lists the whole team.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum

from agentdesk.domain.metrics import (
    EMPTY,
    Kpis,
    MetricsSnapshot,
    Period,
    QueueState,
    by_agent,
    by_queue,
    total,
)
from agentdesk.domain.model import Agent, Department

UNASSIGNED = "(unassigned)"
COLUMNS = (
    "scope",
    "id",
    "name",
    "period",
    "start",
    "end",
    "arrivals",
    "resolved",
    "first_response_avg_min",
    "first_response_sla_pct",
    "resolution_sla_pct",
    "first_contact_resolution_pct",
    "reopen_pct",
    "csat_pct",
    "csat_responses",
    "handle_time_avg_min",
    "waiting",
    "wait_avg_min",
    "wait_oldest_min",
    "load",
)
Row = dict[str, object]


class ReportBy(StrEnum):
    AGENT = "agent"
    QUEUE = "queue"
    BOTH = "both"


def _minutes(amount: timedelta | None) -> float | None:
    return None if amount is None else round(amount / timedelta(minutes=1), 1)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _row(
    snapshot: MetricsSnapshot, index: int, period: Period, scope: str, key: str, name: str
) -> Row:
    window = snapshot.windows[index]
    row: Row = dict.fromkeys(COLUMNS)
    row.update(
        scope=scope,
        id=key,
        name=name,
        period=period.value,
        start=window.start.isoformat(),
        end=window.end.isoformat(),
    )
    return row


def _with_kpis(row: Row, kpis: Kpis) -> Row:
    row.update(
        arrivals=kpis.arrivals,
        resolved=kpis.resolved,
        first_response_avg_min=_minutes(kpis.average_first_response),
        first_response_sla_pct=_percent(kpis.first_response_sla),
        resolution_sla_pct=_percent(kpis.resolution_sla),
        first_contact_resolution_pct=_percent(kpis.first_contact_resolution),
        reopen_pct=_percent(kpis.reopen_rate),
        csat_pct=_percent(kpis.csat),
        csat_responses=kpis.csat_responses,
        handle_time_avg_min=_minutes(kpis.average_handle_time),
    )
    return row


def _with_queue(row: Row, state: QueueState) -> Row:
    row.update(
        waiting=state.waiting,
        wait_avg_min=_minutes(state.average_wait),
        wait_oldest_min=_minutes(state.oldest_wait) if state.waiting else None,
    )
    return row


def report_rows(
    snapshot: MetricsSnapshot,
    period: Period,
    *,
    by: ReportBy,
    agents: Sequence[Agent],
    departments: Sequence[Department],
    index: int = 0,
) -> list[Row]:
    """The rows for `snapshot`'s window `index`: queues, then agents (each by id), then the
    total."""
    groups = snapshot.tallies[index]
    rows: list[Row] = []
    if by in (ReportBy.QUEUE, ReportBy.BOTH):
        queues = by_queue(groups)
        names = {department.id: department.name for department in departments}
        # Tickets may sit in a queue no longer configured: reported all the same, by id.
        for queue in sorted(set(names) | set(queues)):
            row = _row(snapshot, index, period, "queue", queue, names.get(queue, queue))
            _with_kpis(row, Kpis.of(queues.get(queue, EMPTY)))
            rows.append(_with_queue(row, snapshot.queues.get(queue, QueueState(queue))))
    if by in (ReportBy.AGENT, ReportBy.BOTH):
        people = by_agent(groups)
        known = {agent.id: agent.name for agent in agents}
        for agent_id in sorted(set(known) | {key for key in people if key is not None}):
            row = _row(snapshot, index, period, "agent", agent_id, known.get(agent_id, agent_id))
            _with_kpis(row, Kpis.of(people.get(agent_id, EMPTY)))
            row["load"] = snapshot.loads.get(agent_id, 0)
            rows.append(row)
        if None in people:
            row = _row(snapshot, index, period, "agent", "", UNASSIGNED)
            rows.append(_with_kpis(row, Kpis.of(people[None])))
    everything = _with_kpis(
        _row(snapshot, index, period, "total", "", "all"), Kpis.of(total(groups.values()))
    )
    queued = list(snapshot.queues.values())
    if queued:
        waiting = sum(state.waiting for state in queued)
        _with_queue(
            everything,
            QueueState(
                "",
                waiting,
                sum((state.total_wait for state in queued), timedelta(0)),
                max(state.oldest_wait for state in queued),
            ),
        )
    rows.append(everything)
    return rows
