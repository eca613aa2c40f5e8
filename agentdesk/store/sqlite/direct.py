"""The reads a launch waits for, in plain SQL on the sqlite3 connection (no SQLAlchemy).

Showing the queue needs the agent, the queue's length and its first window; importing
SQLAlchemy and SQLModel would take longer than all of that together, so these reads (and every
later queue window and count) run straight on the DB-API connection. The SQL is what the
SQLAlchemy statements it replaced compiled to, and is planned the same way.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from agentdesk.domain.lifecycle import ACTIVE_STATUSES
from agentdesk.domain.model import Agent, TicketRow
from agentdesk.domain.outbox import SyncStatus
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.store.errors import NotFound
from agentdesk.store.sqlite import convert

# `routing.pull_order`, column for column (`sla_due` is its deadline, precomputed).
QUEUE_ORDER = ("priority_rank", "sla_due", "created_at", "number")
ACTIVE = sorted(status.value for status in ACTIVE_STATUSES)
# The same tickets as `status IN ACTIVE` (every status but closed), as the partial index of
# active tickets (`ix_tickets_clocks`) states it; SQLite uses that index only for this term.
ACTIVE_WHERE = "status != 'closed'"
MAX_SQLITE_INTEGER = 2**63 - 1

ROW_COLUMNS = (
    "tickets.id",
    "tickets.number",
    "tickets.subject",
    "tickets.status",
    "tickets.priority",
    "tickets.channel",
    "tickets.intent",
    "tickets.department_id",
    "tickets.assignee_id",
    "tickets.created_at",
    "tickets.first_response_due",
    "tickets.resolution_due",
    "tickets.first_response_at",
    "tickets.sla_paused_at",
    "customers.name AS customer_name",
    "customers.tier AS customer_tier",
)
AGENT_JSON_COLUMNS = ("skills", "departments", "languages")

Statement = tuple[str, list[Any]]


# -- reference data --------------------------------------------------------------------------
def client_id(connection: sqlite3.Connection) -> str | None:
    """This database's id in the operation log; None if it has none yet."""
    row = connection.execute("SELECT client_id FROM sync_meta").fetchone()
    return None if row is None else row[0]


def sync_status(connection: sqlite3.Connection) -> SyncStatus:
    """The outbox's counts and the sync cursor: read on a timer, so kept to index counts."""
    row = connection.execute(
        "SELECT (SELECT count(*) FROM operations WHERE state = 'pending'), "
        "(SELECT count(*) FROM operations WHERE state = 'rejected' AND dismissed_at IS NULL), "
        "cursor, last_sync_at, server_epoch, resyncing FROM sync_meta"
    ).fetchone()
    if row is None:
        return SyncStatus()
    pending, conflicts, cursor, last_sync_at, server_epoch, resyncing = row
    reserved = connection.execute(
        "SELECT lease_expires_at FROM held_claims "
        "WHERE kind = 'reservation' AND NOT taken AND lost_at IS NULL ORDER BY lease_expires_at"
    ).fetchall()
    return SyncStatus(
        pending=pending,
        conflicts=conflicts,
        cursor=cursor,
        last_sync_at=convert.from_micros_or_none(last_sync_at),
        server_epoch=server_epoch,
        reserved_until=tuple(convert.from_micros(end) for (end,) in reserved),
        resyncing=bool(resyncing),
    )


def agent_by_handle(connection: sqlite3.Connection, handle: str) -> Agent:
    cursor = connection.execute("SELECT * FROM agents WHERE handle = ?", (handle,))
    row = cursor.fetchone()
    if row is None:
        raise NotFound(f"no agent with handle {handle!r}")
    found = dict(zip((column[0] for column in cursor.description), row, strict=True))
    for name in AGENT_JSON_COLUMNS:
        found[name] = json.loads(found[name])
    return convert.agent_from_row(found)


# -- the queue -------------------------------------------------------------------------------
def number_filter(query: TicketQuery) -> int | None:
    """The ticket number the text asks for (`#123` or `123`), if it is one."""
    digits = query.text.strip().lstrip("#")
    return int(digits) if digits.isdecimal() else None


def _in(column: str, values: list[str], parameters: list[Any]) -> str:
    parameters.extend(values)
    return f"{column} IN ({', '.join('?' for _ in values)})"


