"""Metrics in SQL: `metrics.tally_ticket`'s arithmetic as aggregates, one table scan a refresh.

Every window's counts come from one pass over `tickets` joined to `ticket_work` (the per-ticket
counts the triggers keep), grouped by (queue, agent): SQLite sums integers far faster than
Python could after reading 100,000 rows out. The terms mirror `domain.metrics` clause for
clause; the contract suite checks both give the same numbers. Runs on the sqlite3 connection
itself; writes take the store's write transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

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
from agentdesk.store.sqlite.convert import from_micros, to_micros
from agentdesk.store.sqlite.database import Transaction
from agentdesk.store.sqlite.tables import LOAD_WHERE, PULLABLE_WHERE

_IN = "({column} >= :s{i} AND {column} < :e{i})"


def _window_terms(i: int) -> list[str]:
    """The aggregates of window `i`, in `Tally` field order (times in microseconds)."""
    created = _IN.format(column="t.created_at", i=i)
    responded = _IN.format(column="t.first_response_at", i=i)
    first_due = _IN.format(column="t.first_response_due", i=i)
    closed = _IN.format(column="t.closed_at", i=i)
    resolution_due = _IN.format(column="t.resolution_due", i=i)
    reopened = "(ifnull(w.reopens, 0) > 0 OR ifnull(w.follow_ups, 0) > 0)"
    one_touch = f"(NOT {reopened} AND ifnull(w.agent_messages, 0) <= {FCR_AGENT_MESSAGES})"
    return [
        f"sum({created})",
        f"sum({responded})",
        f"sum(CASE WHEN {responded} THEN t.first_response_at - t.created_at END)",
        f"sum(CASE WHEN {responded} THEN t.first_response_due IS NOT NULL"
        f" WHEN t.first_response_at IS NULL THEN {first_due}"
        " AND (t.closed_at IS NULL OR t.closed_at > t.first_response_due) END)",
        f"sum({responded} AND t.first_response_at <= t.first_response_due)",
        f"sum({closed})",
        f"sum(CASE WHEN {closed} THEN t.resolution_due IS NOT NULL"
        f" WHEN t.closed_at IS NULL THEN t.sla_paused_at IS NULL AND {resolution_due} END)",
        f"sum({closed} AND t.closed_at <= t.resolution_due)",
        f"sum({closed} AND {one_touch})",
        f"sum({closed} AND {reopened})",
        f"sum({closed} AND t.csat IS NOT NULL)",
        f"sum({closed} AND t.csat >= {SATISFIED_SCORE})",
        f"sum({closed} AND ifnull(w.handle_micros, 0) > 0)",
        f"sum(CASE WHEN {closed} THEN w.handle_micros END)",
    ]


# Which terms are durations (microseconds) rather than counts.
_DURATIONS = {2, 13}
_TERMS = len(_window_terms(0))


def _tally(values: Sequence[int | None]) -> Tally:
    found = [
        timedelta(microseconds=value or 0) if index in _DURATIONS else int(value or 0)
        for index, value in enumerate(values)
    ]
    return Tally(*found)  # type: ignore[arg-type]


def tallies(
    connection: sqlite3.Connection, windows: Sequence[Window]
) -> tuple[dict[GroupKey, Tally], ...]:
    if not windows:
        return ()
    terms = [term for i in range(len(windows)) for term in _window_terms(i)]
    statement = (
        f"SELECT t.department_id, t.assignee_id, {', '.join(terms)} "
        "FROM tickets AS t LEFT JOIN ticket_work AS w ON w.ticket_id = t.id "
        "GROUP BY t.department_id, t.assignee_id"
    )
    parameters: dict[str, int] = {}
    for i, window in enumerate(windows):
        parameters[f"s{i}"] = to_micros(window.start)
        parameters[f"e{i}"] = to_micros(window.end)
    found: tuple[dict[GroupKey, Tally], ...] = tuple({} for _ in windows)
    empty = Tally()
    for row in connection.execute(statement, parameters):
        key: GroupKey = (row[0], row[1])
        for i, groups in enumerate(found):
            counted = _tally(row[2 + i * _TERMS : 2 + (i + 1) * _TERMS])
            if counted != empty:
                groups[key] = counted
    return found


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
def record_session(tx: Transaction, session: ScreenSession) -> None:
    connection = tx.connection
    known = connection.exec_driver_sql(
        "SELECT 1 FROM tickets WHERE id = ?", (session.ticket_id,)
    ).first()
    if known is None:
        raise NotFound(f"no ticket {session.ticket_id!r}")
    connection.exec_driver_sql(
        "INSERT INTO screen_sessions (ticket_id, agent_id, started_at, ended_at) "
        "VALUES (?, ?, ?, ?)",
        (
            session.ticket_id,
            session.agent_id,
            to_micros(session.started_at),
            to_micros(session.ended_at),
        ),
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
