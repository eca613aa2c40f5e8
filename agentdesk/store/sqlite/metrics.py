"""Metrics in SQL: `metrics.tally_ticket`'s arithmetic as aggregates, in one statement.

Each window's counts come from one pass over the tickets that can count in it (active since
it began, or not closed), read from two covering indexes rather than the wide rows, work
counts included (the triggers keep them on the ticket), and grouped by (queue, agent): SQLite
sums integers far faster than Python could after reading the rows out. The terms mirror `domain.metrics` clause for
clause; the contract suite checks both give the same numbers. Runs on the sqlite3 connection
itself; writes take the store's write transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from agentdesk.domain.lead_board import Horizons, QueueClocks
from agentdesk.domain.metrics import (
    FCR_AGENT_MESSAGES,
    SATISFIED_SCORE,
    GroupKey,
    MetricsSnapshot,
    QueueState,
    ScreenSession,
    Tally,
    Window,
)
from agentdesk.store.errors import NotFound
from agentdesk.store.sqlite import tables
from agentdesk.store.sqlite.convert import from_micros, to_micros
from agentdesk.store.sqlite.database import Transaction, bulk_insert
from agentdesk.store.sqlite.direct import ACTIVE_WHERE
from agentdesk.store.sqlite.tables import (
    LOAD_WHERE,
    PULLABLE_WHERE,
    UNRESOLVED_WHERE,
)

# SQLite allows 32,766 parameters a statement; stay well below.
_IDS_PER_QUERY = 500
_IN = "({column} >= :start AND {column} < :end)"

# Per ticket, once: what of it falls in the window (the terms of `metrics.tally_ticket`).
_FLAGS = ", ".join(
    (
        "department_id",
        "assignee_id",
        f"{_IN.format(column='created_at')} AS arrived",
        f"{_IN.format(column='first_response_at')} AS answered",
        "first_response_at - created_at AS response_micros",
        "first_response_due IS NOT NULL AS first_clock",
        "first_response_at <= first_response_due AS first_met",
        f"first_response_at IS NULL AND {_IN.format(column='first_response_due')}"
        " AND (closed_at IS NULL OR closed_at > first_response_due) AS first_lapsed",
        f"{_IN.format(column='closed_at')} AS resolved",
        "resolution_due IS NOT NULL AS resolution_clock",
        "closed_at <= resolution_due AS resolution_met",
        f"closed_at IS NULL AND sla_paused_at IS NULL AND {_IN.format(column='resolution_due')}"
        " AS resolution_lapsed",
        "csat",
        "reopens > 0 OR follow_ups > 0 AS reopened",
        "agent_messages",
        "handle_micros",
    )
)
# In `Tally` field order; times in microseconds.
_TERMS = (
    "sum(arrived)",
    "sum(answered)",
    "sum(CASE WHEN answered THEN response_micros END)",
    "sum(CASE WHEN answered THEN first_clock ELSE first_lapsed END)",
    "sum(answered AND first_met)",
    "sum(resolved)",
    "sum(CASE WHEN resolved THEN resolution_clock ELSE resolution_lapsed END)",
    "sum(resolved AND resolution_met)",
    f"sum(resolved AND NOT reopened AND agent_messages <= {FCR_AGENT_MESSAGES})",
    "sum(resolved AND reopened)",
    "sum(resolved AND csat IS NOT NULL)",
    f"sum(resolved AND csat >= {SATISFIED_SCORE})",
    "sum(resolved AND handle_micros > 0)",
    "sum(CASE WHEN resolved THEN handle_micros END)",
)
_COUNTED = "arrived OR answered OR first_lapsed OR resolved OR resolution_lapsed"
# Two disjoint index-only scans: what changed since the window began (no event of a ticket is
# later than its `updated_at`), and what is still open from before (its clocks may lapse now).
_TALLIES = (
    f"SELECT department_id, assignee_id, {', '.join(_TERMS)} FROM ("
    f"SELECT {_FLAGS} FROM tickets INDEXED BY ix_tickets_activity WHERE updated_at >= :start"
    f" UNION ALL SELECT {_FLAGS} FROM tickets INDEXED BY ix_tickets_unresolved"
    f" WHERE {UNRESOLVED_WHERE} AND updated_at < :start"
    f") WHERE {_COUNTED} GROUP BY department_id, assignee_id"
)


def _tally(row: Sequence[int | None]) -> Tally:
    (_, _, arrivals, answered, response, first_clocks, first_met, resolved) = row[:8]
    (resolution_clocks, resolution_met, one_touch, reopened, rated, satisfied) = row[8:14]
    handled, handle = row[14:16]
    return Tally(
        arrivals or 0,
        answered or 0,
        timedelta(microseconds=response or 0),
        first_clocks or 0,
        first_met or 0,
        resolved or 0,
        resolution_clocks or 0,
        resolution_met or 0,
        one_touch or 0,
        reopened or 0,
        rated or 0,
        satisfied or 0,
        handled or 0,
        timedelta(microseconds=handle or 0),
    )


def tallies(
    connection: sqlite3.Connection, windows: Sequence[Window]
) -> tuple[dict[GroupKey, Tally], ...]:
    """Counts per (queue, agent) for each window: one grouped statement per window."""
    found: list[dict[GroupKey, Tally]] = []
    for window in windows:
        parameters = {"start": to_micros(window.start), "end": to_micros(window.end)}
        rows = connection.execute(_TALLIES, parameters)
        found.append({(row[0], row[1]): _tally(row) for row in rows})
    return tuple(found)


def queue_states(connection: sqlite3.Connection, now: datetime) -> dict[str, QueueState]:
    rows = connection.execute(
        "SELECT department_id, count(*), sum(max(:now - created_at, 0)),"
        " max(:now - min(created_at), 0) "
        f"FROM tickets INDEXED BY ix_tickets_routing WHERE {PULLABLE_WHERE} "
        "GROUP BY department_id",
        {"now": to_micros(now)},
    )
    return {
        department: QueueState(
            department, count, timedelta(microseconds=total), timedelta(microseconds=oldest)
        )
        for department, count, total, oldest in rows
    }


def agent_loads(connection: sqlite3.Connection) -> dict[str, int]:
    rows = connection.execute(
        "SELECT assignee_id, count(*) FROM tickets INDEXED BY ix_tickets_load "
        f"WHERE {LOAD_WHERE} GROUP BY assignee_id"
    )
    return {agent_id: count for agent_id, count in rows}


def snapshot(
    connection: sqlite3.Connection, windows: Sequence[Window], now: datetime
) -> MetricsSnapshot:
    """All of it in one read transaction, so the parts agree with each other."""
    connection.execute("BEGIN")
    try:
        counted = tallies(connection, windows)
        queues = queue_states(connection, now)
        loads = agent_loads(connection)
    finally:
        connection.execute("COMMIT")
    return MetricsSnapshot(now, tuple(windows), counted, queues, loads)


# -- screen sessions -----------------------------------------------------------------------
def record_sessions(tx: Transaction, sessions: Sequence[ScreenSession]) -> None:
    connection = tx.connection
    wanted = sorted({session.ticket_id for session in sessions})
    known: set[str] = set()
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        chunk = wanted[start : start + _IDS_PER_QUERY]
        marks = ", ".join("?" for _ in chunk)
        rows = connection.exec_driver_sql(
            f"SELECT id FROM tickets WHERE id IN ({marks})", tuple(chunk)
        )
        known.update(row[0] for row in rows)
    missing = [ticket_id for ticket_id in wanted if ticket_id not in known]
    if missing:
        raise NotFound(f"no ticket {missing[0]!r}")
    bulk_insert(
        connection,
        tables.screen_sessions,
        [
            {
                "ticket_id": session.ticket_id,
                "agent_id": session.agent_id,
                "started_at": to_micros(session.started_at),
                "ended_at": to_micros(session.ended_at),
            }
            for session in sessions
        ],
    )


def sessions(connection: sqlite3.Connection, ticket_id: str) -> list[ScreenSession]:
    rows = connection.execute(
        "SELECT ticket_id, agent_id, started_at, ended_at FROM screen_sessions "
        "WHERE ticket_id = ? ORDER BY started_at, id",
        (ticket_id,),
    )
    return [
        ScreenSession(ticket, agent, from_micros(started), from_micros(ended))
        for ticket, agent, started, ended in rows
    ]


# -- the lead's queue board (domain/lead_board.py) ------------------------------------------
# Per active ticket: which clock runs (first response until given, then resolution) and when
# it is due; the customer's tier picks the horizon, as `lead_board.clock_standing` does. The
# tickets come from the covering partial index of active ones, not a scan of every row.
_RUNNING = (
    "SELECT tickets.department_id, tickets.priority,"
    " coalesce(customers.tier, 'standard') AS tier, tickets.sla_paused_at AS paused,"
    " (tickets.first_response_at IS NULL AND tickets.first_response_due IS NOT NULL) AS first,"
    " CASE WHEN tickets.first_response_at IS NULL AND tickets.first_response_due IS NOT NULL"
    " THEN tickets.first_response_due ELSE tickets.resolution_due END AS due"
    " FROM tickets INDEXED BY ix_tickets_clocks"
    " LEFT JOIN customers ON customers.id = tickets.customer_id"
    f" WHERE tickets.{ACTIVE_WHERE}"
)
_BOARD = (
    "WITH horizons(priority, tier, first_horizon, resolution_horizon) AS ({values}) "
    "SELECT running.department_id, count(*),"
    " sum(due IS NOT NULL AND paused IS NULL AND due > :now AND due <= CASE WHEN first"
    " THEN horizons.first_horizon ELSE horizons.resolution_horizon END),"
    " sum(due IS NOT NULL AND CASE WHEN paused IS NULL THEN due <= :now ELSE due <= paused END)"
    f" FROM ({_RUNNING}) AS running LEFT JOIN horizons"
    " ON horizons.priority = running.priority AND horizons.tier = running.tier"
    " GROUP BY running.department_id"
)


def queue_clocks(
    connection: sqlite3.Connection, now: datetime, horizons: Horizons
) -> dict[str, QueueClocks]:
    values = ", ".join("(?, ?, ?, ?)" for _ in horizons) or "SELECT NULL, NULL, NULL, NULL"
    parameters: list[object] = []
    for (priority, tier), (first, resolution) in horizons.items():
        parameters += [priority.value, tier.value, to_micros(first), to_micros(resolution)]
    statement = _BOARD.format(values=f"VALUES {values}" if horizons else values).replace(
        ":now", "?"
    )
    # Positional: the horizons come first, then `now` once per use, in statement order.
    uses = statement.count("?") - len(parameters)
    rows = connection.execute(statement, [*parameters, *[to_micros(now)] * uses])
    return {
        department: QueueClocks(department, active, at_risk or 0, breached or 0)
        for department, active, at_risk, breached in rows
    }