def conditions(query: TicketQuery, parameters: list[Any], *, in_queue_order: bool) -> list[str]:
    """The SQL twin of MemoryStore._matches; their parameters are appended to `parameters`.

    With `in_queue_order`, the query is steered to the queue index where that is the fast
    plan: several departments (the department index would need a sort) or a text filter (the
    queue index holds `search_text`; the others would look up every row).
    """
    found: list[str] = []
    needle = query.text.strip().lower()
    number = number_filter(query)
    steer = query.scope is not Scope.MINE and (
        (bool(needle) and number is None) or (in_queue_order and len(query.departments) > 1)
    )
    # `column || ''` is SQLite's idiom for "do not use an index for this term".
    department = "(tickets.department_id || '')" if steer else "tickets.department_id"
    if query.scope is Scope.MINE:
        if query.agent_id is None:
            found.append("tickets.assignee_id IS NULL")
        else:
            found.append("tickets.assignee_id = ?")
            parameters.append(query.agent_id)
        found.append(_in("tickets.status", ACTIVE, parameters))
    elif query.scope is Scope.TEAM:
        found.append(_in("tickets.status", ACTIVE, parameters))
    if query.departments:
        found.append(_in(department, list(query.departments), parameters))
    if query.statuses:
        found.append(_in("tickets.status", [s.value for s in query.statuses], parameters))
    if needle:
        if number is None:
            # instr, not LIKE: an exact substring test, no wildcards to escape, and the
            # lower-casing was done by Python on both sides (LIKE folds ASCII only).
            found.append("instr(tickets.search_text, ?) > 0")
            parameters.append(needle)
        elif number <= MAX_SQLITE_INTEGER:
            found.append("tickets.number = ?")
            parameters.append(number)
        else:
            found.append("0")  # no ticket has a number SQLite cannot even store
    return found


def _where(found: list[str]) -> str:
    return f" WHERE {' AND '.join(found)}" if found else ""


def count_statement(query: TicketQuery) -> Statement:
    parameters: list[Any] = []
    found = conditions(query, parameters, in_queue_order=False)
    if query.scope is Scope.TEAM and not query.text.strip():
        # Count from the few thousand active tickets' index rather than every ticket of the
        # departments (all queues of a 100,000-ticket desk: 16 ms before, under 1 ms after).
        # Not with a text filter: that index has no `search_text`.
        found.append(f"tickets.{ACTIVE_WHERE}")
    return f"SELECT count(*) FROM tickets{_where(found)}", parameters


def window_ids_statement(query: TicketQuery, offset: int, limit: int) -> Statement:
    """The ids of a queue window, read from an index already in queue order."""
    parameters: list[Any] = []
    found = conditions(query, parameters, in_queue_order=True)
    order = ", ".join(f"tickets.{name}" for name in QUEUE_ORDER)
    parameters.extend([limit, max(offset, 0)])
    return (
        f"SELECT tickets.id AS id FROM tickets{_where(found)} ORDER BY {order} LIMIT ? OFFSET ?",
        parameters,
    )


def window_statement(query: TicketQuery, offset: int, limit: int) -> Statement:
    # Find the window's ids from the index first, then join the customer for those rows only
    # (and sort just those few again: the join does not keep the order).
    ids, parameters = window_ids_statement(query, offset, limit)
    order = ", ".join(f"tickets.{name}" for name in QUEUE_ORDER)
    sql = (
        f"SELECT {', '.join(ROW_COLUMNS)} FROM ({ids}) AS window "
        "JOIN tickets ON tickets.id = window.id "
        "LEFT OUTER JOIN customers ON customers.id = tickets.customer_id "
        f"ORDER BY {order}"
    )
    return sql, parameters


def count(connection: sqlite3.Connection, query: TicketQuery) -> int:
    sql, parameters = count_statement(query)
    found: int = connection.execute(sql, parameters).fetchone()[0]
    return found


def current_tickets(connection: sqlite3.Connection, agent_ids: list[str]) -> dict[str, int]:
    """The first ticket of each agent's Mine queue, in one statement: per agent, a seek into
    `ix_tickets_assignee` (already in queue order) that stops at the first active ticket."""
    order = ", ".join(f"tickets.{name}" for name in QUEUE_ORDER)
    parameters: list[Any] = []  # in statement order: the statuses, then the ids
    first = (
        "SELECT tickets.number FROM tickets WHERE tickets.assignee_id = agent.value"
        f" AND {_in('tickets.status', ACTIVE, parameters)} ORDER BY {order} LIMIT 1"
    )
    parameters.append(json.dumps(agent_ids))
    rows = connection.execute(
        f"SELECT agent.value, ({first}) FROM json_each(?) AS agent", parameters
    )
    return {agent_id: number for agent_id, number in rows if number is not None}


def window(
    connection: sqlite3.Connection, query: TicketQuery, offset: int, limit: int
) -> list[TicketRow]:
    if limit <= 0:
        return []
    sql, parameters = window_statement(query, offset, limit)
    cursor = connection.cursor()
    cursor.row_factory = sqlite3.Row  # rows by column name, as `convert` reads them
    try:
        return [convert.ticket_row_from_row(row) for row in cursor.execute(sql, parameters)]
    finally:
        cursor.close()
